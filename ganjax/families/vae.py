"""The variational autoencoder (``config.family='vae'``), the baseline the
seed documents compare GANs with (Kingma & Welling 2014, *Auto-Encoding
Variational Bayes*).

A Gaussian encoder ``q(z | x) = N(mean(x), diag(exp(log_var(x))))``
(``config.model.encoder``, ``ganjax.models.encoders``), a Bernoulli decoder
``p(x | z)`` whose logits come from a generator network
(``config.model.generator``, e.g. ``mlp`` with ``output_activation=
'linear'``), the prior ``p(z) = N(0, I)`` and the loss ``loss.name='elbo'``:
the negative ELBO per example, ``E_q[-log p(x | z)] + KL(q(z | x) || p(z))``
with one reparameterized draw of z. Pixels are read as Bernoulli
probabilities after mapping ``data.value_range`` to [0, 1]; samples are the
decoder's means mapped back.

Both networks are trained together by one optimizer, ``config.optim.g``
(Adam is per element, so one state per network is the same update).
There is no adversary: no discriminator, no ``optim.d``, no GAN loss; the
config check refuses those fields when set (nothing is silently ignored).
"""

from __future__ import annotations

import dataclasses

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import optax

from ganjax import config_lib, errors, models, state as state_lib, steps
from ganjax.models import encoders
from ganjax.state import Network

LOSSES = ('elbo',)


@flax.struct.dataclass
class VAEState:
  step: jax.Array
  encoder: Network
  decoder: Network
  rng: jax.Array


@dataclasses.dataclass(frozen=True)
class VAE:
  """Everything static about a VAE; hashable by identity."""
  encoder: nn.Module
  decoder: nn.Module
  tx: optax.GradientTransformation
  data_shape: tuple[int, ...]
  latent_dim: int
  value_range: tuple[float, float] = (-1.0, 1.0)
  axis_name: str | None = None
  num_classes: int = 0
  jacobian_truncation: float = 0.0
  family: str = 'vae'

  def sample_latent(self, key: jax.Array, num: int) -> jax.Array:
    """The prior: z ~ N(0, I)."""
    return jax.random.normal(key, (num, self.latent_dim))

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


# Fields a VAE has no use for: each must keep its base_config() value.
_UNUSED = ('loss.gp_weight', 'loss.r1_weight', 'loss.top_k_fraction',
           'loss.top_k_decay', 'loss.acgan_weight', 'loss.acgan_fake_weight',
           'train.n_critic', 'train.g_steps',
           'train.update_scheme', 'model.num_classes', 'model.ema_decay',
           'model.ema_start', 'model.ema_standing_stats',
           'model.latent_dist', 'model.jacobian_truncation', 'optim.d',
           'augment', 'model.codes', 'loss.info_weight')


def check_config(config: ml_collections.ConfigDict) -> None:
  """One line for a field the VAE would ignore."""
  if config.loss.name not in LOSSES:
    raise errors.ConfigError(
        f'config.loss.name={config.loss.name!r} is a GAN loss: the vae '
        f"family trains on loss.name='elbo'.")
  if config.model.discriminator.name != 'none':
    raise errors.ConfigError(
        "the vae family has no discriminator: set config.model."
        "discriminator=dict(name='none').")
  if config.model.encoder.name == 'none':
    raise errors.ConfigError(
        "the vae family needs an encoder: set config.model.encoder, e.g. "
        "dict(name='mlp', hidden=(400,)).")
  changed = config_lib.changed_field(config, _UNUSED)
  if changed:
    dotted, value, default = changed
    raise errors.ConfigError(
        f'config.{dotted} is not used by the vae family (it trains '
        f'encoder and decoder with optim.g on the ELBO): leave it at '
        f'{default!r} (it is {value!r}).')


def build(config: ml_collections.ConfigDict, data_shape, axis_name=None
          ) -> VAE:
  m = config.model
  lo, hi = config.data.value_range
  return VAE(
      encoder=encoders.build_encoder(m.encoder, m.latent_dim, axis_name),
      decoder=models.build_generator(m.generator, data_shape, axis_name,
                                     0, m.dtype),
      tx=state_lib.make_optimizer(config.optim.g, 'config.optim.g',
                                  config.train.steps),
      data_shape=tuple(data_shape), latent_dim=m.latent_dim,
      value_range=(float(lo), float(hi)), axis_name=axis_name)


def create_state(vae: VAE, seed: int) -> VAEState:
  return jax.jit(_create_state, static_argnums=0)(vae, seed)


def _create_state(vae: VAE, seed) -> VAEState:
  e_key, d_key, run_key = jax.random.split(jax.random.PRNGKey(seed), 3)
  x = jnp.zeros((1,) + vae.data_shape, jnp.float32)
  z = jnp.zeros((1, vae.latent_dim), jnp.float32)
  nets = {}
  for name, module, key, inputs in (('encoder', vae.encoder, e_key, x),
                                    ('decoder', vae.decoder, d_key, z)):
    variables = module.init({'params': key}, inputs, train=False)
    nets[name] = Network(params=variables['params'],
                         batch_stats=variables.get('batch_stats', {}),
                         opt_state=vae.tx.init(variables['params']))
  return VAEState(step=jnp.zeros((), jnp.int32), rng=run_key, **nets)


def _apply(module: nn.Module, net: Network, params, inputs, train: bool):
  """``module`` on ``inputs``; returns (output, new batch_stats)."""
  variables = {'params': params}
  if net.batch_stats:
    variables['batch_stats'] = net.batch_stats
  if net.batch_stats and train:
    out, updates = module.apply(variables, inputs, train=True,
                                mutable=['batch_stats'])
    return out, updates['batch_stats']
  return module.apply(variables, inputs, train=train), net.batch_stats


def _to_unit(vae: VAE, x: jax.Array) -> jax.Array:
  lo, hi = vae.value_range
  return (x - lo) / (hi - lo)


def negative_elbo(x01: jax.Array, logits: jax.Array, mean: jax.Array,
                  log_var: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Per example: the Bernoulli reconstruction term ``-log p(x | z)``
  (summed over pixels, targets in [0, 1]) and ``KL(N(mean, exp(log_var))
  || N(0, I))`` in closed form."""
  axes = tuple(range(1, x01.ndim))
  recon = jnp.sum(jax.nn.softplus(logits) - x01 * logits, axis=axes)
  kl = 0.5 * jnp.sum(jnp.exp(log_var) + mean**2 - 1.0 - log_var, axis=-1)
  return recon, kl


def train_step(vae: VAE, state: VAEState,
               batch: dict[str, jax.Array]) -> tuple[VAEState, dict]:
  """One Adam step on the negative ELBO of ``batch['x'][0]``; the noise of
  the reparameterization is drawn for the global batch and sliced."""
  x = batch['x'][0]
  key = jax.random.fold_in(state.rng, state.step)
  eps = steps.draw_global(vae, key, x.shape[0], vae.sample_latent)
  x01 = _to_unit(vae, x)

  def loss_fn(enc_params, dec_params):
    (mean, log_var), enc_stats = _apply(vae.encoder, state.encoder,
                                        enc_params, x, True)
    z = mean + jnp.exp(0.5 * log_var) * eps
    logits, dec_stats = _apply(vae.decoder, state.decoder, dec_params, z,
                               True)
    recon, kl = negative_elbo(x01, logits, mean, log_var)
    loss = jnp.mean(recon + kl)
    return loss, (enc_stats, dec_stats, jnp.mean(recon), jnp.mean(kl))

  (loss, (enc_stats, dec_stats, recon, kl)), grads = jax.value_and_grad(
      loss_fn, argnums=(0, 1), has_aux=True)(state.encoder.params,
                                             state.decoder.params)
  grads = steps.pmean(grads, vae.axis_name)
  nets = {}
  for name, net, grad, stats in (('encoder', state.encoder, grads[0],
                                  enc_stats),
                                 ('decoder', state.decoder, grads[1],
                                  dec_stats)):
    updates, opt_state = vae.tx.update(grad, net.opt_state, net.params)
    nets[name] = Network(params=optax.apply_updates(net.params, updates),
                         batch_stats=stats, opt_state=opt_state)
  state = state.replace(step=state.step + 1, **nets)
  metrics = {'loss': loss, 'recon': recon, 'kl': kl,
             'grad_norm': optax.global_norm(grads)}
  return state, steps.pmean(metrics, vae.axis_name)


def generate(vae: VAE, state: VAEState, z: jax.Array,
             labels: jax.Array | None = None) -> jax.Array:
  """The decoder's mean E[x | z] in ``data.value_range``."""
  del labels  # Unconditional.
  logits, _ = _apply(vae.decoder, state.decoder, state.decoder.params, z,
                     False)
  lo, hi = vae.value_range
  return lo + (hi - lo) * jax.nn.sigmoid(logits)


def networks(vae: VAE, state: VAEState) -> dict:
  return {name.capitalize(): (module, {'params': net.params,
                                       'batch_stats': net.batch_stats})
          for name, module, net in (('encoder', vae.encoder, state.encoder),
                                    ('decoder', vae.decoder, state.decoder))}


def for_sampling(vae: VAE, state: VAEState) -> VAEState:
  del vae
  return state.replace(encoder=state.encoder.replace(opt_state=()),
                       decoder=state.decoder.replace(opt_state=()))


FAMILY = dict(
    name='vae',
    build=build,
    create_state=create_state,
    train_step=train_step,
    generate=generate,
    networks=networks,
    for_sampling=for_sampling,
    check_config=check_config,
    discriminate=None,
    batch_fields=('x',),
    curves=('loss', 'recon', 'kl'),
)
