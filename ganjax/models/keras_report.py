"""The Keras discriminators of the MNIST and SVHN report (Figs. 8, 10, 12):
``'keras_mnist_modified'``, ``'keras_svhn_baseline'``,
``'keras_svhn_modified'``, presets of the general ``'conv_pool'``.

From seed 004 (Qiao, Wang, Zhang, "Final Project: Generative Adversarial
Networks", a Keras project; docs/SEED_SYSTEMS.md). It trains three GANs
per dataset. Their generators are all the TensorFlow-tutorial DCGAN
generator (``'dcgan'``, ``ganjax.models.dcgan``) with a different kernel
size:

* MNIST baseline: the tutorial, 5x5 (G 2,330,944 params, D 212,865);
* Fig. 7, MNIST modified G: ``'dcgan'`` with ``kernel_size=3`` (1,674,560);
* Fig. 9, SVHN baseline G: ``'dcgan'`` at 32x32 (dense 8*8*256), 5x5
  (2,730,304);
* Fig. 11, SVHN modified G: ``'dcgan'`` at 32x32 with ``kernel_size=3``
  (2,073,920).

The discriminators differ and live here, as one ``ConvPoolDiscriminator``
with a preset per figure. Every conv block is, in the figures' order::

    Conv2D ('same') -> LeakyReLU(0.3) -> [Dropout] -> MaxPool 2x2 -> [BN]

then Flatten -> [Dense -> LeakyReLU]* -> Dense(1). Keras' MaxPooling2D is
'valid', so an odd size is floored (7 -> 3 would be; Fig. 8 never pools an
odd size: 14 -> pool 7 -> stride-2 'same' conv 4 -> pool 2).

The figures give layer output shapes and parameter counts but not every
kernel size; where the text does not state one, it is derived from the
count ``k*k*c_in*c_out + c_out``:

* Fig. 8 (MNIST modified D): conv2d_2 1,664 = 5*5*1*64 + 64 and conv2d_3
  204,928 = 5*5*64*128 + 128 -> 5x5, stride 2 (14x14 from 28x28, 4x4 from
  7x7), as in the tutorial D. Total 207,105.
* Fig. 10 (SVHN baseline D): conv2d 1,600 = 7*7*1*32 + 32 -> 7x7;
  conv2d_1 51,264 = 5*5*32*64 + 64 -> 5x5; conv2d_2 73,856 = 3*3*64*128 +
  128 -> 3x3; all stride 1 (the output size equals the input size).
  Total 2,750,593 (192 non-trainable: BN moving mean and variance).
* Fig. 12 (SVHN modified D): as Fig. 10, then BN after the third block and
  a fourth conv, conv2d_25 32,832 = 2*2*128*64 + 64 -> 2x2 ('same' pads
  one row/column after, as TensorFlow does), and dense layers 1024, 512,
  216. Total 1,059,441 (448 non-trainable).

Seed 004 puts a sigmoid on the modified MNIST D's output ("we add
activation function -- sigmoid"). Here every discriminator returns the
logit and the sigmoid lives in the loss (``ganjax.losses`` computes the
binary cross-entropy of ``sigmoid(logit)`` in log-sigmoid form).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax import errors
from ganjax.models import layers


class ConvPoolDiscriminator(nn.Module):
  """images [batch, H, W, C] -> logits [batch].

  Attributes:
    features: output channels of each conv block.
    kernel_sizes: square kernel of each conv block.
    strides: stride of each conv block.
    batch_norm: per block, BatchNorm after the pooling (Keras' defaults).
    pool: a 2x2 max pooling (stride 2, 'valid') in every block.
    dropout: rate of a Dropout after each block's activation (0: none).
    hidden: widths of the dense layers between Flatten and the logit.
    activation: of every conv and hidden dense layer.
    spectral_norm: spectral normalization of every conv and dense layer
      (``layers.spectral``; the presets below inherit it).
  """
  features: Sequence[int] = (64, 128)
  kernel_sizes: Sequence[int] = (5, 5)
  strides: Sequence[int] = (2, 2)
  batch_norm: Sequence[bool] = (False, False)
  pool: bool = True
  dropout: float = 0.3
  hidden: Sequence[int] = ()
  activation: str = 'leaky_relu_0.3'
  axis_name: str | None = None
  spectral_norm: bool = False  # Miyato et al. 2018 (layers.spectral)

  @nn.compact
  def __call__(self, x: jax.Array, train: bool = True) -> jax.Array:
    n = len(self.features)
    if not (len(self.kernel_sizes) == len(self.strides) == len(self.batch_norm)
            == n):
      raise errors.ConfigError(
          f'config.model.discriminator: features={tuple(self.features)}, '
          f'kernel_sizes={tuple(self.kernel_sizes)}, strides='
          f'{tuple(self.strides)} and batch_norm={tuple(self.batch_norm)} '
          'must have one entry per conv block.')
    act = layers.activation(self.activation)
    sn = lambda layer: layers.spectral(layer, self.spectral_norm, train)
    for feat, k, s, bn in zip(self.features, self.kernel_sizes, self.strides,
                              self.batch_norm):
      x = sn(nn.Conv(feat, (k, k), strides=(s, s), padding='SAME',
                     kernel_init=layers.kernel_init))(x)
      x = act(x)
      if self.dropout > 0:
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
      if self.pool:
        x = nn.max_pool(x, (2, 2), strides=(2, 2), padding='VALID')
      if bn:
        x = layers.batch_norm(train, self.axis_name)(x)
    x = x.reshape((x.shape[0], -1))
    for width in self.hidden:
      x = act(sn(nn.Dense(width, kernel_init=layers.kernel_init))(x))
    return jnp.squeeze(sn(nn.Dense(1, kernel_init=layers.kernel_init))(x), -1)


class KerasMNISTModifiedDiscriminator(ConvPoolDiscriminator):
  """``'keras_mnist_modified'``, seed 004 Fig. 8: the tutorial D with a
  2x2 max pooling after each block. 28x28x1 -> conv 5x5/2 64 (14x14) ->
  pool (7x7) -> conv 5x5/2 128 (4x4) -> pool (2x2) -> flatten 512 ->
  dense 1. 207,105 parameters."""
  features: Sequence[int] = (64, 128)
  kernel_sizes: Sequence[int] = (5, 5)
  strides: Sequence[int] = (2, 2)
  batch_norm: Sequence[bool] = (False, False)
  pool: bool = True
  dropout: float = 0.3
  hidden: Sequence[int] = ()


class KerasSVHNBaselineDiscriminator(ConvPoolDiscriminator):
  """``'keras_svhn_baseline'``, seed 004 Fig. 10: 32x32x1 -> conv 7x7 32 ->
  pool -> BN (16x16) -> conv 5x5 64 -> pool -> BN (8x8) -> conv 3x3 128 ->
  pool (4x4) -> flatten 2048 -> dense 1024 -> dense 512 -> dense 1.
  2,750,593 parameters (192 non-trainable)."""
  features: Sequence[int] = (32, 64, 128)
  kernel_sizes: Sequence[int] = (7, 5, 3)
  strides: Sequence[int] = (1, 1, 1)
  batch_norm: Sequence[bool] = (True, True, False)
  pool: bool = True
  dropout: float = 0.0
  hidden: Sequence[int] = (1024, 512)


class KerasSVHNModifiedDiscriminator(ConvPoolDiscriminator):
  """``'keras_svhn_modified'``, seed 004 Fig. 12: Fig. 10 with BN after the
  third block, a fourth block conv 2x2 64 -> pool (2x2x64), and dense
  1024 -> 512 -> 216 -> 1. 1,059,441 parameters (448 non-trainable)."""
  features: Sequence[int] = (32, 64, 128, 64)
  kernel_sizes: Sequence[int] = (7, 5, 3, 2)
  strides: Sequence[int] = (1, 1, 1, 1)
  batch_norm: Sequence[bool] = (True, True, True, False)
  pool: bool = True
  dropout: float = 0.0
  hidden: Sequence[int] = (1024, 512, 216)
