"""The GAN family (``config.family='gan'``): one generator against one
discriminator, unconditional or class-conditional (``model.num_classes``).

Its parts: the static spec and state (``ganjax.state``: ``GAN``,
``GANState``), the pure steps (``ganjax.steps``), the losses and penalties
(``ganjax.losses``) and the networks (``ganjax.models``). This module only
tells the engine where they are (``ganjax.families``).
"""

from __future__ import annotations

import jax
import ml_collections

from ganjax import errors, losses, state as state_lib, steps
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


def for_sampling(state: GANState) -> GANState:
  return state.replace(g_opt_state=(), d_opt_state=())


def discriminate(gan: GAN, state: GANState, x: jax.Array,
                 labels: jax.Array | None) -> jax.Array:
  """D's readout in inference mode (no dropout, BatchNorm on its moving
  statistics): the probability D(x) when the loss reads logits as
  probabilities (minimax, ns), the critic value otherwise."""
  variables = {'params': state.d_params}
  if state.d_batch_stats:
    variables['batch_stats'] = state.d_batch_stats
  kwargs = {} if labels is None else {'labels': labels}
  logits = gan.discriminator.apply(variables, x, train=False, **kwargs)
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
