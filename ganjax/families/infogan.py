"""InfoGAN (``config.family='infogan'``; Chen et al. 2016, *InfoGAN:
Interpretable Representation Learning by Information Maximizing Generative
Adversarial Nets*).

G's input is noise (``model.latent_dim`` dimensions of
``model.latent_dist``) and latent codes c (``model.codes``): one-hot
uniform categorical codes and continuous codes U(-1, 1). D shares its body
with Q, a head that reads the codes back from a sample
(``ganjax.models.infogan``). Besides the GAN loss (``loss.name``), D and Q
and G minimise ``loss.info_weight`` times the negative variational lower
bound of the mutual information I(c; G(z, c)) less H(c): the
cross-entropy of Q's categorical logits and the Gaussian negative log
likelihood (unit variance, as openai/InfoGAN's ``Uniform(fix_std=True)``,
constants dropped) of Q's means for the continuous codes. The term is
added to both D's and G's losses (openai/InfoGAN, TF-GAN's
``mutual_information_penalty``), on the generated batch.

One train step: a D (and Q) update on a real batch and G(z, c), then a G
update on fresh z and c against the updated D, as the GAN family's
alternating step; noise and codes drawn for the global batch, gradients
and metrics ``pmean``-ed over devices. ``metrics['mi_lower_bound']`` is
sum over categorical codes of ``log K - CE``: the lower bound on I(c; x)
of the categorical codes, in nats (at most ``log K`` each).

What a GAN has beyond this (penalties, EMA, augmentation, conditioning,
top-k, several D steps) is refused by ``check_config`` in one line.
"""

from __future__ import annotations

import dataclasses
import math

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import optax

from ganjax import config_lib, errors, losses, models, state as state_lib
from ganjax import steps
from ganjax.state import Network

# Fields an InfoGAN does not use: each must keep its base_config() value.
_UNUSED = ('loss.gp_weight', 'loss.r1_weight', 'loss.top_k_fraction',
           'loss.top_k_decay', 'loss.acgan_weight', 'loss.acgan_fake_weight',
           'train.n_critic', 'train.g_steps', 'train.update_scheme',
           'model.num_classes', 'model.ema_decay', 'model.ema_start',
           'model.ema_standing_stats', 'model.jacobian_truncation',
           'model.dtype', 'model.encoder', 'augment')


@flax.struct.dataclass
class InfoGANState:
  step: jax.Array
  generator: Network
  discriminator: Network  # D's body, its logit and the Q head
  rng: jax.Array


@dataclasses.dataclass(frozen=True)
class InfoGAN:
  """Everything static about an InfoGAN; hashable by identity."""
  generator: nn.Module
  discriminator: nn.Module
  g_tx: optax.GradientTransformation
  d_tx: optax.GradientTransformation
  loss: losses.GANLoss
  data_shape: tuple[int, ...]
  noise_dim: int
  categorical: tuple[int, ...]
  continuous: int
  info_weight: float
  noise_dist: str = 'normal'
  axis_name: str | None = None
  num_classes: int = 0
  jacobian_truncation: float = 0.0
  latent_dist: str = 'infogan'  # noise and codes: no slerp, no truncation
  family: str = 'infogan'

  @property
  def latent_dim(self) -> int:
    """G's input: noise, then each categorical code one-hot, then the
    continuous codes."""
    return self.noise_dim + sum(self.categorical) + self.continuous

  def sample_latent(self, key: jax.Array, num: int) -> jax.Array:
    keys = jax.random.split(key, 2 + len(self.categorical))
    parts = [state_lib.sample_noise(keys[0], (num, self.noise_dim),
                                    self.noise_dist)]
    for k, size in zip(keys[2:], self.categorical):
      parts.append(jax.nn.one_hot(jax.random.randint(k, (num,), 0, size),
                                  size))
    parts.append(jax.random.uniform(keys[1], (num, self.continuous),
                                    minval=-1.0, maxval=1.0))
    return jnp.concatenate(parts, axis=-1)

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


def codes_of(spec: InfoGAN, z: jax.Array
             ) -> tuple[list[jax.Array], jax.Array]:
  """The codes inside latents ``z``: each categorical code's category
  [batch] and the continuous codes [batch, continuous]."""
  start, cats = spec.noise_dim, []
  for size in spec.categorical:
    cats.append(jnp.argmax(z[:, start:start + size], axis=-1))
    start += size
  return cats, z[:, start:]


def with_codes(spec: InfoGAN, z: jax.Array,
               categorical: dict[int, jax.Array] | None = None,
               continuous: jax.Array | None = None) -> jax.Array:
  """``z`` with some codes replaced: ``categorical`` maps a categorical
  code's index to its categories (an int or [batch]), ``continuous`` is
  [batch, continuous]; the noise and every code not named are kept. For
  pictures and evaluations that set one code and hold the rest."""
  cats, cont = codes_of(spec, z)
  for index, values in (categorical or {}).items():
    cats[index] = jnp.broadcast_to(jnp.asarray(values), (z.shape[0],))
  parts = [z[:, :spec.noise_dim]] + [
      jax.nn.one_hot(c, size) for c, size in zip(cats, spec.categorical)]
  parts.append(cont if continuous is None else jnp.asarray(continuous))
  return jnp.concatenate(parts, axis=-1)


def information_loss(spec: InfoGAN, q: jax.Array, z: jax.Array
                     ) -> tuple[jax.Array, dict]:
  """The negative lower bound on I(c; x) less H(c), per example averaged:
  Q's categorical cross-entropies plus the continuous codes' Gaussian NLL
  (unit variance, constants dropped); and its parts as metrics."""
  cats, cont = codes_of(spec, z)
  start, ce, accuracy, bound = 0, 0.0, [], 0.0
  for c, size in zip(cats, spec.categorical):
    logits = q[:, start:start + size]
    term = jnp.mean(
        optax.softmax_cross_entropy_with_integer_labels(logits, c))
    ce = ce + term
    bound = bound + math.log(size) - term
    accuracy.append(jnp.mean(jnp.argmax(logits, -1) == c))
    start += size
  nll = 0.5 * jnp.mean(jnp.sum((q[:, start:] - cont) ** 2, axis=-1))
  metrics = {'info_ce': ce, 'info_nll': nll, 'mi_lower_bound': bound}
  if accuracy:
    metrics['q_accuracy'] = sum(accuracy) / len(accuracy)
  return ce + nll, metrics


def check_config(config: ml_collections.ConfigDict) -> None:
  """One line for a field the InfoGAN would ignore or cannot take."""
  loss = losses.get_loss(config.loss.name)
  if loss.relativistic or loss.default_gp_weight:
    raise errors.ConfigError(
        f'config.loss.name={config.loss.name!r} is not supported by the '
        "infogan family: use 'ns' (the paper's), 'minimax', 'hinge', "
        "'lsgan' or 'wasserstein'.")
  if config.model.latent_dist not in state_lib.LATENT_DISTRIBUTIONS:
    raise errors.ConfigError(
        f'config.model.latent_dist={config.model.latent_dist!r} is not '
        f'known; choose one of {list(state_lib.LATENT_DISTRIBUTIONS)}.')
  codes = config.model.codes
  sizes = tuple(codes.categorical)
  if not all(isinstance(k, int) and k >= 2 for k in sizes):
    raise errors.ConfigError(
        f'config.model.codes.categorical={sizes!r}: give each categorical '
        'code its number of categories, an integer >= 2, e.g. (10,).')
  if not (isinstance(codes.continuous, int) and codes.continuous >= 0):
    raise errors.ConfigError(
        f'config.model.codes.continuous={codes.continuous!r}: use an '
        'integer >= 0.')
  if not sizes and not codes.continuous:
    raise errors.ConfigError(
        'the infogan family needs latent codes: set config.model.codes, '
        "e.g. dict(categorical=(10,), continuous=2).")
  if not config.loss.info_weight >= 0:
    raise errors.ConfigError(
        f'config.loss.info_weight={config.loss.info_weight!r} is not '
        'allowed: use a value >= 0 (1.0 in the paper).')
  changed = config_lib.changed_field(config, _UNUSED)
  if changed:
    dotted, value, default = changed
    raise errors.ConfigError(
        f'config.{dotted} is not used by the infogan family: leave it at '
        f'{default!r} (it is {value!r}).')


def build(config: ml_collections.ConfigDict, data_shape, axis_name=None
          ) -> InfoGAN:
  m = config.model
  codes = m.codes
  q_outputs = sum(codes.categorical) + codes.continuous
  steps_total = config.train.steps
  return InfoGAN(
      generator=models.build_generator(m.generator, data_shape, axis_name),
      discriminator=models.build_info_discriminator(m.discriminator,
                                                    q_outputs, axis_name),
      g_tx=state_lib.make_optimizer(config.optim.g, 'config.optim.g',
                                    steps_total),
      d_tx=state_lib.make_optimizer(config.optim.d, 'config.optim.d',
                                    steps_total),
      loss=losses.get_loss(config.loss.name),
      data_shape=tuple(data_shape), noise_dim=m.latent_dim,
      categorical=tuple(int(k) for k in codes.categorical),
      continuous=int(codes.continuous),
      info_weight=float(config.loss.info_weight), noise_dist=m.latent_dist,
      axis_name=axis_name)


def create_state(spec: InfoGAN, seed: int) -> InfoGANState:
  return jax.jit(_create_state, static_argnums=0)(spec, seed)


def _create_state(spec: InfoGAN, seed) -> InfoGANState:
  g_key, d_key, run_key = jax.random.split(jax.random.PRNGKey(seed), 3)
  z = jnp.zeros((1, spec.latent_dim), jnp.float32)
  x = jnp.zeros((1,) + spec.data_shape, jnp.float32)
  nets = {}
  for name, module, tx, key, inputs in (
      ('generator', spec.generator, spec.g_tx, g_key, z),
      ('discriminator', spec.discriminator, spec.d_tx, d_key, x)):
    variables = module.init({'params': key}, inputs, train=False)
    nets[name] = Network(params=variables['params'],
                         batch_stats=variables.get('batch_stats', {}),
                         opt_state=tx.init(variables['params']))
  return InfoGANState(step=jnp.zeros((), jnp.int32), rng=run_key, **nets)


def _apply(module: nn.Module, params, batch_stats, inputs, train: bool):
  """``module`` on ``inputs`` (the GAN steps' ``_apply``, with no dropout
  key or labels); returns (output, new batch_stats)."""
  return steps._apply(module, params, batch_stats, inputs, None,  # pylint: disable=protected-access
                      train=train)


def _update(tx, net: Network, grads, stats) -> Network:
  updates, opt_state = tx.update(grads, net.opt_state, net.params)
  return Network(params=optax.apply_updates(net.params, updates),
                 batch_stats=stats, opt_state=opt_state)


def train_step(spec: InfoGAN, state: InfoGANState,
               batch: dict[str, jax.Array]) -> tuple[InfoGANState, dict]:
  """A D-and-Q update, then a G update on fresh noise and codes."""
  real = batch['x'][0]
  local = real.shape[0]
  key = jax.random.fold_in(state.rng, state.step)
  d_key, g_key = jax.random.split(key)
  g_net, d_net = state.generator, state.discriminator

  # D and Q: G's sample carries no gradient; G's statistics advance once,
  # in G's update.
  z = steps.draw_global(spec, d_key, local, spec.sample_latent)
  fake = jax.lax.stop_gradient(_apply(spec.generator, g_net.params,
                                      g_net.batch_stats, z, True)[0])

  def d_loss_fn(d_params):
    (real_logits, _), stats = _apply(spec.discriminator, d_params,
                                     d_net.batch_stats, real, True)
    (fake_logits, q), stats = _apply(spec.discriminator, d_params, stats,
                                     fake, True)
    info, aux = information_loss(spec, q, z)
    loss = spec.loss.discriminator(real_logits, fake_logits)
    aux = {**aux, 'd_real': steps._readout(spec, real_logits),  # pylint: disable=protected-access
           'd_fake': steps._readout(spec, fake_logits)}
    return loss + spec.info_weight * info, (stats, aux)

  (d_loss, (d_stats, aux)), d_grads = jax.value_and_grad(
      d_loss_fn, has_aux=True)(d_net.params)
  d_grads = steps.pmean(d_grads, spec.axis_name)
  d_net = _update(spec.d_tx, d_net, d_grads, d_stats)

  # G against the updated D and Q (D's statistics of this pass dropped).
  z = steps.draw_global(spec, g_key, local, spec.sample_latent)

  def g_loss_fn(g_params):
    fake, g_stats = _apply(spec.generator, g_params, g_net.batch_stats, z,
                           True)
    (fake_logits, q), _ = _apply(spec.discriminator, d_net.params,
                                 d_net.batch_stats, fake, True)
    info, _ = information_loss(spec, q, z)
    return spec.loss.generator(fake_logits) + spec.info_weight * info, g_stats

  (g_loss, g_stats), g_grads = jax.value_and_grad(
      g_loss_fn, has_aux=True)(g_net.params)
  g_grads = steps.pmean(g_grads, spec.axis_name)
  g_net = _update(spec.g_tx, g_net, g_grads, g_stats)

  state = state.replace(step=state.step + 1, generator=g_net,
                        discriminator=d_net)
  metrics = {'d_loss': d_loss, 'g_loss': g_loss,
             'd_grad_norm': optax.global_norm(d_grads),
             'g_grad_norm': optax.global_norm(g_grads), **aux}
  return state, steps.pmean(metrics, spec.axis_name)


def generate(spec: InfoGAN, state: InfoGANState, z: jax.Array,
             labels: jax.Array | None = None) -> jax.Array:
  """G(z) in inference mode; ``z`` holds noise and codes
  (``with_codes`` sets them)."""
  del labels  # Unconditional: the codes are in z.
  g = state.generator
  return _apply(spec.generator, g.params, g.batch_stats, z, False)[0]


def discriminate(spec: InfoGAN, state: InfoGANState, x: jax.Array,
                 labels: jax.Array | None) -> jax.Array:
  """D's readout in inference mode (Q's head left out)."""
  del labels
  d = state.discriminator
  logits = _apply(spec.discriminator, d.params, d.batch_stats, x, False)[0][0]
  return jax.nn.sigmoid(logits) if spec.loss.probabilities else logits


def networks(spec: InfoGAN, state: InfoGANState) -> dict:
  return {name.capitalize(): (module, {'params': net.params,
                                       'batch_stats': net.batch_stats})
          for name, module, net in (
              ('generator', spec.generator, state.generator),
              ('discriminator', spec.discriminator, state.discriminator))}


def for_sampling(spec: InfoGAN, state: InfoGANState) -> InfoGANState:
  del spec
  return state.replace(
      generator=state.generator.replace(opt_state=()),
      discriminator=state.discriminator.replace(opt_state=()))


def code_picture(config: ml_collections.ConfigDict, spec: InfoGAN,
                 per_row: int = 10):
  """The latents of the paper's picture of a code: one row per category of
  the first categorical code, the same noise and other codes down each
  column (``per_row`` columns, drawn from ``config.seed``, so the same at
  every step). Without a categorical code: one row per draw of noise and
  codes, the first continuous code swept from -1 to 1 along it. Returns
  ``(z, rows, num_rows, caption)`` (``ganjax.sampling.save_family_picture``
  draws and saves it)."""
  key = jax.random.fold_in(jax.random.PRNGKey(config.seed), CODE_PICTURE_KEY)
  if spec.categorical:
    k = spec.categorical[0]
    rows = jnp.repeat(jnp.arange(k, dtype=jnp.int32), per_row)  # row-major
    z = with_codes(spec, jnp.tile(spec.sample_latent(key, per_row), (k, 1)),
                   categorical={0: rows})
    return z, rows, k, 'one row per category of c1'
  k = per_row
  rows = jnp.repeat(jnp.arange(k, dtype=jnp.int32), per_row)
  z = jnp.repeat(spec.sample_latent(key, k), per_row, axis=0)
  sweep = jnp.tile(jnp.linspace(-1.0, 1.0, per_row), k)
  z = with_codes(spec, z, continuous=z[:, -spec.continuous:].at[:, 0].set(
      sweep))
  return z, rows, k, 'the first continuous code from -1 to 1 along each row'


# The key of ``code_picture``'s noise (folded into PRNGKey(config.seed)).
CODE_PICTURE_KEY = 0xC0DE


FAMILY = dict(
    name='infogan',
    build=build,
    create_state=create_state,
    train_step=train_step,
    generate=generate,
    networks=networks,
    for_sampling=for_sampling,
    check_config=check_config,
    discriminate=discriminate,
    batch_fields=('x',),
    curves=('d_loss', 'g_loss', 'info_ce', 'info_nll'),
    picture=code_picture,
)
