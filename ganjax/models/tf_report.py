"""The MNIST GAN of the TensorFlow project report (``'tf_report_mnist'``).

From seed 000 (Gupta, Singh, Mukherjee, "Exploring GANs using TensorFlow",
2018; docs/SEED_SYSTEMS.md).

The report describes the discriminator as "a standard convolutional neural
network" built from convolution layers, ReLU or leaky ReLU (slope 0.01, its
Leaky ReLU equation), max pooling "with a 2x2 filter and stride = 2" (its
Fig. 2.4) and fully connected layers ending in a real/fake classifier, and
the generator as "the inverse of that ... a deconvolutional network"
(Fig. 2.5). It gives no layer sizes, so these are chosen here, after the
classic TensorFlow MNIST CNN the report's TensorFlow 1.5 era used:

Discriminator: 28x28x1 -> conv 5x5 32 -> leaky ReLU(0.01) -> max pool 2x2/2
(14x14) -> conv 5x5 64 -> leaky ReLU -> max pool (7x7) -> flatten 3136 ->
FC 1024 -> leaky ReLU -> FC 1. Its softmax over {real, fake} is a sigmoid
of one logit; it lives in the loss (``ganjax.losses``).

Generator, the mirror image: z [batch, 100] -> FC 1024 -> ReLU -> FC
7*7*64 -> ReLU -> reshape 7x7x64 -> deconv (transposed conv) 5x5 stride 2
to 32 (14x14, undoing a pool) -> ReLU -> deconv 5x5 stride 2 to 1 (28x28)
-> tanh (images in [-1, 1]).

No BatchNorm (the report names none). Parameters: G 3,369,857, D 3,265,409.
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax import errors
from ganjax.models import layers


class TFReportGenerator(nn.Module):
  """z [batch, latent] -> images [batch, 28, 28, 1] in (-1, 1)."""
  output_shape: Sequence[int] = (28, 28, 1)
  hidden: int = 1024
  base_features: int = 64
  features: int = 32
  kernel_size: int = 5
  activation: str = 'relu'
  output_activation: str = 'tanh'
  axis_name: str | None = None  # unused: no BatchNorm; one signature.

  @nn.compact
  def __call__(self, z: jax.Array, train: bool = True) -> jax.Array:
    h, w, c = self.output_shape
    if h % 4 or w % 4:
      raise errors.ConfigError(
          f'the tf_report_mnist generator doubles its size twice; image '
          f'shape {tuple(self.output_shape)} needs height and width '
          f'divisible by 4: set config.data.image_size (e.g. 28).')
    act = layers.activation(self.activation)
    k = (self.kernel_size, self.kernel_size)
    x = act(nn.Dense(self.hidden, kernel_init=layers.kernel_init)(z))
    x = act(nn.Dense(h // 4 * w // 4 * self.base_features,
                     kernel_init=layers.kernel_init)(x))
    x = x.reshape((z.shape[0], h // 4, w // 4, self.base_features))
    x = act(nn.ConvTranspose(self.features, k, strides=(2, 2), padding='SAME',
                             kernel_init=layers.kernel_init)(x))
    x = nn.ConvTranspose(c, k, strides=(2, 2), padding='SAME',
                         kernel_init=layers.kernel_init)(x)
    return layers.activation(self.output_activation)(x)


class TFReportDiscriminator(nn.Module):
  """images [batch, H, W, C] -> logits [batch]."""
  features: Sequence[int] = (32, 64)
  kernel_size: int = 5
  hidden: Sequence[int] = (1024,)
  negative_slope: float = 0.01  # the report's Leaky ReLU: 0.01 x for x < 0
  axis_name: str | None = None  # unused: no BatchNorm; one signature.
  spectral_norm: bool = False  # Miyato et al. 2018 (layers.spectral)

  @nn.compact
  def __call__(self, x: jax.Array, train: bool = True) -> jax.Array:
    act = lambda v: nn.leaky_relu(v, self.negative_slope)
    sn = lambda layer: layers.spectral(layer, self.spectral_norm, train)
    k = (self.kernel_size, self.kernel_size)
    for feat in self.features:
      x = act(sn(nn.Conv(feat, k, padding='SAME',
                         kernel_init=layers.kernel_init))(x))
      x = nn.max_pool(x, (2, 2), strides=(2, 2), padding='VALID')
    x = x.reshape((x.shape[0], -1))
    for width in self.hidden:
      x = act(sn(nn.Dense(width, kernel_init=layers.kernel_init))(x))
    return jnp.squeeze(sn(nn.Dense(1, kernel_init=layers.kernel_init))(x), -1)
