"""Families of generative systems, and what the engine asks of each.

A family owns everything specific to one kind of system (TF-GAN's
``GANModel`` / ``InfoGANModel`` / ``CycleGANModel``, the JAX way: data and
pure functions). The engine (``ganjax.loop``, ``ganjax.parallel``,
``ganjax.checkpoint``, ``ganjax.sampling``, ``ganjax.evaluation``, the CLI
and ``ganjax.api``) talks only to a ``Family`` and to the spec it builds;
it knows no generator or discriminator. ``config.family`` picks one:

* ``'gan'`` (``ganjax.families.gan``): one G against one D, unconditional
  or class-conditional, every loss and penalty of ``ganjax.losses``.
* ``'infogan'`` (``ganjax.families.infogan``): InfoGAN (Chen et al.
  2016): latent codes beside the noise, and a Q head on D's body that
  reads them back (the mutual-information term).
* ``'vae'`` (``ganjax.families.vae``): a variational autoencoder (Kingma &
  Welling 2014): Gaussian encoder, Bernoulli decoder, the ELBO. No
  adversary.

The contract (conventions of ``ganjax.steps``):

* ``build(config, data_shape, axis_name) -> spec``: everything static,
  hashable by identity (steps close over it). A spec has ``family`` (its
  name), ``data_shape``, ``latent_dim``, ``num_classes`` (0: unconditional),
  ``jacobian_truncation`` (0: off) and ``sample_latent(key, num)``.
* ``create_state(spec, seed) -> state``: one pytree of arrays with
  ``step`` and ``rng`` (the checkpoint is this pytree, nothing else).
* ``train_step(spec, state, batch) -> (state, metrics)``: pure, traced
  once under ``jax.jit`` or ``jax.pmap`` (``spec.axis_name``); gradients
  and metrics ``pmean``-ed, noise drawn for the global batch, nothing random
  on the host. ``batch`` is ``{'x': [n_critic, batch, *data_shape],
  'label': [n_critic, batch]}``; ``batch_fields`` says which it reads.
* ``generate(spec, state, z, labels) -> samples``: inference mode; what
  pictures, evaluators, ``--mode=sample`` and ``ganjax.sample`` draw
  (through ``ganjax.sampling``).
* ``networks(spec, state) -> {name: (module, variables)}``: each named
  network's module and its ``{'params', 'batch_stats'}`` (the parameter
  overview in the log).
* ``for_sampling(spec, state) -> state``: what sampling reads (no
  optimizer states; the GAN's EMA with its standing BatchNorm statistics),
  put on the device once per draw.
* ``discriminate(spec, state, x, labels) -> values`` or None: the
  adversary's readout (probabilities, or critic values) in inference mode;
  evaluators that need one (``equilibrium``) apply only when it is there.
* ``check_config(config)``: refuses, in one line, a field the family would
  otherwise ignore.
* ``curves``: the training scalars of ``loss_curves.png``.
* ``picture(config, spec) -> (z, rows, num_rows, caption)`` or None: the
  latents of a training picture of the family's own (its row of each
  sample), which ``sampling.save_family_picture`` draws beside each sample
  picture as ``samples/<family>_<step>.png`` (InfoGAN: one row per
  category of its code).

Adding a family: one module here that defines ``FAMILY``, its networks in
``ganjax/models/``, one line in ``FAMILIES`` and a config.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import ml_collections

from ganjax import config_lib, data, errors
from ganjax.families import gan, infogan, vae

PyTree = Any


@dataclasses.dataclass(frozen=True)
class Family:
  """What the engine asks of a kind of generative system (see above)."""
  name: str
  build: Callable[[ml_collections.ConfigDict, Sequence[int], str | None], Any]
  create_state: Callable[[Any, int], PyTree]
  train_step: Callable[[Any, PyTree, dict], tuple[PyTree, dict]]
  generate: Callable[..., Any]
  networks: Callable[[Any, PyTree], dict[str, tuple[Any, dict]]]
  for_sampling: Callable[[Any, PyTree], PyTree]
  check_config: Callable[[ml_collections.ConfigDict], None]
  discriminate: Callable[..., Any] | None = None
  batch_fields: tuple[str, ...] = ('x',)
  curves: tuple[str, ...] = ()
  picture: Callable[..., None] | None = None


FAMILIES: dict[str, Family] = {
    'gan': Family(**gan.FAMILY),
    'infogan': Family(**infogan.FAMILY),
    'vae': Family(**vae.FAMILY),
}


def get(name: str) -> Family:
  """The family called ``name``, or one line listing the known ones."""
  if name not in FAMILIES:
    raise errors.ConfigError(f'config.family={name!r} is not a known family; '
                             f'choose one of {sorted(FAMILIES)}.')
  return FAMILIES[name]


def of(spec: Any) -> Family:
  """The family that built ``spec``."""
  return FAMILIES[spec.family]


def build_spec(config: ml_collections.ConfigDict, data_shape: Sequence[int],
               axis_name: str | None = None) -> Any:
  """``config``'s family checked against it, and its static spec."""
  family = get(config.family)
  family.check_config(config)
  return family.build(config, tuple(data_shape), axis_name)


def build(config: ml_collections.ConfigDict,
          axis_name: str | None = None) -> tuple[Any, PyTree]:
  """``config`` validated, its family's spec and a fresh state (no data is
  read); ``axis_name`` names the device axis under pmap."""
  config_lib.validate(config)
  spec = build_spec(config, data.data_shape(config), axis_name)
  return spec, of(spec).create_state(spec, config.seed)
