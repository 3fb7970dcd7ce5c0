"""``equilibrium``: ``d_real``, mean D(x) over held-out real data (the test
split for images, fresh draws for toy data), and ``d_fake``, mean D(G(z))
over ``num_samples`` samples: probabilities for minimax/ns, critic values
for the Wasserstein losses. Applies to families with a discriminator."""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax
import numpy as np

from ganjax import families, sampling
from ganjax.evaluation.base import Evaluator, has_discriminator, register


@functools.lru_cache(maxsize=16)
def _discriminate_fn(spec: Any) -> Callable:
  discriminate = families.of(spec).discriminate
  return jax.jit(lambda s, x, y: discriminate(spec, s, x, y))


def discriminator_mean(spec: Any, state: Any, x: np.ndarray,
                       labels: np.ndarray | None,
                       batch_size: int = 500) -> float:
  """Mean D(x) in inference mode: the probability when the loss reads
  logits as probabilities (minimax, ns), the critic value otherwise."""
  if not spec.num_classes:
    labels = None
  state = sampling.on_device(spec, state)
  fn = _discriminate_fn(spec)
  values = sampling.map_batches(
      lambda xx, yy: fn(state, xx, yy), batch_size,
      np.asarray(x, np.float32),
      None if labels is None else np.asarray(labels, np.int32))
  return float(np.mean(values.astype(np.float64)))


@register
class EquilibriumEvaluator(Evaluator):
  """``d_real`` and ``d_fake`` (see the module docstring)."""
  name = 'equilibrium'
  metric_names = ('d_real', 'd_fake')

  @classmethod
  def applies(cls, config):
    return has_discriminator(config)

  def evaluate(self, spec, state, rng_seed):
    real = self.real.heldout(self.num_samples)
    fake = self.samples(spec, state, rng_seed)
    return {
        'd_real': discriminator_mean(spec, state, real['x'], real['label'],
                                     self.batch_size),
        'd_fake': discriminator_mean(spec, state, fake,
                                     sampling.cycling_labels(
                                         spec.num_classes, len(fake)),
                                     self.batch_size)}
