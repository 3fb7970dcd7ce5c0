"""``mixture``: PacGAN's mode metrics of 2D toy mixtures (``modes_covered``,
``hq_fraction``, ``reverse_kl``); option ``config.eval.mixture.
hq_threshold`` [3.0]: the high-quality radius in mode standard deviations.
"""

from __future__ import annotations

from ganjax import data
from ganjax.evaluation import metrics
from ganjax.evaluation.base import Evaluator, fail, register


@register
class MixtureEvaluator(Evaluator):
  """PacGAN metrics of ``num_samples`` samples against the toy mixture."""
  name = 'mixture'
  metric_names = ('modes_covered', 'hq_fraction', 'reverse_kl')

  @classmethod
  def applies(cls, config):
    return (not data.is_image(config) and
            data.toy_distribution(config).dim >= 2)

  @classmethod
  def check(cls, config):
    if not config.eval.mixture.hq_threshold > 0:
      fail('mixture.hq_threshold', config.eval.mixture.hq_threshold,
           'use a positive value')

  def __init__(self, config, real):
    super().__init__(config, real)
    self.dist = data.toy_distribution(config)
    self.threshold = float(config.eval.mixture.hq_threshold)

  def evaluate(self, spec, state, rng_seed):
    x = self.samples(spec, state, rng_seed)
    return metrics.mixture_metrics(x, self.dist.means, self.dist.std,
                                   self.threshold)
