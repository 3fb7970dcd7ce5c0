"""The DCGAN of the TensorFlow tutorial (seed 004's baseline), any image size.

Generator: Dense(h/4 * w/4 * 256, no bias) -> BN -> LeakyReLU -> reshape ->
ConvTranspose 128 (stride 1) -> BN -> LeakyReLU -> ConvTranspose 64
(stride 2) -> BN -> LeakyReLU -> ConvTranspose C (stride 2), tanh.
Discriminator: Conv 64 (5x5, stride 2) -> LeakyReLU -> Dropout 0.3 ->
Conv 128 (5x5, stride 2) -> LeakyReLU -> Dropout 0.3 -> Dense 1.

Speed (same function, same parameter names and shapes as the flax layers,
so checkpoints move between the settings): ``fast_transpose`` (G, default
True) computes each transposed convolution in sub-pixel form
(``layers.PhaseConvTranspose``: one stride-1 convolution and a
depth-to-space interleave), several times faster to differentiate under
XLA:CPU than ``nn.ConvTranspose``; ``fast_conv`` (D, default True) uses
``layers.Conv``, whose gradients stay fast inside ``lax.scan`` loops.
``False`` selects the flax layers. ``dtype='bfloat16'`` runs the layers in
bfloat16 (mixed precision: parameters, outputs and so the losses stay
float32).

For 28x28x1 this is exactly the tutorial (G 2,330,944 parameters counting
BatchNorm moving statistics as Keras does, D 212,865); for 32x32 the dense
layer grows to 8*8*256 as in seed 004's Fig. 9.
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.models import layers
from ganjax import errors


def check_image_shape(image_shape: Sequence[int], factor: int = 4) -> None:
  h, w = image_shape[0], image_shape[1]
  if len(image_shape) != 3 or h % factor or w % factor:
    raise errors.ConfigError(
        f'image shape {tuple(image_shape)} cannot be taken by the DCGAN: it '
        f'needs [height, width, channels] with height and width divisible by '
        f'{factor} (e.g. 28x28 or 32x32); set config.data.image_size.')


class DCGANGenerator(nn.Module):
  """z [batch, latent] -> images [batch, H, W, C] in (-1, 1) with tanh."""
  output_shape: Sequence[int] = (28, 28, 1)
  features: Sequence[int] = (256, 128, 64)
  kernel_size: int = 5
  activation: str = 'leaky_relu_0.3'
  output_activation: str = 'tanh'
  axis_name: str | None = None
  fast_transpose: bool = True
  dtype: str | None = None  # compute dtype, e.g. 'bfloat16'; params float32

  @nn.compact
  def __call__(self, z: jax.Array, train: bool = True) -> jax.Array:
    check_image_shape(self.output_shape)
    dtype = layers.compute_dtype(self.dtype, 'config.model.generator.dtype')
    h, w, c = self.output_shape
    act = layers.activation(self.activation)
    f0, f1, f2 = self.features
    k = (self.kernel_size, self.kernel_size)
    bn = lambda: layers.batch_norm(train, self.axis_name, dtype=dtype)

    def conv_transpose(feat, stride, index):
      cls = layers.PhaseConvTranspose if self.fast_transpose else (
          nn.ConvTranspose)
      return cls(feat, k, strides=(stride, stride), padding='SAME',
                 use_bias=False, kernel_init=layers.kernel_init, dtype=dtype,
                 name=f'ConvTranspose_{index}')

    x = nn.Dense(h // 4 * w // 4 * f0, use_bias=False,
                 kernel_init=layers.kernel_init, dtype=dtype)(z)
    x = act(bn()(x))
    x = x.reshape((z.shape[0], h // 4, w // 4, f0))
    for index, (feat, stride) in enumerate(((f1, 1), (f2, 2))):
      x = act(bn()(conv_transpose(feat, stride, index)(x)))
    x = conv_transpose(c, 2, 2)(x)
    x = layers.activation(self.output_activation)(x)
    return x.astype(jnp.float32)


class DCGANDiscriminator(nn.Module):
  """images [batch, H, W, C] -> logits [batch]."""
  features: Sequence[int] = (64, 128)
  kernel_size: int = 5
  activation: str = 'leaky_relu_0.3'
  dropout: float = 0.3
  axis_name: str | None = None
  fast_conv: bool = True
  dtype: str | None = None  # compute dtype, e.g. 'bfloat16'; params float32
  spectral_norm: bool = False  # Miyato et al. 2018 (layers.spectral)

  @nn.compact
  def __call__(self, x: jax.Array, train: bool = True) -> jax.Array:
    dtype = layers.compute_dtype(self.dtype,
                                 'config.model.discriminator.dtype')
    act = layers.activation(self.activation)
    sn = lambda layer: layers.spectral(layer, self.spectral_norm, train)
    k = (self.kernel_size, self.kernel_size)
    conv = layers.Conv if self.fast_conv else nn.Conv
    for index, feat in enumerate(self.features):
      x = sn(conv(feat, k, strides=(2, 2), padding='SAME',
                  kernel_init=layers.kernel_init, dtype=dtype,
                  name=f'Conv_{index}'))(x)
      x = act(x)
      if self.dropout > 0:
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
    x = x.reshape((x.shape[0], -1))
    logits = sn(nn.Dense(1, kernel_init=layers.kernel_init, dtype=dtype))(x)
    return jnp.squeeze(logits, -1).astype(jnp.float32)
