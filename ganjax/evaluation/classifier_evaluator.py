"""``classifier``: FID, KID, precision / recall / density / coverage (each
with its real-data floor) and class statistics in the feature space of a
small CNN trained once per dataset and cached (labelled images): ``fid``,
``fid_floor``, ``kid``, ..., ``class_coverage``, ``class_kl``,
``classifier_accuracy``.

Options ``config.eval.classifier``: ``num_real`` [10000] held-out real
images of the reference (at most the whole ``eval.test_split``), ``steps``
[2000], ``batch_size`` [128] and ``learning_rate`` [1e-3] of the
classifier's training, ``cache_dir`` [None: ``$GANJAX_CACHE_DIR`` or
``~/.cache/ganjax/classifiers``]. Training it shows a progress bar and logs
the time it took and where it is cached. Definitions: docs/EVALUATION.md.
"""

from __future__ import annotations

import hashlib
import os
import time

import ml_collections
import numpy as np
from absl import logging

from ganjax import data, errors
from ganjax.evaluation import classifier as classifier_lib
from ganjax.evaluation import features, metrics, real_data
from ganjax.evaluation.base import fail, register
from ganjax.evaluation.real_data import RealData

# Default classifier cache when ``config.eval.classifier.cache_dir`` is
# unset.
CACHE_ENV = 'GANJAX_CACHE_DIR'


def default_cache_dir() -> str:
  return os.environ.get(CACHE_ENV) or os.path.join(
      os.path.expanduser('~'), '.cache', 'ganjax', 'classifiers')


class TrainedNetworkEvaluator(features.FeatureEvaluator):
  """A feature evaluator whose network (``classifier.Classifier``) is
  trained on the training split with ``config.eval.classifier``'s options
  and cached under ``cache_path`` (its name ends in ``-<task>`` when the
  network learns something else than the labels)."""
  task = ''

  def __init__(self, config: ml_collections.ConfigDict, real: RealData):
    super().__init__(config, real)
    c = config.eval.classifier
    self.cache_dir = c.cache_dir or default_cache_dir()
    self.steps = int(c.steps)
    self.classifier_batch_size = int(c.batch_size)
    self.learning_rate = float(c.learning_rate)
    self.num_real = int(c.num_real)
    self.shape = data.data_shape(config)
    self.model = self.params = None
    self.trained_now = False
    self.check_test_split()

  @property
  def cache_path(self) -> str:
    d = self.config.data
    name = d.name
    if d.path:  # An image folder: which one (its images are not hashed).
      digest = hashlib.sha1(os.path.abspath(os.path.expanduser(d.path))
                            .encode()).hexdigest()[:10]
      name = f'{name}_{digest}'
    key = classifier_lib.cache_key(
        name, d.split, self.shape,
        tuple(d.value_range), self.steps, self.classifier_batch_size,
        self.learning_rate, self.seed, self.task)
    return os.path.join(self.cache_dir, key + '.msgpack')

  def embed(self, images):
    return classifier_lib.predict(self.model, self.params, images,
                                  self.batch_size)[1]


@register
class ClassifierEvaluator(TrainedNetworkEvaluator):
  """FID, KID, PRDC and class statistics in the feature space of a small
  CNN.

  ``prepare()`` (called by the first ``evaluate``) loads the classifier from
  the cache or trains it on the training split, reads the held-out test
  split (reference features, class histogram, accuracy) and computes the
  floors on ``num_samples`` real training images.
  """
  name = 'classifier'
  metric_names = features.metric_names('') + (
      'class_coverage', 'class_kl', 'classifier_accuracy')

  @classmethod
  def applies(cls, config):
    return data.is_image(config)

  @classmethod
  def chosen_by_auto(cls, config):
    """Labelled images: every dataset but one with a single class (an
    image folder of unlabelled images, which ``selfsup`` scores)."""
    return cls.applies(config) and real_data.num_classes(config) != 1

  @classmethod
  def check(cls, config):
    c = config.eval.classifier
    for field, low in (('num_real', 2), ('steps', 1), ('batch_size', 1)):
      value = c[field]
      if not isinstance(value, int) or isinstance(value, bool) or value < low:
        fail(f'classifier.{field}', value, f'use an integer >= {low}')
    if not c.learning_rate > 0:
      fail('classifier.learning_rate', c.learning_rate,
           'use a positive value')

  def _train(self, num_classes: int | None, test: dict[str, np.ndarray]):
    if num_classes is None:
      first = self.real.training(self.num_samples)
      num_classes = int(max(first['label'].max(), test['label'].max())) + 1
    if num_classes < 2:
      raise errors.DataError(
          f'the classifier evaluator needs labelled images of at least two '
          f'classes; {self.config.data.name!r} has {num_classes}. Set '
          "config.eval.evaluators='equilibrium'.")
    logging.info(
        'Training the evaluation classifier for %s (%d steps, once per '
        'dataset: it is cached in %s for later runs). A smoke run can skip '
        'the final evaluation with --config.eval.at_end=False.',
        self.config.data.name, self.steps, self.cache_path)
    started = time.perf_counter()
    stream = data.make_stream(self.config,
                              batch_shape=(self.classifier_batch_size,),
                              seed=self.seed)
    batches = ((b['x'], b['label']) for b in stream)
    model, params = classifier_lib.train_classifier(
        batches, num_classes, self.steps, self.learning_rate, self.seed,
        progress=f'evaluation classifier ({self.config.data.name})')
    acc = classifier_lib.accuracy(model, params, test['x'], test['label'],
                                  self.batch_size)
    classifier_lib.save(self.cache_path, params, num_classes, {
        'dataset': self.config.data.name, 'shape': list(self.shape),
        'test_split': self.config.eval.test_split,
        'test_examples': int(len(test['x'])), 'test_accuracy': acc})
    logging.info('Trained the evaluation classifier in %.1f s (test accuracy '
                 '%.4f); cached in %s: later runs on this data load it.',
                 time.perf_counter() - started, acc, self.cache_path)
    self.trained_now = True
    return model, params

  def prepare(self) -> None:
    if self.params is not None:
      return
    test = self.real.heldout(self.num_real)
    if os.path.exists(self.cache_path):
      self.model, self.params, _ = classifier_lib.load(self.cache_path)
      logging.info('Loaded the evaluation classifier from %s.',
                   self.cache_path)
    else:
      self.model, self.params = self._train(
          real_data.num_classes(self.config), test)
    logits, test_features = classifier_lib.predict(
        self.model, self.params, test['x'], self.batch_size)
    self.accuracy = float(np.mean(np.argmax(logits, -1) == test['label']))
    self.data_histogram = metrics.class_histogram(test['label'],
                                                  self.model.num_classes)
    train = self.real.training(self.num_samples)
    self.set_reference(test_features, self.embed(train['x']))
    logging.info('Evaluation classifier: test accuracy %.4f on %d images.',
                 self.accuracy, len(test['x']))

  def evaluate(self, spec, state, rng_seed):
    self.prepare()
    x = self.samples(spec, state, rng_seed)
    logits, sample_features = classifier_lib.predict(
        self.model, self.params, x, self.batch_size)
    predicted = np.argmax(logits, -1)
    if not np.all(np.isfinite(logits)):
      predicted = predicted[np.all(np.isfinite(logits), -1)]
    return {**self.scores(sample_features),
            **metrics.class_metrics(predicted, self.data_histogram),
            'classifier_accuracy': self.accuracy}
