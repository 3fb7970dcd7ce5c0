"""``inception`` (opt-in: never chosen by 'auto'): FID, KID, precision /
recall / density / coverage and the Inception Score on the standard FID
Inception-v3 (``inception.py``; pytorch-fid's and clean-fid's network and
weights): ``inception_fid``, ``inception_fid_floor``, ...,
``inception_score``, ``inception_score_std``.

Options ``config.eval.inception``: ``weights`` [None: the file
``pt_inception-2015-12-05-6726825d.pth`` in the classifier cache directory,
downloaded there on first use where there is internet], ``num_real``
[10000] held-out real images of the reference (at most the whole
``eval.test_split``), ``batch_size`` [50] images per Inception pass.
Images are mapped from ``data.value_range`` to [0, 1], grey to RGB, then
resized and scaled as pytorch-fid does. Definitions and what the numbers
can be compared with: docs/EVALUATION.md.
"""

from __future__ import annotations

import ml_collections
import numpy as np

from ganjax import data
from ganjax.evaluation import features, inception, metrics
from ganjax.evaluation.base import fail, register
from ganjax.evaluation.classifier_evaluator import default_cache_dir
from ganjax.evaluation.real_data import RealData

# Splits of the Inception Score (Salimans et al. 2016; torch-fidelity).
IS_SPLITS = 10


@register
class InceptionEvaluator(features.FeatureEvaluator):
  """Feature metrics and IS on the FID Inception-v3."""
  name = 'inception'
  prefix = 'inception_'
  metric_names = features.metric_names(prefix) + ('inception_score',
                                                  'inception_score_std')
  auto = False

  @classmethod
  def applies(cls, config):
    return data.is_image(config)

  @classmethod
  def check(cls, config):
    c = config.eval.inception
    for field, low in (('num_real', 2), ('batch_size', 1)):
      value = c[field]
      if not isinstance(value, int) or isinstance(value, bool) or value < low:
        fail(f'inception.{field}', value, f'use an integer >= {low}')
    if c.weights is not None and not isinstance(c.weights, str):
      fail('inception.weights', c.weights, 'use the path of the .pth file')

  def __init__(self, config: ml_collections.ConfigDict, real: RealData):
    super().__init__(config, real)
    c = config.eval.inception
    self.num_real = int(c.num_real)
    self.inception_batch_size = int(c.batch_size)
    self.value_range = tuple(float(v) for v in config.data.value_range)
    self.check_test_split()
    cache_dir = config.eval.classifier.cache_dir or default_cache_dir()
    self.variables = inception.load_weights(
        inception.weights_path(c.weights, cache_dir))

  def _unit(self, images: np.ndarray) -> np.ndarray:
    lo, hi = self.value_range
    return np.clip((np.asarray(images, np.float32) - lo) / (hi - lo), 0, 1)

  def features_and_logits(self, images):
    return inception.features_and_logits(self.variables, self._unit(images),
                                         self.inception_batch_size)

  def embed(self, images):
    return self.features_and_logits(images)[0]

  def prepare(self) -> None:
    if self.reference is None:
      test = self.real.heldout(self.num_real)['x']
      train = self.real.training(self.num_samples)['x']
      self.set_reference(self.embed(test), self.embed(train))

  def evaluate(self, spec, state, rng_seed):
    self.prepare()
    pool, logits = self.features_and_logits(
        self.samples(spec, state, rng_seed))
    score, score_std = metrics.inception_score(logits, IS_SPLITS)
    return {**self.scores(pool), 'inception_score': score,
            'inception_score_std': score_std}
