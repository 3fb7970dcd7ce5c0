"""Multi-layer perceptrons for toy (1D/2D) data."""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.models import layers


class MLPGenerator(nn.Module):
  """z [batch, latent] -> samples [batch, *output_shape]."""
  output_shape: Sequence[int]
  hidden: Sequence[int] = (128, 128)
  activation: str = 'relu'
  output_activation: str = 'linear'
  axis_name: str | None = None  # unused: no BatchNorm; kept for one signature.

  @nn.compact
  def __call__(self, z: jax.Array, train: bool = True) -> jax.Array:
    act = layers.activation(self.activation)
    x = z
    for width in self.hidden:
      x = act(nn.Dense(width, kernel_init=layers.kernel_init)(x))
    size = 1
    for d in self.output_shape:
      size *= d
    x = nn.Dense(size, kernel_init=layers.kernel_init)(x)
    x = layers.activation(self.output_activation)(x)
    return x.reshape((z.shape[0],) + tuple(self.output_shape))


class MLPDiscriminator(nn.Module):
  """samples [batch, ...] -> logits [batch]."""
  hidden: Sequence[int] = (128, 128)
  activation: str = 'relu'
  dropout: float = 0.0
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x: jax.Array, train: bool = True) -> jax.Array:
    act = layers.activation(self.activation)
    x = x.reshape((x.shape[0], -1))
    for width in self.hidden:
      x = act(nn.Dense(width, kernel_init=layers.kernel_init)(x))
      if self.dropout > 0:
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
    return jnp.squeeze(nn.Dense(1, kernel_init=layers.kernel_init)(x), -1)
