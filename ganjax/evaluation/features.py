"""The base of evaluators that score images in a feature space
(``classifier``, ``selfsup``, ``inception``): FID, KID, precision, recall,
density and coverage of the samples against held-out real images, each
beside its real-data floor.

A subclass sets ``prefix`` (its metrics are ``<prefix>fid``, ...), gives
``embed(images) -> features [N, D]`` and calls ``set_reference`` once with
the features of the reference ``R`` (held-out images) and of ``T`` (real
training images): ``<prefix><metric>_floor`` is then the metric of ``T``
against ``R``, what real data scores at this sample size. The shared
options are ``config.eval.kid_subsets``, ``eval.kid_subset_size`` and
``eval.nearest_k``. Definitions: docs/EVALUATION.md.
"""

from __future__ import annotations

import ml_collections
import numpy as np
from absl import logging

from ganjax import errors
from ganjax.evaluation import metrics, real_data
from ganjax.evaluation.base import Evaluator, fail
from ganjax.evaluation.real_data import RealData

SCORES = ('fid', 'kid', 'kid_std', 'precision', 'recall', 'density',
          'coverage')


def metric_names(prefix: str) -> tuple[str, ...]:
  """The names a feature evaluator with ``prefix`` reports."""
  return (tuple(prefix + m for m in SCORES) +
          tuple(f'{prefix}{m}_floor' for m in metrics.FLOORED))


class FeatureEvaluator(Evaluator):
  """FID, KID and PRDC in the feature space of ``embed``."""
  prefix = ''

  def __init__(self, config: ml_collections.ConfigDict, real: RealData):
    super().__init__(config, real)
    e = config.eval
    self.kid_subsets = int(e.kid_subsets)
    self.kid_subset_size = int(e.kid_subset_size)
    self.nearest_k = int(e.nearest_k)
    if self.nearest_k + 2 > self.num_samples:
      fail('nearest_k', self.nearest_k, 'precision / recall need at least '
           f'nearest_k + 2 samples; eval.num_samples is {self.num_samples}')
    self.reference: np.ndarray | None = None
    self.floors: dict[str, float] = {}

  def check_test_split(self) -> None:
    """The held-out split must exist: said now, not at the first
    evaluation (an image folder often has only ``train``)."""
    info = real_data.builder_info(self.config)
    splits = sorted(info.splits.keys()) if info is not None else []
    split = self.config.eval.test_split
    if splits and split not in splits:
      raise errors.ConfigError(
          f'config.eval.test_split={split!r} is not a split of '
          f'{self.config.data.name!r} (it has {splits}): set '
          '--config.eval.test_split to one of them, or choose other '
          'evaluators, e.g. --config.eval.evaluators=equilibrium.')

  def embed(self, images: np.ndarray) -> np.ndarray:
    """Features [N, D] of images [N, H, W, C] in the config's value range."""
    raise NotImplementedError

  def _scores(self, features: np.ndarray) -> dict[str, float]:
    return metrics.feature_metrics(
        features, self.reference, self.kid_subsets, self.kid_subset_size,
        self.nearest_k, self.seed)

  def set_reference(self, reference: np.ndarray,
                    training: np.ndarray) -> None:
    """Keeps the reference features and computes the floors from the
    features of real training images."""
    for what, n in (('held-out', len(reference)),
                    ('training', len(training))):
      if n < self.nearest_k + 2:
        fail('nearest_k', self.nearest_k,
             f'precision / recall need at least nearest_k + 2 {what} '
             f'images, and {self.name} has {n}')
    self.reference = np.asarray(reference, np.float64)
    real = self._scores(training)
    self.floors = {f'{self.prefix}{m}_floor': real[m]
                   for m in metrics.FLOORED}
    logging.info('%s floors (%d training vs %d held-out images): %s',
                 self.name, len(training), len(reference), self.floors)

  def scores(self, features: np.ndarray) -> dict[str, float]:
    """The metrics of ``features`` (of samples) with their floors."""
    return {**{self.prefix + k: v for k, v in self._scores(features).items()},
            **self.floors}
