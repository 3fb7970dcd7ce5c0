"""Class-conditional GANs (named in seeds 001 and 003): DCGAN and MLP.

Generators take the class through a learned label embedding concatenated
to z (Mirza & Osindero 2014's conditional GAN, with an embedding in place
of the one-hot code): ``G([z, embed_G(y)])``.

Discriminators are projection discriminators (Miyato & Koyama 2018,
"cGANs with Projection Discriminator"): with phi(x) the features before
the last layer,

    logit(x, y) = psi(phi(x)) + <embed_D(y), phi(x)>,

psi a dense layer to one unit and embed_D a learned [num_classes,
feature_dim] matrix.

The training step (``ganjax.steps``) passes ``labels`` (int32 [batch]) to
both networks whenever ``config.model.num_classes > 0``: the class of each
real image, the mode index of each toy sample, uniform classes for
generated ones. ``num_classes`` must also be given to the modules
(``config.model.generator.num_classes`` and ``...discriminator.num_classes``;
the configs set all three from one value).

ACGAN (Odena et al. 2017; ``config.loss.acgan_weight`` > 0): with
``aux_classifier=True`` (set by ``ganjax.state.build_gan``, not by hand)
a discriminator returns ``(logits [batch], class_logits [batch,
num_classes])``: the class logits are one dense layer on the same
features phi(x), without bias and spectrally normalized with D
(PyTorch-StudioGAN's ``linear2`` of its ``'AC'`` discriminators). The
training step then calls D without labels, so its adversarial logit is
psi(phi(x)) alone (no projection: an ACGAN's D is not conditioned on y).

Without labels (a caller that knows nothing of classes, such as the
fixed-z sample picture of ``ganjax.loop``) the generator cycles through
the classes, ``y_i = i mod num_classes``, and the discriminator returns
the unconditional part psi(phi(x)) alone. For one row per class, see
``ganjax.sampling.save_class_picture``.
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax import errors
from ganjax.models import layers
from ganjax.models.dcgan import DCGANGenerator
from ganjax.models.mlp import MLPGenerator


def _check_classes(num_classes: int, who: str) -> None:
  if not isinstance(num_classes, int) or num_classes <= 0:
    raise errors.ConfigError(
        f'config.model.{who}.num_classes={num_classes!r} is not allowed: a '
        f'conditional model needs the number of classes (a positive integer, '
        f'equal to config.model.num_classes).')


def cycled_labels(num: int, num_classes: int) -> jax.Array:
  """``[0, 1, ..., num_classes - 1, 0, 1, ...]`` of length ``num``."""
  return jnp.arange(num, dtype=jnp.int32) % num_classes


def _embed_and_concat(z: jax.Array, labels: jax.Array | None,
                      num_classes: int, embed_dim: int) -> jax.Array:
  if labels is None:
    labels = cycled_labels(z.shape[0], num_classes)
  e = nn.Embed(num_classes, embed_dim, embedding_init=layers.kernel_init,
               name='label_embed')(labels.astype(jnp.int32))
  return jnp.concatenate([z, e.astype(z.dtype)], axis=-1)


def projection(h: jax.Array, labels: jax.Array | None, num_classes: int,
                sn=lambda layer: layer) -> jax.Array:
  """psi(h) + <embed(y), h>: [batch, features] -> [batch]. ``sn`` wraps
  each layer (spectral normalization: psi and the embedding matrix, as
  SNGAN's projection discriminator normalizes both)."""
  logit = jnp.squeeze(sn(nn.Dense(1, kernel_init=layers.kernel_init,
                                  name='psi'))(h), -1)
  if labels is None:
    return logit
  embed = sn(nn.Embed(num_classes, h.shape[-1],
                      embedding_init=layers.kernel_init,
                      name='label_projection'))
  return logit + jnp.sum(embed(labels.astype(jnp.int32)) * h, axis=-1)


def auxiliary_classifier(h: jax.Array, num_classes: int,
                         sn=lambda layer: layer) -> jax.Array:
  """ACGAN's class logits: [batch, features] -> [batch, num_classes] (a
  dense layer without bias; ``sn`` as in ``projection``)."""
  return sn(nn.Dense(num_classes, use_bias=False,
                     kernel_init=layers.kernel_init,
                     name='aux_classifier'))(h)


def heads(h: jax.Array, labels: jax.Array | None, num_classes: int,
          aux: bool, sn=lambda layer: layer):
  """The projection head's logits, and with ``aux`` (ACGAN) the
  auxiliary classifier's class logits beside them."""
  logits = projection(h, labels, num_classes, sn)
  if aux:
    return logits, auxiliary_classifier(h, num_classes, sn)
  return logits


class ConditionalDCGANGenerator(nn.Module):
  """(z [batch, latent], labels [batch]) -> images [batch, H, W, C].

  The tutorial DCGAN generator (``'dcgan'``) on ``[z, embed(y)]``.
  """
  output_shape: Sequence[int] = (28, 28, 1)
  num_classes: int = 10
  embed_dim: int = 50
  features: Sequence[int] = (256, 128, 64)
  kernel_size: int = 5
  activation: str = 'leaky_relu_0.3'
  output_activation: str = 'tanh'
  axis_name: str | None = None

  @nn.compact
  def __call__(self, z: jax.Array, train: bool = True,
               labels: jax.Array | None = None) -> jax.Array:
    _check_classes(self.num_classes, 'generator')
    zy = _embed_and_concat(z, labels, self.num_classes, self.embed_dim)
    return DCGANGenerator(
        output_shape=self.output_shape, features=self.features,
        kernel_size=self.kernel_size, activation=self.activation,
        output_activation=self.output_activation, axis_name=self.axis_name,
        name='dcgan')(zy, train)


class ProjectionDCGANDiscriminator(nn.Module):
  """(images, labels [batch]) -> logits [batch] (and class logits with
  ``aux_classifier``).

  phi: the tutorial DCGAN discriminator's trunk (conv 5x5/2 64, conv 5x5/2
  128, LeakyReLU(0.3), dropout 0.3, flatten); then the projection head.
  """
  num_classes: int = 10
  features: Sequence[int] = (64, 128)
  kernel_size: int = 5
  activation: str = 'leaky_relu_0.3'
  dropout: float = 0.3
  axis_name: str | None = None  # unused: no BatchNorm; one signature.
  spectral_norm: bool = False  # Miyato et al. 2018 (layers.spectral)
  aux_classifier: bool = False  # ACGAN: also return class logits

  @nn.compact
  def __call__(self, x: jax.Array, train: bool = True,
               labels: jax.Array | None = None):
    _check_classes(self.num_classes, 'discriminator')
    act = layers.activation(self.activation)
    sn = lambda layer: layers.spectral(layer, self.spectral_norm, train)
    k = (self.kernel_size, self.kernel_size)
    for feat in self.features:
      x = act(sn(nn.Conv(feat, k, strides=(2, 2), padding='SAME',
                         kernel_init=layers.kernel_init))(x))
      if self.dropout > 0:
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
    h = x.reshape((x.shape[0], -1))
    return heads(h, labels, self.num_classes, self.aux_classifier, sn)


class ConditionalMLPGenerator(nn.Module):
  """(z [batch, latent], labels [batch]) -> samples [batch, *output_shape].

  The ``'mlp'`` generator on ``[z, embed(y)]``.
  """
  output_shape: Sequence[int] = (2,)
  num_classes: int = 8
  embed_dim: int = 8
  hidden: Sequence[int] = (128, 128)
  activation: str = 'relu'
  output_activation: str = 'linear'
  axis_name: str | None = None  # unused: no BatchNorm; one signature.

  @nn.compact
  def __call__(self, z: jax.Array, train: bool = True,
               labels: jax.Array | None = None) -> jax.Array:
    _check_classes(self.num_classes, 'generator')
    zy = _embed_and_concat(z, labels, self.num_classes, self.embed_dim)
    return MLPGenerator(
        output_shape=self.output_shape, hidden=self.hidden,
        activation=self.activation, output_activation=self.output_activation,
        name='mlp')(zy, train)


class ProjectionMLPDiscriminator(nn.Module):
  """(samples [batch, ...], labels [batch]) -> logits [batch] (and class
  logits with ``aux_classifier``).

  phi: dense layers ``hidden`` with ``activation``; then the projection
  head.
  """
  num_classes: int = 8
  hidden: Sequence[int] = (128, 128)
  activation: str = 'relu'
  dropout: float = 0.0
  axis_name: str | None = None  # unused: no BatchNorm; one signature.
  spectral_norm: bool = False  # Miyato et al. 2018 (layers.spectral)
  aux_classifier: bool = False  # ACGAN: also return class logits

  @nn.compact
  def __call__(self, x: jax.Array, train: bool = True,
               labels: jax.Array | None = None):
    _check_classes(self.num_classes, 'discriminator')
    act = layers.activation(self.activation)
    sn = lambda layer: layers.spectral(layer, self.spectral_norm, train)
    h = x.reshape((x.shape[0], -1))
    for width in self.hidden:
      h = act(sn(nn.Dense(width, kernel_init=layers.kernel_init))(h))
      if self.dropout > 0:
        h = nn.Dropout(self.dropout, deterministic=not train)(h)
    return heads(h, labels, self.num_classes, self.aux_classifier, sn)
