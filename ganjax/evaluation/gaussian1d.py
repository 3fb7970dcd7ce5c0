"""``gaussian1d``: ``mean``, ``std``, ``ks``, ``w1`` of 1D samples against
the 1D Gaussian target."""

from __future__ import annotations

from ganjax import data
from ganjax.evaluation import metrics
from ganjax.evaluation.base import Evaluator, register


@register
class Gaussian1DEvaluator(Evaluator):
  """``mean``, ``std``, ``ks``, ``w1`` of 1D samples against the target."""
  name = 'gaussian1d'
  metric_names = ('mean', 'std', 'ks', 'w1')

  @classmethod
  def applies(cls, config):
    return (not data.is_image(config) and
            data.toy_distribution(config).dim == 1)

  def __init__(self, config, real):
    super().__init__(config, real)
    dist = data.toy_distribution(config)
    self.mean, self.std = float(dist.means[0, 0]), float(dist.std)

  def evaluate(self, spec, state, rng_seed):
    return metrics.normal_metrics(self.samples(spec, state, rng_seed),
                                  self.mean, self.std)
