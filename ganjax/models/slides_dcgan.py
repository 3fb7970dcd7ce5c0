"""The DCGAN of Thaper's slides on MNIST: ELU, dropout, sigmoid output
(``'slides_dcgan'``).

From seed 002 (Thaper, "Deep Convolutional GAN", CSC 59929 slides;
docs/SEED_SYSTEMS.md).

As in the slides' TensorFlow code (github.com/PooneetThaper/GAN-Implementation):

Discriminator: conv 5x5 stride 2, 1 -> 32 (28x28 -> 14x14), conv 5x5
stride 2, 32 -> 64 (7x7), flatten 7*7*64, FC 1024, FC 128, FC 1; ELU after
every layer but the last ("two convolutional layers followed by three fully
connected layers with all but the last layer using an Elu activation").

Generator: z [batch, 128] ~ N(0, I) -> FC 1024 (ELU) -> FC 7*7*64 (ELU) ->
reshape 7x7x64 -> transposed conv 5x5 stride 2, 64 -> 32 (14x14, ELU) ->
transposed conv 5x5 stride 2, 32 -> 1 (28x28), sigmoid: images in [0, 1].

Dropout with keep probability 0.75 (rate 0.25) after "each layer in each
network (except the last generator layer)": after every G layer but the
output one and after every D layer, the logit included (the slides'
wording; ``output_dropout=False`` drops it from the logit).

All layers have biases ('same' padding). The slides' D ends in a 'linear'
layer whose output goes to ``tf.nn.sigmoid_cross_entropy_with_logits``: the
sigmoid lives in the loss, as it does here. Parameters: G 3,398,529, D
3,395,713 (no BatchNorm, so no non-trainable ones).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax import errors
from ganjax.models import layers


class SlidesDCGANGenerator(nn.Module):
  """z [batch, 128] -> images [batch, 28, 28, 1] in [0, 1]."""
  output_shape: Sequence[int] = (28, 28, 1)
  hidden: int = 1024
  base: Sequence[int] = (7, 7, 64)
  features: int = 32
  kernel_size: int = 5
  activation: str = 'elu'
  output_activation: str = 'sigmoid'
  dropout: float = 0.25
  axis_name: str | None = None  # unused: no BatchNorm; one signature.

  @nn.compact
  def __call__(self, z: jax.Array, train: bool = True) -> jax.Array:
    h, w, c = self.base
    if tuple(self.output_shape[:2]) != (4 * h, 4 * w):
      raise errors.ConfigError(
          f'the slides_dcgan generator makes {4 * h}x{4 * w} images from '
          f'its {h}x{w} base; the data is {tuple(self.output_shape)}: set '
          f'config.data.image_size={4 * h} or config.model.generator.base.')
    act = layers.activation(self.activation)
    drop = lambda x: (nn.Dropout(self.dropout, deterministic=not train)(x)
                      if self.dropout > 0 else x)
    k = (self.kernel_size, self.kernel_size)
    x = drop(act(nn.Dense(self.hidden, kernel_init=layers.kernel_init)(z)))
    x = drop(act(nn.Dense(h * w * c, kernel_init=layers.kernel_init)(x)))
    x = x.reshape((z.shape[0], h, w, c))
    x = nn.ConvTranspose(self.features, k, strides=(2, 2), padding='SAME',
                         kernel_init=layers.kernel_init)(x)
    x = drop(act(x))
    x = nn.ConvTranspose(self.output_shape[-1], k, strides=(2, 2),
                         padding='SAME', kernel_init=layers.kernel_init)(x)
    return layers.activation(self.output_activation)(x)


class SlidesDCGANDiscriminator(nn.Module):
  """images [batch, 28, 28, 1] -> logits [batch]."""
  features: Sequence[int] = (32, 64)
  hidden: Sequence[int] = (1024, 128)
  kernel_size: int = 5
  activation: str = 'elu'
  dropout: float = 0.25
  output_dropout: bool = True
  axis_name: str | None = None  # unused: no BatchNorm; one signature.
  spectral_norm: bool = False  # Miyato et al. 2018 (layers.spectral)

  @nn.compact
  def __call__(self, x: jax.Array, train: bool = True) -> jax.Array:
    act = layers.activation(self.activation)
    sn = lambda layer: layers.spectral(layer, self.spectral_norm, train)
    drop = lambda x: (nn.Dropout(self.dropout, deterministic=not train)(x)
                      if self.dropout > 0 else x)
    k = (self.kernel_size, self.kernel_size)
    for feat in self.features:
      x = sn(nn.Conv(feat, k, strides=(2, 2), padding='SAME',
                     kernel_init=layers.kernel_init))(x)
      x = drop(act(x))
    x = x.reshape((x.shape[0], -1))
    for width in self.hidden:
      x = drop(act(sn(nn.Dense(width, kernel_init=layers.kernel_init))(x)))
    x = sn(nn.Dense(1, kernel_init=layers.kernel_init))(x)
    if self.output_dropout:
      x = drop(x)
    return jnp.squeeze(x, -1)
