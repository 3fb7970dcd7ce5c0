"""The GAN family (``config.family='gan'``): one generator against one
discriminator, unconditional or class-conditional (``model.num_classes``).

Its parts: the static spec and state (``ganjax.state``: ``GAN``,
``GANState``), the pure steps (``ganjax.steps``), the losses and penalties
(``ganjax.losses``) and the networks (``ganjax.models``). This module only
tells the engine where they are (``ganjax.families``).
"""

from __future__ import annotations

import collections
import functools
import hashlib

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from ganjax import config_lib, errors, losses, state as state_lib, steps
from ganjax.state import GAN, GANState


def check_config(config: ml_collections.ConfigDict) -> None:
  """A GAN has no encoder (``model.encoder`` stays unset), and top-k G
  updates need a loss of G's samples alone (not a relativistic one)."""
  loss = losses.get_loss(config.loss.name)
  if loss.relativistic and config.loss.top_k_fraction < 1.0:
    raise errors.ConfigError(
        f'config.loss.top_k_fraction={config.loss.top_k_fraction!r} is not '
        f'defined for the relativistic loss {loss.name!r} (its G loss '
        'scores real and fake together): use top_k_fraction=1.0.')
  changed = config_lib.changed_field(config, ('model.codes',
                                               'loss.info_weight'))
  if changed:
    dotted, value, default = changed
    raise errors.ConfigError(
        f'config.{dotted}={value!r} is InfoGAN\'s, not used by the gan '
        f"family: set config.family='infogan', or leave it at {default!r}.")
  if config.model.encoder.name != 'none':
    raise errors.ConfigError(
        f'config.model.encoder={config.model.encoder.name!r} is not used by '
        "the 'gan' family (it has no encoder): leave model.encoder.name="
        "'none', or choose a family with one (config.family='vae').")


def networks(gan: GAN, state: GANState) -> dict:
  return {
      'Generator': (gan.generator, {'params': state.g_params,
                                    'batch_stats': state.g_batch_stats}),
      'Discriminator': (gan.discriminator, {
          'params': state.d_params, 'batch_stats': state.d_batch_stats}),
  }


def for_sampling(gan: GAN, state: GANState) -> GANState:
  """The state sampling reads: no optimizer states, and with an EMA of a
  BatchNorm generator, the EMA weights' standing statistics
  (``standing_statistics``) in place of the online G's."""
  state = state.replace(g_opt_state=(), d_opt_state=())
  if gan.ema_decay and gan.ema_standing_stats and state.g_batch_stats:
    state = state.replace(g_batch_stats=standing_statistics(gan, state))
  return state


STANDING_KEY = 0x57A7D
_STANDING: collections.OrderedDict = collections.OrderedDict()


def standing_statistics(gan: GAN, state: GANState) -> dict:
  """BatchNorm statistics for G's EMA weights (BigGAN's "standing
  statistics"): the mean over ``gan.ema_standing_stats`` batches of
  ``gan.batch_size`` latents (fixed key) of the batch statistics the EMA
  weights produce in train mode. The moving statistics of the online G
  belong to other weights, and sampling the EMA with them is off.

  Kept for the last few states (a picture and the evaluators of one
  checkpoint compute them once).
  """
  digest = hashlib.sha1()
  for leaf in jax.tree.leaves((state.g_ema_params, state.g_batch_stats)):
    digest.update(np.asarray(leaf).tobytes())
  key = (id(gan), digest.hexdigest())
  if key not in _STANDING:
    _STANDING[key] = jax.device_get(_standing(gan, state.g_ema_params,
                                              state.g_batch_stats))
    if len(_STANDING) > 4:
      _STANDING.popitem(last=False)
  return _STANDING[key]


@functools.partial(jax.jit, static_argnums=0)
def _standing(gan: GAN, params, stats):
  def batch_stats(moving, key):
    """The moving statistics after one train-mode batch from ``moving``
    (``momentum * moving + (1 - momentum) * batch statistics``)."""
    z_key, y_key, drop_key = jax.random.split(key, 3)
    z = gan.sample_latent(z_key, gan.batch_size)
    kwargs = {}
    if gan.num_classes:
      kwargs['labels'] = jax.random.randint(y_key, (gan.batch_size,), 0,
                                            gan.num_classes)
    run = lambda m: gan.generator.apply(
        {'params': params, 'batch_stats': m}, z, train=True,
        mutable=['batch_stats'], rngs={'dropout': drop_key},
        **kwargs)[1]['batch_stats']
    if gan.axis_name is not None:  # BatchNorm's collectives need the axis.
      return jax.tree.map(lambda x: x[0], jax.vmap(
          run, axis_name=gan.axis_name)(jax.tree.map(lambda x: x[None],
                                                     moving)))
    return run(moving)

  keys = jax.random.split(jax.random.PRNGKey(STANDING_KEY),
                          gan.ema_standing_stats)
  # The update is linear in the moving statistics: the momentum of every
  # element is what a shift of 1 in them moves the result by.
  first = batch_stats(stats, keys[0])
  momentum = jax.tree.map(jnp.subtract, batch_stats(
      jax.tree.map(lambda x: x + 1.0, stats), keys[0]), first)
  after = jax.lax.map(lambda k: batch_stats(stats, k), keys)
  return jax.tree.map(
      lambda a, m0, m: (jnp.mean(a, axis=0) - m * m0) / (1.0 - m),
      after, stats, momentum)


def discriminate(gan: GAN, state: GANState, x: jax.Array,
                 labels: jax.Array | None) -> jax.Array:
  """D's readout in inference mode (no dropout, BatchNorm on its moving
  statistics): the probability D(x) when the loss reads logits as
  probabilities (minimax, ns), the critic value otherwise."""
  variables = {'params': state.d_params}
  if state.d_batch_stats:
    variables['batch_stats'] = state.d_batch_stats
  kwargs = {} if labels is None or gan.acgan_weight else {'labels': labels}
  logits = gan.discriminator.apply(variables, x, train=False, **kwargs)
  if gan.acgan_weight:  # ACGAN: (adversarial logits, class logits)
    logits = logits[0]
  return jax.nn.sigmoid(logits) if gan.loss.probabilities else logits


FAMILY = dict(
    name='gan',
    build=state_lib.build_gan,
    create_state=state_lib.create_state,
    train_step=steps.train_step,
    generate=steps.generate,
    networks=networks,
    for_sampling=for_sampling,
    check_config=check_config,
    discriminate=discriminate,
    batch_fields=('x', 'label'),
    curves=('d_loss', 'g_loss'),
)
