"""Generators and discriminators by name, built from ``config.model``.

``config.model.generator`` and ``config.model.discriminator`` are dicts with
a ``name`` (a key of ``GENERATORS`` / ``DISCRIMINATORS``) and the module's
own fields as the other keys. Every generator maps ``z [batch, latent]`` to
samples ``[batch, *data_shape]``; every discriminator maps samples to logits
``[batch]``. Both take ``train`` and an ``axis_name`` for BatchNorm under
``jax.pmap``.

Speed and precision fields (``mlp`` and ``dcgan``): ``dtype`` [None:
float32] = ``'bfloat16'`` runs the layers in bfloat16 with float32
parameters and float32 outputs, so losses and the gradient penalty stay
float32 (mixed precision, for GPUs: on CPU it is not faster).
``config.model.dtype`` [None] sets it for both G and D from the command line
(``--config.model.dtype=bfloat16``; a ``dtype`` in the generator or
discriminator dict wins).
``dcgan`` generator ``fast_transpose`` [True] and discriminator
``fast_conv`` [True] compute the same function as flax's
``nn.ConvTranspose`` / ``nn.Conv`` in forms XLA compiles better
(``ganjax.models.layers``; same parameter names, so checkpoints move
between the settings); ``False`` selects the flax layers.

Spectral normalization (Miyato et al. 2018): every discriminator has a
field ``spectral_norm`` [False; True for ``resnet_sngan32``, as in SNGAN],
set as ``config.model.discriminator = dict(name=..., spectral_norm=True)``.
It divides each dense, convolution (and projection embedding) kernel by its
largest singular value (``layers.spectral``, i.e. ``flax.linen.SpectralNorm``).
The trainable parameters are unchanged; the power-iteration vector ``u`` and
``sigma`` of each kernel live in D's ``batch_stats`` (the state's
``d_batch_stats``, so they are checkpointed and resumed). They advance in
D's real and fake forward passes of D's update (train mode); the gradient
penalty's and R1's critic calls and G's step run D in train mode but drop
what they would store, and inference (``train=False``) uses the stored
vectors without updating them.

ACGAN (``config.loss.acgan_weight`` > 0): ``projection_mlp``,
``projection_dcgan`` and ``resnet_sngan32`` take ``aux_classifier``
[False], set by the spec from the config: D then returns ``(logits,
class_logits)`` (``ganjax.models.conditional.auxiliary_classifier``).

``resnet_sngan32`` (``ganjax.models.resnet``): the CIFAR-10 ResNet of SNGAN
(torch-mimicry's widths), optionally class-conditional (conditional
BatchNorm in G, projection in D) with ``num_classes``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Sequence

import flax.linen as nn

from ganjax.models.dcgan import DCGANDiscriminator, DCGANGenerator
from ganjax.models.mlp import MLPDiscriminator, MLPGenerator
from ganjax.models import (conditional, infogan, keras_report, moments,
                           resnet, slides_dcgan, tf_report)
from ganjax import errors

GENERATORS: dict[str, type[nn.Module]] = {
    'mlp': MLPGenerator,
    'dcgan': DCGANGenerator,
    # The seed documents' systems (docs/SEED_SYSTEMS.md). The Keras report's
    # generators are all 'dcgan' (kernel_size 5 or 3).
    'tf_report_mnist': tf_report.TFReportGenerator,
    'slides_dcgan': slides_dcgan.SlidesDCGANGenerator,
    'conditional_dcgan': conditional.ConditionalDCGANGenerator,
    'conditional_mlp': conditional.ConditionalMLPGenerator,
    'resnet_sngan32': resnet.ResNetGenerator,
    'infogan': infogan.InfoGANGenerator,
}
DISCRIMINATORS: dict[str, type[nn.Module]] = {
    'mlp': MLPDiscriminator,
    'dcgan': DCGANDiscriminator,
    'tf_report_mnist': tf_report.TFReportDiscriminator,
    'slides_dcgan': slides_dcgan.SlidesDCGANDiscriminator,
    'moments': moments.MomentsDiscriminator,
    'conv_pool': keras_report.ConvPoolDiscriminator,
    'keras_mnist_modified': keras_report.KerasMNISTModifiedDiscriminator,
    'keras_svhn_baseline': keras_report.KerasSVHNBaselineDiscriminator,
    'keras_svhn_modified': keras_report.KerasSVHNModifiedDiscriminator,
    'projection_dcgan': conditional.ProjectionDCGANDiscriminator,
    'projection_mlp': conditional.ProjectionMLPDiscriminator,
    'resnet_sngan32': resnet.ResNetDiscriminator,
}
# Discriminators with InfoGAN's Q head (``config.family='infogan'``):
# ``(logits, q)``.
INFO_DISCRIMINATORS: dict[str, type[nn.Module]] = {
    'infogan': infogan.InfoGANDiscriminator,
    'infogan_mlp': infogan.InfoMLPDiscriminator,
}
# Former names (config version < 3; ``ganjax.workdir`` maps them in old
# config.json files): a config that still uses one is told the new name.
RENAMED: dict[str, str] = {
    'seed000': 'tf_report_mnist',
    'seed002': 'slides_dcgan',
    'seed004_mnist_modified': 'keras_mnist_modified',
    'seed004_svhn_baseline': 'keras_svhn_baseline',
    'seed004_svhn_modified': 'keras_svhn_modified',
}


def _build(registry: Mapping[str, type[nn.Module]], spec: Mapping[str, Any],
           field: str, dtype: str | None = None, **extra: Any) -> nn.Module:
  spec = dict(spec)
  name = spec.pop('name', None)
  if name in RENAMED:
    raise errors.ConfigError(
        f'{field}.name={name!r} was renamed: use '
        f'{field}.name={RENAMED[name]!r}.')
  if name not in registry:
    raise errors.ConfigError(f'{field}.name={name!r} is not a known model; choose one '
                     f'of {sorted(registry)}.')
  cls = registry[name]
  allowed = {f.name for f in dataclasses.fields(cls)} - {'parent', 'name'}
  if dtype is not None and 'dtype' not in spec:
    if 'dtype' not in allowed:
      with_dtype = sorted(k for k, c in registry.items()
                          if 'dtype' in {f.name for f in dataclasses.fields(c)})
      raise errors.ConfigError(
          f'config.model.dtype={dtype!r} is not supported by the {name!r} '
          f'model of {field}; unset it or use one of {with_dtype}.')
    spec['dtype'] = dtype
  for key in spec:
    if key not in allowed:
      raise errors.ConfigError(f'{field}.{key} is not a field of the {name!r} model; '
                       f'its fields are {sorted(allowed - set(extra))}.')
  kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()}
  kwargs.update({k: v for k, v in extra.items() if k in allowed})
  return cls(**kwargs)


def build_generator(spec: Mapping[str, Any], data_shape: Sequence[int],
                    axis_name: str | None = None,
                    num_classes: int = 0,
                    dtype: str | None = None) -> nn.Module:
  """The generator named in ``spec``, producing samples of ``data_shape``
  (conditional models get ``num_classes`` from ``config.model``; ``dtype``:
  ``config.model.dtype``)."""
  return _build(GENERATORS, spec, 'config.model.generator', dtype,
                output_shape=tuple(data_shape), axis_name=axis_name,
                **({'num_classes': num_classes} if num_classes else {}))


def build_discriminator(spec: Mapping[str, Any], axis_name: str | None = None,
                        num_classes: int = 0,
                        dtype: str | None = None,
                        aux_classifier: bool = False) -> nn.Module:
  """The discriminator named in ``spec`` (``dtype``: as for G); with
  ``aux_classifier`` (ACGAN, ``config.loss.acgan_weight`` > 0) one that
  also returns class logits (``ganjax.models.conditional``)."""
  extra = {'num_classes': num_classes} if num_classes else {}
  if aux_classifier:
    name = dict(spec).get('name')
    with_head = sorted(k for k, c in DISCRIMINATORS.items() if
                       'aux_classifier' in {f.name for f in
                                            dataclasses.fields(c)})
    if name in DISCRIMINATORS and name not in with_head:
      raise errors.ConfigError(
          f'config.loss.acgan_weight > 0 needs a discriminator with an '
          f'auxiliary classifier head; {name!r} has none: use one of '
          f'{with_head} (class-conditional).')
    extra['aux_classifier'] = True
  return _build(DISCRIMINATORS, spec, 'config.model.discriminator', dtype,
                axis_name=axis_name, **extra)


def build_info_discriminator(spec: Mapping[str, Any], q_outputs: int,
                             axis_name: str | None = None) -> nn.Module:
  """The discriminator named in ``spec`` with InfoGAN's Q head of
  ``q_outputs`` (``INFO_DISCRIMINATORS``)."""
  return _build(INFO_DISCRIMINATORS, spec, 'config.model.discriminator',
                q_outputs=q_outputs, axis_name=axis_name)
