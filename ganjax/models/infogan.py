"""The networks of InfoGAN (Chen et al. 2016, appendix C.1; the MNIST
networks of openai/InfoGAN's ``RegularizedGAN``), any image size divisible
by 4.

Generator ``infogan``: z (noise and codes) -> Dense 1024 -> BN -> ReLU ->
Dense h/4 * w/4 * 128 -> BN -> ReLU -> reshape -> ConvTranspose 64 (4x4,
stride 2) -> BN -> ReLU -> ConvTranspose C (4x4, stride 2), tanh (the
paper's Bernoulli mean, mapped to [-1, 1]).

Discriminators return ``(logits [batch], q [batch, q_outputs])``: D's
logit and the Q head that shares D's body (the family sets ``q_outputs``:
one logit per category of every categorical code, one mean per continuous
code). ``infogan``: Conv 64 (4x4, stride 2) -> LeakyReLU -> Conv 128 (4x4,
stride 2) -> BN -> LeakyReLU -> Dense 1024 -> BN -> LeakyReLU, then D:
Dense 1; Q: Dense 128 -> BN -> LeakyReLU -> Dense q_outputs. ``infogan_mlp``:
an MLP body (``hidden``) with the same two heads, for small data and tests.

BatchNorm as openai/InfoGAN's (moving-average decay 0.9, epsilon 1e-5);
LeakyReLU slope 0.01 as its ``leaky_rectify``; weights N(0, 0.02). The
(transposed) convolutions are ``ganjax.models.layers``' fast forms of
flax's (the same function and parameters).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.models import layers
from ganjax.models.dcgan import check_image_shape


# openai/InfoGAN's initialisation: N(0, 0.02) weights (truncated in its
# convolutions), zero biases.
INIT = nn.initializers.normal(0.02)


def _bn(train: bool, axis_name: str | None):
  return layers.batch_norm(train, axis_name, momentum=0.9, epsilon=1e-5)


class InfoGANGenerator(nn.Module):
  """z [batch, latent] -> images [batch, H, W, C] in [-1, 1]."""
  output_shape: Sequence[int]
  hidden: int = 1024
  features: Sequence[int] = (128, 64)
  axis_name: str | None = None

  @nn.compact
  def __call__(self, z: jax.Array, train: bool = True) -> jax.Array:
    check_image_shape(self.output_shape)
    h, w, c = self.output_shape
    f0, f1 = self.features
    dense = lambda n: nn.Dense(n, kernel_init=INIT)
    x = nn.relu(_bn(train, self.axis_name)(dense(self.hidden)(z)))
    x = nn.relu(_bn(train, self.axis_name)(dense(h // 4 * w // 4 * f0)(x)))
    x = x.reshape((z.shape[0], h // 4, w // 4, f0))
    x = layers.PhaseConvTranspose(f1, (4, 4), strides=(2, 2),
                                  padding='SAME',
                                  kernel_init=INIT)(x)
    x = nn.relu(_bn(train, self.axis_name)(x))
    x = layers.PhaseConvTranspose(c, (4, 4), strides=(2, 2),
                                  padding='SAME',
                                  kernel_init=INIT)(x)
    return jnp.tanh(x)


class _Heads(nn.Module):
  """D's logit and Q's outputs on the shared features."""
  q_outputs: int
  q_hidden: int
  slope: float
  axis_name: str | None

  @nn.compact
  def __call__(self, x: jax.Array, train: bool):
    logits = nn.Dense(1, kernel_init=INIT, name='d')(x)
    q = x
    if self.q_hidden:
      q = nn.Dense(self.q_hidden, kernel_init=INIT,
                   name='q_hidden')(q)
      q = nn.leaky_relu(_bn(train, self.axis_name)(q), self.slope)
    q = nn.Dense(self.q_outputs, kernel_init=INIT,
                 name='q')(q)
    return jnp.squeeze(logits, -1), q


class InfoGANDiscriminator(nn.Module):
  """images -> (logits [batch], q [batch, q_outputs])."""
  q_outputs: int = 0
  features: Sequence[int] = (64, 128)
  hidden: int = 1024
  q_hidden: int = 128
  slope: float = 0.01
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x: jax.Array, train: bool = True):
    f0, f1 = self.features
    conv = lambda n: layers.Conv(n, (4, 4), strides=(2, 2), padding='SAME',
                                 kernel_init=INIT)
    x = nn.leaky_relu(conv(f0)(x), self.slope)
    x = nn.leaky_relu(_bn(train, self.axis_name)(conv(f1)(x)), self.slope)
    x = x.reshape((x.shape[0], -1))
    x = nn.Dense(self.hidden, kernel_init=INIT)(x)
    x = nn.leaky_relu(_bn(train, self.axis_name)(x), self.slope)
    return _Heads(self.q_outputs, self.q_hidden, self.slope,
                  self.axis_name)(x, train)


class InfoMLPDiscriminator(nn.Module):
  """samples -> (logits [batch], q [batch, q_outputs]): an MLP body."""
  q_outputs: int = 0
  hidden: Sequence[int] = (128, 128)
  q_hidden: int = 0
  slope: float = 0.2
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x: jax.Array, train: bool = True):
    x = x.reshape((x.shape[0], -1))
    for width in self.hidden:
      x = nn.leaky_relu(nn.Dense(width, kernel_init=INIT)(x),
                        self.slope)
    return _Heads(self.q_outputs, self.q_hidden, self.slope,
                  self.axis_name)(x, train)
