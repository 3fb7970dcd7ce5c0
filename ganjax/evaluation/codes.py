"""``codes``: how well an InfoGAN's first categorical code names the
classes of labelled images (InfoGAN's "error rate" of c1 on MNIST, Chen et
al. 2016, section 7.1): ``code_accuracy``, ``code_classes``.

For each category k of the code, ``eval.num_samples / K`` samples with
c1 = k (noise and the other codes drawn as in training) are labelled by
the evaluation classifier (the ``classifier`` evaluator's network, trained
once per dataset and cached; its options ``config.eval.classifier``).
``code_accuracy`` is the fraction of samples whose class is their
category's under the best one-to-one matching of categories to classes
(``scipy.optimize.linear_sum_assignment`` on the counts; 1 - the paper's
error rate; chance is about 1/K), ``code_classes`` the number of distinct
classes that are some category's most frequent one.
"""

from __future__ import annotations

import jax
import numpy as np
from scipy import optimize

from ganjax import data, sampling
from ganjax.evaluation import classifier as classifier_lib
from ganjax.evaluation.base import register
from ganjax.evaluation.classifier_evaluator import ClassifierEvaluator
from ganjax.evaluation import real_data


@register
class CodesEvaluator(ClassifierEvaluator):
  """InfoGAN's categorical code against the classes (see above)."""
  name = 'codes'
  metric_names = ('code_accuracy', 'code_classes')

  @classmethod
  def applies(cls, config):
    return (data.is_image(config) and config.family == 'infogan' and
            len(config.model.codes.categorical) > 0)

  @classmethod
  def chosen_by_auto(cls, config):
    return cls.applies(config) and real_data.num_classes(config) != 1

  def evaluate(self, spec, state, rng_seed):
    from ganjax.families import infogan  # pylint: disable=g-import-not-at-top
    self.prepare()
    k = spec.categorical[0]
    per = max(1, self.num_samples // k)
    codes = np.repeat(np.arange(k, dtype=np.int32), per)
    z = infogan.with_codes(
        spec, spec.sample_latent(jax.random.PRNGKey(rng_seed), k * per),
        categorical={0: codes})
    fn = sampling.generate_fn(spec)
    device_state = sampling.on_device(spec, state)
    x = sampling.map_batches(lambda zz: fn(device_state, zz, None),
                             self.batch_size, np.asarray(z))
    logits, _ = classifier_lib.predict(self.model, self.params, x,
                                       self.batch_size)
    counts = np.zeros((k, self.model.num_classes))
    np.add.at(counts, (codes, np.argmax(logits, -1)), 1)
    rows, cols = optimize.linear_sum_assignment(counts, maximize=True)
    return {'code_accuracy': float(counts[rows, cols].sum() / counts.sum()),
            'code_classes': float(len(set(np.argmax(counts, -1))))}
