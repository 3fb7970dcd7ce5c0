"""The GAN as data: a static ``GAN`` spec and one ``GANState`` pytree.

``GAN`` holds what does not change during training and is not an array: the
two Flax modules, the loss, the two optax transformations and the step's
hyper-parameters. ``GANState`` holds every array that does: both networks'
parameters and BatchNorm statistics, both optimizer states, the step and the
root random key. Steps are pure functions ``(GAN, GANState, batch) ->
(GANState, metrics)``; the checkpoint is ``GANState`` alone.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import optax

from ganjax import config_lib, data, errors, losses, models

PyTree = Any

# 'uniform': U(-1, 1); 'uniform01': U[0, 1) (torch.rand, as seed 003's code).
LATENT_DISTRIBUTIONS = ('normal', 'uniform', 'uniform01')


@flax.struct.dataclass
class GANState:
  step: jax.Array
  g_params: PyTree
  g_batch_stats: PyTree
  g_ema_params: PyTree  # EMA of g_params ({} when model.ema_decay is 0)
  d_params: PyTree
  d_batch_stats: PyTree
  g_opt_state: PyTree
  d_opt_state: PyTree
  rng: jax.Array
  # ADA's {'p', 'signs', 'count'} when config.augment.ada is set, else {}
  # (an empty field is not saved: older checkpoints restore as they are).
  augment: PyTree = flax.struct.field(default_factory=dict)


@flax.struct.dataclass
class Network:
  """One named network of a family's state: its parameters, BatchNorm
  statistics and optimizer state (``GANState`` keeps the older flat
  layout, so checkpoints written before families still restore)."""
  params: PyTree
  batch_stats: PyTree
  opt_state: PyTree


@dataclasses.dataclass(frozen=True)
class GAN:
  """Everything static about a GAN; hashable, so steps can close over it."""
  generator: nn.Module
  discriminator: nn.Module
  loss: losses.GANLoss
  g_tx: optax.GradientTransformation
  d_tx: optax.GradientTransformation
  data_shape: tuple[int, ...]
  latent_dim: int
  latent_dist: str = 'normal'
  n_critic: int = 1
  g_steps: int = 1  # G updates per step, after the n_critic D updates
  update_scheme: str = 'alternating'  # or 'simultaneous' (one pass)
  gp_weight: float = 0.0  # lambda of the gradient penalty (0: off)
  r1_weight: float = 0.0  # gamma of the R1 penalty on real data (0: off)
  top_k_fraction: float = 1.0  # nu of top-k G updates (1: off)
  top_k_decay: float = 0.999  # gamma of top-k G updates, per step
  # ACGAN (> 0: D has an auxiliary classifier; losses.acgan_d_loss/g_loss)
  acgan_weight: float = 0.0  # lambda of the class cross-entropy
  acgan_fake_weight: float = 1.0  # D's share on generated images
  axis_name: str | None = None  # the device axis under pmap, else None
  num_classes: int = 0  # > 0: a class-conditional GAN (G and D take labels)
  ema_decay: float = 0.0  # > 0: keep an EMA of G's weights for sampling
  ema_start: int = 0  # the EMA copies G until this step
  ema_standing_stats: int = 0  # batches of standing BN statistics (EMA G)
  batch_size: int = 0  # the global batch (standing statistics use it)
  augment_policy: str = ''  # DiffAugment policy of D's inputs ('' = off)
  ada_pipeline: str = ''  # ADA's transforms ('' = off)
  ada_target: float = 0.6
  ada_speed_images: int = 500_000
  ada_interval: int = 4
  jacobian_truncation: float = 0.0  # > 0: fraction of latents rejected
  # at sampling time, those where ||dG/dz|| is largest (ganjax.truncation)
  family: str = 'gan'  # ganjax.families

  def sample_latent(self, key: jax.Array, num: int) -> jax.Array:
    return sample_noise(key, (num, self.latent_dim), self.latent_dist)

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


OPTIMIZERS = ('adam', 'sgd', 'rmsprop')
SCHEDULES = config_lib.SCHEDULES


def learning_rate_schedule(cfg: ml_collections.ConfigDict, field: str,
                           num_updates: int | None):
  """The learning rate of ``cfg``: a float, or an optax schedule of the count.

  ``cfg.schedule`` ['constant']: the float ``cfg.learning_rate``.
  ``'linear'`` / ``'cosine'``: the rate is held at ``learning_rate`` for the
  first ``decay_start`` [0.0] fraction of the ``num_updates`` updates, then
  decays linearly / along a half cosine to ``final_lr_fraction`` [0.0] x
  ``learning_rate`` at update ``num_updates``, and stays there.
  """
  lr = cfg.learning_rate
  schedule = cfg.schedule
  if schedule not in SCHEDULES:
    raise errors.ConfigError(
        f'{field}.schedule={schedule!r} is not a known learning-rate '
        f'schedule; choose one of {list(SCHEDULES)}.')
  if schedule == 'constant':
    return lr
  final = cfg.final_lr_fraction
  start = cfg.decay_start
  if not 0.0 <= final <= 1.0:
    raise errors.ConfigError(f'{field}.final_lr_fraction={final!r} is not '
                             'allowed: use a value in [0, 1].')
  if not 0.0 <= start < 1.0:
    raise errors.ConfigError(f'{field}.decay_start={start!r} is not '
                             'allowed: use a fraction in [0, 1).')
  if not num_updates or num_updates <= 0:
    raise errors.ConfigError(
        f'{field}.schedule={schedule!r} needs the number of updates '
        f'(got {num_updates!r}).')
  begin = int(round(start * num_updates))
  length = max(num_updates - begin, 1)
  if schedule == 'linear':
    decay = optax.linear_schedule(lr, lr * final, length)
  else:
    decay = optax.cosine_decay_schedule(lr, length, alpha=final)
  if begin == 0:
    return decay
  return optax.join_schedules([optax.constant_schedule(lr), decay], [begin])


def make_optimizer(cfg: ml_collections.ConfigDict, field: str,
                   num_updates: int | None = None
                   ) -> optax.GradientTransformation:
  """An optax optimizer from ``{name, learning_rate, b1, b2, eps, momentum,
  schedule, final_lr_fraction, decay_start}``.

  ``num_updates``: the updates this optimizer will make in the whole run
  (``train.steps * train.n_critic`` for D, ``train.steps * train.g_steps``
  for G); a ``'linear'`` or ``'cosine'`` schedule decays over them. With the
  default ``schedule='constant'`` the optimizer (and its state) is the one
  a float learning rate gives.
  """
  name = cfg.name
  if name not in OPTIMIZERS:
    raise errors.ConfigError(f'{field}.name={name!r} is not a known '
                             f'optimizer; choose one of {list(OPTIMIZERS)}.')
  lr = learning_rate_schedule(cfg, field, num_updates)
  if name == 'adam':
    return optax.adam(lr, b1=cfg.get('b1', 0.9), b2=cfg.get('b2', 0.999),
                      eps=cfg.eps)
  if name == 'sgd':
    momentum = cfg.momentum
    return optax.sgd(lr, momentum=momentum or None)
  return optax.rmsprop(lr)


def sample_noise(key: jax.Array, shape: tuple[int, ...],
                 dist: str) -> jax.Array:
  """Noise of ``shape`` from ``config.model.latent_dist``'s law ``dist``."""
  if dist == 'uniform':
    return jax.random.uniform(key, shape, minval=-1.0, maxval=1.0)
  if dist == 'uniform01':
    return jax.random.uniform(key, shape)
  return jax.random.normal(key, shape)


def build_gan(config: ml_collections.ConfigDict, data_shape: Sequence[int],
              axis_name: str | None = None) -> GAN:
  """The static GAN spec described by ``config`` for data of ``data_shape``."""
  m = config.model
  config_lib.check_update(config.train)
  if m.latent_dist not in LATENT_DISTRIBUTIONS:
    raise errors.ConfigError(f'config.model.latent_dist={m.latent_dist!r} is not '
                     f'known; choose one of {list(LATENT_DISTRIBUTIONS)}.')
  num_classes = m.num_classes
  return GAN(
      generator=models.build_generator(m.generator, data_shape, axis_name,
                                       num_classes, m.dtype),
      discriminator=models.build_discriminator(
          m.discriminator, axis_name, num_classes, m.dtype,
          aux_classifier=config.loss.acgan_weight > 0),
      loss=losses.get_loss(config.loss.name),
      g_tx=make_optimizer(
          config.optim.g, 'config.optim.g',
          config.train.steps * config.train.g_steps),
      d_tx=make_optimizer(config.optim.d, 'config.optim.d',
                          config.train.steps * config.train.n_critic),
      data_shape=tuple(data_shape),
      latent_dim=m.latent_dim,
      latent_dist=m.latent_dist,
      n_critic=config.train.n_critic,
      gp_weight=losses.gp_weight(config.loss),
      r1_weight=config.loss.r1_weight,
      top_k_fraction=config.loss.top_k_fraction,
      top_k_decay=config.loss.top_k_decay,
      acgan_weight=config.loss.acgan_weight,
      acgan_fake_weight=config.loss.acgan_fake_weight,
      axis_name=axis_name,
      num_classes=num_classes,
      g_steps=config.train.g_steps,
      update_scheme=config.train.update_scheme,
      ema_decay=m.ema_decay,
      ema_start=m.ema_start,
      ema_standing_stats=m.ema_standing_stats,
      batch_size=config.train.batch_size,
      augment_policy=config.augment.policy,
      ada_pipeline=config.augment.ada,
      ada_target=config.augment.ada_target,
      ada_speed_images=config.augment.ada_speed_images,
      ada_interval=config.augment.ada_interval,
      jacobian_truncation=m.jacobian_truncation,
  )


def create_state(gan: GAN, seed: int) -> GANState:
  """Fresh parameters and optimizer states; one root key for the run.

  Compiled (one XLA program instead of hundreds of eager ops), so building a
  large model's state takes a fraction of a second.
  """
  return jax.jit(_create_state, static_argnums=0)(gan, seed)


def _create_state(gan: GAN, seed) -> GANState:
  g_key, d_key, run_key = jax.random.split(jax.random.PRNGKey(seed), 3)
  z = jnp.zeros((1, gan.latent_dim), jnp.float32)
  kwargs = {'labels': jnp.zeros((1,), jnp.int32)} if gan.num_classes else {}
  g_vars = gan.generator.init({'params': g_key}, z, train=False, **kwargs)
  fake = gan.generator.apply(g_vars, z, train=False, **kwargs)
  # An ACGAN's D is called without labels (no projection parameters).
  d_vars = gan.discriminator.init({'params': d_key}, fake, train=False,
                                  **({} if gan.acgan_weight else kwargs))
  g_params, d_params = g_vars['params'], d_vars['params']
  return GANState(
      step=jnp.zeros((), jnp.int32),
      g_params=g_params,
      g_batch_stats=g_vars.get('batch_stats', {}),
      g_ema_params=jax.tree.map(jnp.copy, g_params) if gan.ema_decay else {},
      d_params=d_params,
      d_batch_stats=d_vars.get('batch_stats', {}),
      g_opt_state=gan.g_tx.init(g_params),
      d_opt_state=gan.d_tx.init(d_params),
      rng=run_key,
      augment=({'p': jnp.zeros((), jnp.float32),
                'signs': jnp.zeros((), jnp.float32),
                'count': jnp.zeros((), jnp.int32)}
               if gan.ada_pipeline else {}),
  )


def count_parameters(params: PyTree, batch_stats: PyTree = None) -> dict:
  """Trainable, non-trainable (BatchNorm moving statistics) and total counts.

  The same split Keras' ``model.summary()`` prints, so the counts compare
  with the tables of the seed documents.
  """
  size = lambda t: sum(int(x.size) for x in jax.tree.leaves(t))
  trainable, fixed = size(params), size(batch_stats or {})
  return {'trainable': trainable, 'non_trainable': fixed,
          'total': trainable + fixed}


def build(config: ml_collections.ConfigDict,
          axis_name: str | None = None) -> tuple[GAN, GANState]:
  """``config`` validated, its GAN spec and a fresh state (no data is
  read); ``axis_name`` names the device axis under pmap."""
  config_lib.validate(config)
  gan = build_gan(config, data.data_shape(config), axis_name)
  return gan, create_state(gan, config.seed)
