"""The ResNet SNGAN for 32x32 images (``'resnet_sngan32'``).

Miyato et al. 2018 ("Spectral Normalization for GANs", the CIFAR-10 ResNet
of its appendix), with the widths and layers of torch-mimicry's
``torch_mimicry/nets/sngan/sngan_32.py`` (its blocks:
``nets/modules/resblocks.py``; the conditional variant, cGAN-PD:
``nets/cgan_pd/cgan_pd_32.py``), in NHWC.

Generator (``features`` = mimicry's ngf = 256): z [batch, 128] -> dense
4*4*256 -> 3 up-sampling residual blocks -> BN -> ReLU -> conv 3x3 to C ->
tanh. A block is ``BN -> ReLU -> up x2 -> conv 3x3 -> BN -> ReLU -> conv
3x3`` plus the shortcut ``up x2 -> conv 1x1``; up-sampling is bilinear
(half-pixel centres, PyTorch's ``align_corners=False``) as in mimicry.
With ``num_classes > 0`` the blocks' BatchNorms are conditional (no affine
parameters of their own; a per-class scale and shift from an embedding
[num_classes, 2 * channels], scale initialized N(1, 0.02), shift 0).

Discriminator (``features`` = mimicry's ndf = 128): an optimized first
block (``conv 3x3 -> ReLU -> conv 3x3 -> avg pool 2``, shortcut ``avg pool
2 -> conv 1x1``), a down-sampling block and two blocks that keep the size
(``ReLU -> conv 3x3 -> ReLU -> conv 3x3 [-> avg pool 2]``, shortcut ``conv
1x1 [-> avg pool 2]`` where the size or width changes) -> ReLU -> global
sum pooling -> dense 1. Spectral normalization of every layer is on by
default, as in SNGAN (``spectral_norm``; ``layers.spectral``). With
``num_classes > 0`` the projection head of ``ganjax.models.conditional``
adds <embed(y), h> (the embedding spectrally normalized too, as mimicry's
``SNEmbedding``).

Initialization as mimicry: Xavier-uniform with gain sqrt(2) for the
residual convolutions, gain 1 for the shortcuts, the first dense, the last
conv and the last dense; biases start at zero (PyTorch's are small uniform
values). BatchNorm has PyTorch's momentum and epsilon (0.1, 1e-5: flax's
``momentum=0.9``). Parameters (CIFAR-10, 32x32x3): G 4,276,739 trainable
(+3,584 BN moving statistics), D 1,053,825; conditional with 10 classes G
4,304,387, D 1,055,105 (tests/test_resnet.py derives each from mimicry's
layer shapes).
"""

from __future__ import annotations

import math
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax import errors
from ganjax.models import layers
from ganjax.models.conditional import cycled_labels, heads

# PyTorch's BatchNorm2d defaults in flax's terms.
_BN = dict(momentum=0.9, epsilon=1e-5)


def xavier(gain: float = 1.0):
  """PyTorch's ``xavier_uniform_(w, gain)``: U(-a, a), a = gain *
  sqrt(6 / (fan_in + fan_out))."""
  return nn.initializers.variance_scaling(gain * gain, 'fan_avg', 'uniform')


def _conv(features: int, k: int, gain: float, name: str) -> nn.Module:
  return layers.Conv(features, (k, k), padding='SAME', kernel_init=xavier(gain),
                     name=name)


def upsample(x: jax.Array) -> jax.Array:
  """Bilinear x2 (half-pixel centres: ``F.interpolate(x, scale_factor=2,
  mode='bilinear', align_corners=False)``)."""
  b, h, w, c = x.shape
  return jax.image.resize(x, (b, 2 * h, 2 * w, c), 'bilinear')


def downsample(x: jax.Array) -> jax.Array:
  return nn.avg_pool(x, (2, 2), strides=(2, 2))


def _cbn_init(key, shape, dtype=jnp.float32):
  """[num_classes, 2 * C]: scales N(1, 0.02), shifts 0 (mimicry's
  ``ConditionalBatchNorm2d``)."""
  c = shape[-1] // 2
  scale = 1.0 + 0.02 * jax.random.normal(key, shape[:-1] + (c,), dtype)
  return jnp.concatenate([scale, jnp.zeros_like(scale)], axis=-1)


class ConditionalBatchNorm(nn.Module):
  """BatchNorm without affine parameters, then a per-class scale and
  shift: ``gamma[y] * BN(x) + beta[y]``."""
  num_classes: int
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x: jax.Array, labels: jax.Array,
               train: bool) -> jax.Array:
    c = x.shape[-1]
    x = layers.batch_norm(train, self.axis_name, use_scale=False,
                          use_bias=False, **_BN)(x)
    gamma_beta = nn.Embed(self.num_classes, 2 * c, embedding_init=_cbn_init,
                          name='embed')(labels.astype(jnp.int32))
    gamma, beta = gamma_beta[:, None, None, :c], gamma_beta[:, None, None, c:]
    return x * gamma + beta


class GBlock(nn.Module):
  """The generator's residual block (mimicry's ``GBlock``)."""
  features: int
  upsample: bool = True
  num_classes: int = 0
  axis_name: str | None = None

  def _norm(self, x, labels, train, name):
    if self.num_classes:
      return ConditionalBatchNorm(self.num_classes, self.axis_name,
                                  name=name)(x, labels, train)
    return layers.batch_norm(train, self.axis_name, name=name, **_BN)(x)

  @nn.compact
  def __call__(self, x: jax.Array, labels: jax.Array | None,
               train: bool) -> jax.Array:
    up = upsample if self.upsample else (lambda v: v)
    h = nn.relu(self._norm(x, labels, train, 'b1'))
    h = _conv(self.features, 3, math.sqrt(2.0), 'c1')(up(h))
    h = nn.relu(self._norm(h, labels, train, 'b2'))
    h = _conv(self.features, 3, math.sqrt(2.0), 'c2')(h)
    if self.upsample or x.shape[-1] != self.features:
      x = _conv(self.features, 1, 1.0, 'c_sc')(up(x))
    return h + x


class ResNetGenerator(nn.Module):
  """z [batch, latent] (and class labels) -> images [batch, H, W, C] in
  (-1, 1)."""
  output_shape: Sequence[int] = (32, 32, 3)
  features: int = 256  # mimicry's ngf
  bottom_width: int = 4
  num_blocks: int = 3
  num_classes: int = 0  # > 0: conditional BatchNorm in the blocks
  axis_name: str | None = None

  @nn.compact
  def __call__(self, z: jax.Array, train: bool = True,
               labels: jax.Array | None = None) -> jax.Array:
    h, w, c = self.output_shape
    size = self.bottom_width * 2 ** self.num_blocks
    if (h, w) != (size, size):
      raise errors.ConfigError(
          f'the resnet_sngan32 generator makes {size}x{size} images '
          f'(bottom_width {self.bottom_width}, {self.num_blocks} up-sampling '
          f'blocks); the data is {tuple(self.output_shape)}: set '
          f'config.data.image_size={size}.')
    if self.num_classes and labels is None:
      labels = cycled_labels(z.shape[0], self.num_classes)
    f, b = self.features, self.bottom_width
    x = nn.Dense(b * b * f, kernel_init=xavier(1.0), name='l1')(z)
    x = x.reshape((z.shape[0], b, b, f))
    for i in range(self.num_blocks):
      x = GBlock(f, upsample=True, num_classes=self.num_classes,
                 axis_name=self.axis_name, name=f'block{i + 2}')(
                     x, labels, train)
    x = nn.relu(layers.batch_norm(train, self.axis_name, name='b5', **_BN)(x))
    x = _conv(c, 3, 1.0, 'c5')(x)
    return jnp.tanh(x).astype(jnp.float32)


class DBlock(nn.Module):
  """The discriminator's residual block (mimicry's ``DBlock``, or
  ``DBlockOptimized`` with ``optimized``: the first block, on the image)."""
  features: int
  downsample: bool = False
  optimized: bool = False
  spectral_norm: bool = True

  @nn.compact
  def __call__(self, x: jax.Array, train: bool) -> jax.Array:
    sn = lambda layer: layers.spectral(layer, self.spectral_norm, train)
    down = downsample if self.downsample else (lambda v: v)
    g = math.sqrt(2.0)
    if self.optimized:  # conv -> ReLU -> conv -> pool; pool -> conv 1x1
      h = nn.relu(sn(_conv(self.features, 3, g, 'c1'))(x))
      h = down(sn(_conv(self.features, 3, g, 'c2'))(h))
      return h + sn(_conv(self.features, 1, 1.0, 'c_sc'))(down(x))
    h = sn(_conv(x.shape[-1], 3, g, 'c1'))(nn.relu(x))  # hidden = in
    h = down(sn(_conv(self.features, 3, g, 'c2'))(nn.relu(h)))
    if self.downsample or x.shape[-1] != self.features:
      x = down(sn(_conv(self.features, 1, 1.0, 'c_sc'))(x))
    return h + x


class ResNetDiscriminator(nn.Module):
  """images [batch, H, W, C] (and class labels) -> logits [batch]."""
  features: int = 128  # mimicry's ndf
  spectral_norm: bool = True  # SNGAN's; False gives the plain ResNet
  num_classes: int = 0  # > 0: projection head (Miyato & Koyama 2018)
  axis_name: str | None = None  # unused: no BatchNorm; one signature.
  aux_classifier: bool = False  # ACGAN: also return class logits

  @nn.compact
  def __call__(self, x: jax.Array, train: bool = True,
               labels: jax.Array | None = None):
    f, sn_on = self.features, self.spectral_norm
    x = DBlock(f, downsample=True, optimized=True, spectral_norm=sn_on,
               name='block1')(x, train)
    x = DBlock(f, downsample=True, spectral_norm=sn_on, name='block2')(
        x, train)
    for i in (3, 4):
      x = DBlock(f, spectral_norm=sn_on, name=f'block{i}')(x, train)
    h = jnp.sum(nn.relu(x), axis=(1, 2))  # global sum pooling
    sn = lambda layer: layers.spectral(layer, sn_on, train)
    if self.num_classes:
      return heads(h, labels, self.num_classes, self.aux_classifier, sn)
    return jnp.squeeze(sn(nn.Dense(1, kernel_init=xavier(1.0),
                                   name='l5'))(h), -1)
