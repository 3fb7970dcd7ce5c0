"""Seed 003's minibatch-moments discriminator (1D Gaussian, PyTorch slides).

The slides' code (after github.com/devnag/pytorch-generative-adversarial-
networks, "Only 4 moments") never shows the discriminator single samples:
it reduces a whole minibatch of 500 values to its first four moments

    mean, std, skewness = E[z^3], excess kurtosis = E[z^4] - 3,
    with z = (x - mean) / std (population std, as torch.mean(diffs**2))

and feeds that 4-vector to Linear(4, 10) -> sigmoid -> Linear(10, 10) ->
sigmoid -> Linear(10, 1) -> sigmoid, trained with BCE. The last sigmoid
lives in the loss here (``ganjax.losses`` takes logits), so the module
returns ONE logit per minibatch: shape ``[1]``. The losses are means over
logits, so they are unchanged for a batch of one.

Under ``jax.pmap`` each device reduces its own shard of the batch (the
global batch divided by the device count) to moments; run it on one
device (``config.parallel='jit'``) to see the whole minibatch of 500 as
the slides do. A tiny epsilon (1e-8) under the square root keeps the
gradient finite if the generator collapses to a point; otherwise this is
the slides' ``get_moments``.

Parameters: 4*10+10 + 10*10+10 + 10+1 = 171.
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.models import layers


def minibatch_moments(x: jax.Array, eps: float = 1e-8) -> jax.Array:
  """All values of ``x`` -> [mean, std, skewness, excess kurtosis]."""
  x = x.reshape(-1)
  mean = jnp.mean(x)
  diffs = x - mean
  std = jnp.sqrt(jnp.mean(jnp.square(diffs)) + eps)
  z = diffs / std
  skew = jnp.mean(z**3)
  kurt = jnp.mean(z**4) - 3.0
  return jnp.stack([mean, std, skew, kurt])


class MomentsDiscriminator(nn.Module):
  """samples [batch, ...] -> one logit for the whole minibatch, [1]."""
  hidden: Sequence[int] = (10, 10)
  activation: str = 'sigmoid'
  axis_name: str | None = None  # unused: no BatchNorm; one signature.
  # Normalizes the dense layers on the moments (not the moments map).
  spectral_norm: bool = False

  @nn.compact
  def __call__(self, x: jax.Array, train: bool = True) -> jax.Array:
    act = layers.activation(self.activation)
    sn = lambda layer: layers.spectral(layer, self.spectral_norm, train)
    h = minibatch_moments(x)[None, :]  # [1, 4]
    for width in self.hidden:
      h = act(sn(nn.Dense(width, kernel_init=layers.kernel_init))(h))
    return sn(nn.Dense(1, kernel_init=layers.kernel_init))(h).reshape((1,))
