"""Multi-layer perceptrons for toy (1D/2D) data.

``dtype='bfloat16'`` (a field of both) runs the layers in bfloat16 with
float32 parameters; samples and logits come out float32, so losses and the
gradient penalty are computed in float32.
"""

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
  dtype: str | None = None  # compute dtype, e.g. 'bfloat16'; params float32

  @nn.compact
  def __call__(self, z: jax.Array, train: bool = True) -> jax.Array:
    dtype = layers.compute_dtype(self.dtype, 'config.model.generator.dtype')
    act = layers.activation(self.activation)
    x = z
    for width in self.hidden:
      x = act(nn.Dense(width, kernel_init=layers.kernel_init, dtype=dtype)(x))
    size = 1
    for d in self.output_shape:
      size *= d
    x = nn.Dense(size, kernel_init=layers.kernel_init, dtype=dtype)(x)
    x = layers.activation(self.output_activation)(x)
    x = x.reshape((z.shape[0],) + tuple(self.output_shape))
    return x.astype(jnp.float32)


class MLPDiscriminator(nn.Module):
  """samples [batch, ...] -> logits [batch]."""
  hidden: Sequence[int] = (128, 128)
  activation: str = 'relu'
  dropout: float = 0.0
  axis_name: str | None = None
  dtype: str | None = None  # compute dtype, e.g. 'bfloat16'; params float32
  spectral_norm: bool = False  # Miyato et al. 2018 (layers.spectral)

  @nn.compact
  def __call__(self, x: jax.Array, train: bool = True) -> jax.Array:
    dtype = layers.compute_dtype(self.dtype,
                                 'config.model.discriminator.dtype')
    act = layers.activation(self.activation)
    sn = lambda layer: layers.spectral(layer, self.spectral_norm, train)
    x = x.reshape((x.shape[0], -1))
    for width in self.hidden:
      x = act(sn(nn.Dense(width, kernel_init=layers.kernel_init,
                          dtype=dtype))(x))
      if self.dropout > 0:
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
    logits = sn(nn.Dense(1, kernel_init=layers.kernel_init, dtype=dtype))(x)
    return jnp.squeeze(logits, -1).astype(jnp.float32)
