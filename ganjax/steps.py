"""The training step: ``n_critic`` discriminator updates, then one G update
(``train.update_scheme='alternating'``), or both networks from one forward
pass (``'simultaneous'``, the TensorFlow DCGAN tutorial's step).

All functions here are pure and are traced once. They run unchanged under
``jax.jit`` (one device, ``gan.axis_name`` is None) and under ``jax.pmap``
(``gan.axis_name`` names the device axis): gradients, metrics and BatchNorm
statistics are averaged over devices with ``lax.pmean``, and the noise of
every example (z, the gradient-penalty interpolation) is drawn for the
global batch and sliced, so N devices compute the same update as one device
on the same global batch. Dropout masks are drawn per device
(``fold_in(key, axis_index)``): distinct on every device, but not the same
masks as a single-device run.

Randomness: ``key = fold_in(state.rng, state.step)``; nothing random is
drawn on the host.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import optax
from jax import lax

from ganjax import augment, losses
from ganjax.state import GAN, GANState

Metrics = dict[str, jax.Array]

# Salt of the augmentation keys (``fold_in(key, AUGMENT_SALT)``): a draw of
# its own, so a run without augmentation draws exactly what it did before.
AUGMENT_SALT = 0xA06

# Up to this many critic updates are traced one after another (unrolled);
# more run in a lax.scan (compile time stays bounded).
UNROLL_CRITIC = 5


def pmean(tree: Any, axis_name: str | None) -> Any:
  return tree if axis_name is None else lax.pmean(tree, axis_name)


def draw_global(gan: GAN, key: jax.Array, local: int,
          sample: Callable[[jax.Array, int], jax.Array]) -> jax.Array:
  """Draws ``sample(key, global_batch)`` and keeps this device's slice."""
  if gan.axis_name is None:
    return sample(key, local)
  devices = lax.psum(1, gan.axis_name)
  index = lax.axis_index(gan.axis_name)
  full = sample(key, local * devices)
  return lax.dynamic_slice_in_dim(full, index * local, local)


def _device_key(gan: GAN, key: jax.Array) -> jax.Array:
  if gan.axis_name is None:
    return key
  return jax.random.fold_in(key, lax.axis_index(gan.axis_name))


def _apply(module, params, batch_stats, x, key, labels=None, train=True):
  """Applies a G or D (with class labels when conditional); returns
  (output, new batch_stats)."""
  variables = {'params': params}
  if batch_stats:
    variables['batch_stats'] = batch_stats
  kwargs = {} if labels is None else {'labels': labels}
  if key is not None:
    kwargs['rngs'] = {'dropout': key}
  if batch_stats and train:
    out, updates = module.apply(variables, x, train=True,
                                mutable=['batch_stats'], **kwargs)
    return out, updates['batch_stats']
  return module.apply(variables, x, train=train, **kwargs), batch_stats


def _d_apply(gan: GAN, d_params, batch_stats, x, key, labels):
  """D in train mode: (logits, class logits or None, new batch_stats). An
  ACGAN's D (``gan.acgan_weight`` > 0) is called without labels (its logit
  is unconditional) and returns its auxiliary classifier's class logits
  too; any other D is called as ``_apply`` calls it."""
  if not gan.acgan_weight:
    logits, stats = _apply(gan.discriminator, d_params, batch_stats, x, key,
                           labels)
    return logits, None, stats
  (logits, class_logits), stats = _apply(gan.discriminator, d_params,
                                         batch_stats, x, key)
  return logits, class_logits, stats


def _with_acgan_d(gan: GAN, loss, real_cls, real_y, fake_cls, fake_y):
  """D's ``loss`` plus ACGAN's class term (lambda included), and its
  metrics: the cross-entropy and the auxiliary classifier's accuracy on
  real and on generated images. Without ACGAN, ``loss`` as it is."""
  if not gan.acgan_weight:
    return loss, {}
  loss = loss + gan.acgan_weight * losses.acgan_d_loss(
      real_cls, real_y, fake_cls, fake_y, gan.acgan_fake_weight)
  return loss, {
      'ac_real_ce': losses.class_cross_entropy(real_cls, real_y),
      'ac_real_accuracy': losses.class_accuracy(real_cls, real_y),
      'ac_fake_accuracy': losses.class_accuracy(fake_cls, fake_y)}


def _with_acgan_g(gan: GAN, loss, fake_cls, fake_y):
  """G's ``loss`` plus ACGAN's class term (lambda included)."""
  if not gan.acgan_weight:
    return loss
  return loss + gan.acgan_weight * losses.acgan_g_loss(fake_cls, fake_y)


def _fake_labels(gan: GAN, key: jax.Array, local: int) -> jax.Array | None:
  """Uniform class labels for generated samples (conditional GANs only)."""
  if not gan.num_classes:
    return None
  return draw_global(gan, key, local, lambda k, n: jax.random.randint(
      k, (n,), 0, gan.num_classes))


def _views(gan: GAN, state: GANState, key: jax.Array):
  """D's views of the real and of the generated images of one update:
  DiffAugment (``gan.augment_policy``) or ADA (``gan.ada_pipeline``, p from
  the state), each side with its own draw (for the global batch, sliced
  per device), or the identity. A view applied twice (D's pass and a
  penalty's critic) makes the same draw."""
  if not (gan.augment_policy or gan.ada_pipeline):
    return (lambda x: x), (lambda x: x)
  keys = jax.random.split(jax.random.fold_in(key, AUGMENT_SALT))
  if gan.augment_policy:
    view = lambda k: lambda x: augment.diff_augment(
        k, x, gan.augment_policy, gan.axis_name)
  else:
    view = lambda k: lambda x: augment.ada_augment(
        k, x, state.augment['p'], gan.ada_pipeline, gan.axis_name)
  return view(keys[0]), view(keys[1])


def _ada_sign(gan: GAN, real_logits: jax.Array) -> dict:
  """ADA's statistic of one D update: the mean of sign(D(x_real)) over the
  global batch."""
  if not gan.ada_pipeline:
    return {}
  return {'ada_sign': pmean(jnp.mean(jnp.sign(real_logits)), gan.axis_name)}


def _ada_adjust(gan: GAN, state: GANState, signs: jax.Array,
                updates: int) -> GANState:
  """Adds ``updates`` D updates' signs (summed) to ADA's running sum and
  moves p once ``gan.ada_interval`` updates are counted (stylegan2-ada)."""
  a = state.augment
  total, count = a['signs'] + signs, a['count'] + updates
  ready = count >= gan.ada_interval
  moved = augment.ada_update(
      a['p'], total / jnp.maximum(count, 1), batch=gan.batch_size,
      interval=count, target=gan.ada_target,
      speed_images=gan.ada_speed_images)
  return state.replace(augment={
      'p': jnp.where(ready, moved, a['p']),
      'signs': jnp.where(ready, 0.0, total),
      'count': jnp.where(ready, 0, count)})


def _readout(gan: GAN, logits: jax.Array) -> jax.Array:
  """Mean D(x) as a probability, or the mean critic value for WGAN."""
  if gan.loss.probabilities:
    return jnp.mean(jax.nn.sigmoid(logits))
  return jnp.mean(logits)


def generate(gan: GAN, state: GANState, z: jax.Array,
             labels: jax.Array | None = None) -> jax.Array:
  """G(z) (given class ``labels`` when conditional) in inference mode,
  with the EMA of G's weights when the GAN keeps one."""
  params = state.g_ema_params if state.g_ema_params else state.g_params
  return _apply(gan.generator, params, state.g_batch_stats, z, None,
                labels, train=False)[0]


def _d_objective(gan: GAN, d_params, stats, real: jax.Array,
                 fake: jax.Array, real_y, real_logits: jax.Array,
                 fake_logits: jax.Array, eps_key: jax.Array,
                 k_real: jax.Array, k_gp: jax.Array,
                 view=lambda x: x):
  """D's loss on its real and fake logits plus its penalties (gradient
  penalty on interpolates towards ``fake``, which must carry no gradient
  to G; R1 on ``real``), and D's readouts. With augmentation the
  penalties' critic sees its inputs through ``view``, the real batch's
  draw: R1 is taken w.r.t. the image before augmentation (stylegan2-ada)."""
  loss = gan.loss.discriminator(real_logits, fake_logits, gan.axis_name)
  penalty = jnp.zeros((), loss.dtype)
  if gan.gp_weight > 0:
    eps = draw_global(gan, eps_key, real.shape[0],
                lambda k, n: jax.random.uniform(k, (n,)))
    x_hat = losses.interpolate(real, fake, eps)
    # A conditional critic scores the interpolates under the real labels.
    critic = lambda x: _d_apply(gan, d_params, stats, view(x), k_gp,
                                real_y)[0]
    penalty = losses.gradient_penalty(critic, x_hat)
    loss = loss + gan.gp_weight * penalty
  aux = {'d_real': _readout(gan, real_logits),
         'd_fake': _readout(gan, fake_logits), 'gp': penalty}
  if gan.r1_weight:
    critic = lambda x: _d_apply(gan, d_params, stats, view(x), k_real,
                                real_y)[0]
    aux['r1'] = losses.r1_penalty(critic, real)
    loss = loss + 0.5 * gan.r1_weight * aux['r1']
  return loss, aux


def _d_inputs(gan: GAN, real: jax.Array, labels: jax.Array, key: jax.Array):
  """What a D update draws from its ``key``: z (for the global batch,
  sliced), the real and fake labels (conditional GANs), the penalty's key,
  and the dropout keys of G, D on real, D on fake and the penalty's D."""
  local = real.shape[0]
  z_key, eps_key, y_key, drop_key = jax.random.split(key, 4)
  z = draw_global(gan, z_key, local, gan.sample_latent)
  real_y = labels if gan.num_classes else None
  fake_y = _fake_labels(gan, y_key, local)
  drop_keys = jax.random.split(_device_key(gan, drop_key), 4)
  return z, real_y, fake_y, eps_key, tuple(drop_keys)


def d_step(gan: GAN, state: GANState, real: jax.Array, labels: jax.Array,
           key: jax.Array) -> tuple[GANState, Metrics]:
  """One discriminator (critic) update on a batch of real samples."""
  z, real_y, fake_y, eps_key, (k_gen, k_real, k_fake, k_gp) = _d_inputs(
      gan, real, labels, key)
  # G runs in train mode as in the G step; its statistics update once per
  # train step, in the G update, so they are not kept here.
  fake, _ = _apply(gan.generator, state.g_params, state.g_batch_stats, z,
                   k_gen, fake_y)
  fake = lax.stop_gradient(fake)
  view_real, view_fake = _views(gan, state, key)

  def loss_fn(d_params):
    real_logits, real_cls, stats = _d_apply(
        gan, d_params, state.d_batch_stats, view_real(real), k_real, real_y)
    fake_logits, fake_cls, stats = _d_apply(
        gan, d_params, stats, view_fake(fake), k_fake, fake_y)
    loss, aux = _d_objective(gan, d_params, stats, real, fake, real_y,
                             real_logits, fake_logits, eps_key, k_real, k_gp,
                             view_real)
    loss, ac_aux = _with_acgan_d(gan, loss, real_cls, real_y, fake_cls,
                                 fake_y)
    return loss, (stats, {**aux, **ac_aux, **_ada_sign(gan, real_logits)})

  (loss, (stats, aux)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.d_params)
  grads = pmean(grads, gan.axis_name)
  updates, opt_state = gan.d_tx.update(grads, state.d_opt_state,
                                       state.d_params)
  state = state.replace(d_params=optax.apply_updates(state.d_params, updates),
                        d_opt_state=opt_state, d_batch_stats=stats)
  metrics = {'d_loss': loss, 'd_grad_norm': optax.global_norm(grads), **aux}
  return state, metrics


def g_step(gan: GAN, state: GANState, key: jax.Array, local: int,
           real: jax.Array | None = None,
           labels: jax.Array | None = None) -> tuple[GANState, Metrics]:
  """One generator update on ``local`` fresh z against the current D (a
  relativistic loss also scores the ``real`` batch, with its ``labels``)."""
  z_key, y_key, drop_key = jax.random.split(key, 3)
  z = draw_global(gan, z_key, local, gan.sample_latent)
  fake_y = _fake_labels(gan, y_key, local)
  view_real, view_fake = _views(gan, state, key)
  if gan.loss.relativistic:
    k_gen, k_disc, k_real = jax.random.split(_device_key(gan, drop_key), 3)
    real_y = labels if gan.num_classes else None
    # D on real data does not depend on G: computed once, outside the
    # gradient (its batch statistics are not kept, as in D's other calls
    # of the G step).
    real_logits = _d_apply(gan, state.d_params, state.d_batch_stats,
                           view_real(real), k_real, real_y)[0]
  else:
    k_gen, k_disc = jax.random.split(_device_key(gan, drop_key))
    real_logits = None

  def loss_fn(g_params):
    fake, g_stats = _apply(gan.generator, g_params, state.g_batch_stats, z,
                           k_gen, fake_y)
    fake_logits, fake_cls, _ = _d_apply(gan, state.d_params,
                                        state.d_batch_stats, view_fake(fake),
                                        k_disc, fake_y)
    if gan.top_k_fraction >= 1.0:
      loss = gan.loss.generator(fake_logits, real_logits, gan.axis_name)
    else:
      loss = _top_k_g_loss(gan, state.step, fake_logits)
    return _with_acgan_g(gan, loss, fake_cls, fake_y), g_stats

  (loss, g_stats), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.g_params)
  grads = pmean(grads, gan.axis_name)
  updates, opt_state = gan.g_tx.update(grads, state.g_opt_state,
                                       state.g_params)
  state = state.replace(g_params=optax.apply_updates(state.g_params, updates),
                        g_opt_state=opt_state, g_batch_stats=g_stats)
  metrics = {'g_loss': loss, 'g_grad_norm': optax.global_norm(grads)}
  if gan.top_k_fraction < 1.0:
    metrics['g_top_k'] = losses.top_k_fraction(
        state.step, gan.top_k_fraction, gan.top_k_decay)
  return state, metrics


def simultaneous_step(gan: GAN, state: GANState, real: jax.Array,
                      labels: jax.Array,
                      key: jax.Array) -> tuple[GANState, Metrics]:
  """D and G updated at once from one forward pass (``train.update_scheme=
  'simultaneous'``), as the TensorFlow DCGAN tutorial's ``train_step``.

  One G forward on z (train mode), D on the real batch and then on G(z)
  (train mode, independent dropout masks); D's gradient is that of the D
  loss (penalties included) and G's that of the G loss of the same forward
  pass; both updates are applied to the parameters the pass started from.
  BatchNorm statistics are those the tutorial's Keras step leaves: G's
  moving statistics advance once (its one forward), D's after the real and
  then the fake batch. The gradient penalty interpolates between the real
  batch and ``stop_gradient(G(z))`` (D's loss never moves G).

  Randomness: ``key`` is split as in ``d_step`` (z, penalty, labels,
  dropout), so z, labels and masks are drawn the same way.
  """
  z, real_y, fake_y, eps_key, (k_gen, k_real, k_fake, k_gp) = _d_inputs(
      gan, real, labels, key)

  view_real, view_fake = _views(gan, state, key)

  def losses_fn(g_params, d_params):
    fake, g_stats = _apply(gan.generator, g_params, state.g_batch_stats, z,
                           k_gen, fake_y)
    real_logits, real_cls, stats = _d_apply(
        gan, d_params, state.d_batch_stats, view_real(real), k_real, real_y)
    fake_logits, fake_cls, stats = _d_apply(
        gan, d_params, stats, view_fake(fake), k_fake, fake_y)
    d_loss, aux = _d_objective(gan, d_params, stats, real,
                               lax.stop_gradient(fake), real_y, real_logits,
                               fake_logits, eps_key, k_real, k_gp, view_real)
    # (D's class term on G(z) reaches G only through the pullback of
    # d_loss, whose G half is dropped below.)
    d_loss, ac_aux = _with_acgan_d(gan, d_loss, real_cls, real_y, fake_cls,
                                   fake_y)
    aux = {**aux, **ac_aux, **_ada_sign(gan, real_logits)}
    if gan.top_k_fraction >= 1.0:
      g_loss = gan.loss.generator(fake_logits, real_logits, gan.axis_name)
    else:
      g_loss = _top_k_g_loss(gan, state.step, fake_logits)
    g_loss = _with_acgan_g(gan, g_loss, fake_cls, fake_y)
    return (d_loss, g_loss), (g_stats, stats, aux)

  (d_loss, g_loss), pullback, (g_stats, d_stats, aux) = jax.vjp(
      losses_fn, state.g_params, state.d_params, has_aux=True)
  # Two pullbacks of the one forward pass; the halves not used (D's loss
  # w.r.t. G, G's loss w.r.t. D) are dead code that XLA removes.
  _, d_grads = pullback((jnp.ones_like(d_loss), jnp.zeros_like(g_loss)))
  g_grads, _ = pullback((jnp.zeros_like(d_loss), jnp.ones_like(g_loss)))
  d_grads = pmean(d_grads, gan.axis_name)
  g_grads = pmean(g_grads, gan.axis_name)
  d_updates, d_opt_state = gan.d_tx.update(d_grads, state.d_opt_state,
                                           state.d_params)
  g_updates, g_opt_state = gan.g_tx.update(g_grads, state.g_opt_state,
                                           state.g_params)
  state = state.replace(
      g_params=optax.apply_updates(state.g_params, g_updates),
      d_params=optax.apply_updates(state.d_params, d_updates),
      g_opt_state=g_opt_state, d_opt_state=d_opt_state,
      g_batch_stats=g_stats, d_batch_stats=d_stats)
  metrics = {'d_loss': d_loss, 'g_loss': g_loss,
             'd_grad_norm': optax.global_norm(d_grads),
             'g_grad_norm': optax.global_norm(g_grads), **aux}
  if gan.top_k_fraction < 1.0:
    metrics['g_top_k'] = losses.top_k_fraction(
        state.step, gan.top_k_fraction, gan.top_k_decay)
  return state, metrics


def _top_k_g_loss(gan: GAN, step: jax.Array,
                  fake_logits: jax.Array) -> jax.Array:
  """G's loss over the generated samples D scores highest (top-k training).

  The top k are chosen from the global batch (the scores of all devices),
  and each device's loss is scaled so that the mean of the devices'
  gradients is the gradient of the mean loss over those k samples: the
  same update as one device on the global batch.
  """
  logits = fake_logits.reshape(fake_logits.shape[0], -1)
  scores = jnp.mean(logits, axis=-1)
  per_example = jax.vmap(lambda l: gan.loss.g_loss(l[None]))(logits)
  all_scores = scores
  devices = 1
  if gan.axis_name is not None:
    all_scores = lax.all_gather(scores, gan.axis_name, tiled=True)
    devices = lax.psum(1, gan.axis_name)
  fraction = losses.top_k_fraction(step, gan.top_k_fraction, gan.top_k_decay)
  mask = lax.stop_gradient(losses.top_k_mask(scores, all_scores, fraction))
  kept = jnp.sum(mask)
  if gan.axis_name is not None:
    kept = lax.psum(kept, gan.axis_name)
  return jnp.sum(mask * per_example) * devices / kept


def train_step(gan: GAN, state: GANState,
               batch: dict[str, jax.Array]) -> tuple[GANState, Metrics]:
  """``n_critic`` D updates, one per real batch, then ``g_steps`` G updates
  (1 unless the config asks for more).

  Args:
    gan: the static spec.
    state: the current state (per device under pmap).
    batch: ``{'x': [n_critic, batch, *data_shape], 'label': [n_critic,
      batch]}``; each D update sees fresh real data, as in Goodfellow et
      al.'s algorithm. Labels are used by conditional GANs only.

  Returns:
    The new state and scalar metrics (averaged over the critic updates and
    over devices).

  With ``gan.update_scheme == 'simultaneous'`` (n_critic = g_steps = 1)
  the step is ``simultaneous_step`` on ``batch['x'][0]`` with the key of
  the first critic update instead: both networks from one forward pass.
  """
  key = jax.random.fold_in(state.rng, state.step)
  d_keys = jax.random.split(jax.random.fold_in(key, 0), gan.n_critic)
  g_key = jax.random.fold_in(key, 1)
  local = batch['x'].shape[1]

  if gan.update_scheme == 'simultaneous':
    state, metrics = simultaneous_step(gan, state, batch['x'][0],
                                       batch['label'][0], d_keys[0])
    if gan.ada_pipeline:
      state = _ada_adjust(gan, state, metrics['ada_sign'], 1)
    return _finish_step(gan, state, metrics)
  if gan.n_critic <= UNROLL_CRITIC:
    # Straight-line code: under XLA:CPU the convolutions of a loop body
    # (lax.scan) miss the layout canonicalization that maps them onto the
    # fast convolution kernels, and the step ran ~5x slower (DCGAN).
    history = []
    for i in range(gan.n_critic):
      state, m = d_step(gan, state, batch['x'][i], batch['label'][i],
                        d_keys[i])
      history.append(m)
    d_metrics = jax.tree.map(lambda *v: jnp.stack(v), *history)
  else:
    def body(st, inputs):
      real, labels, k = inputs
      return d_step(gan, st, real, labels, k)

    state, d_metrics = lax.scan(body, state,
                                (batch['x'], batch['label'], d_keys))
  if gan.ada_pipeline:
    state = _ada_adjust(gan, state, jnp.sum(d_metrics['ada_sign']),
                        gan.n_critic)
  d_metrics = jax.tree.map(jnp.mean, d_metrics)
  # A relativistic G loss scores the step's last real batch too.
  real = batch['x'][-1] if gan.loss.relativistic else None
  labels = batch['label'][-1] if gan.loss.relativistic else None
  if gan.g_steps == 1:
    state, g_metrics = g_step(gan, state, g_key, local, real, labels)
  else:
    state, g_metrics = lax.scan(
        lambda st, k: g_step(gan, st, k, local, real, labels), state,
        jax.random.split(g_key, gan.g_steps))
    g_metrics = jax.tree.map(jnp.mean, g_metrics)
  return _finish_step(gan, state, {**d_metrics, **g_metrics})


def _finish_step(gan: GAN, state: GANState,
                 metrics: Metrics) -> tuple[GANState, Metrics]:
  """G's EMA (from ``gan.ema_start`` on; ``state.step`` is the step just
  taken, counted from 0), the step count and the metrics' mean over
  devices."""
  if gan.ema_decay:
    decay = gan.ema_decay
    if gan.ema_start:  # Before ema_start the EMA is G itself.
      decay = jnp.where(state.step < gan.ema_start, 0.0, decay)
    state = state.replace(g_ema_params=jax.tree.map(
        lambda e, p: decay * e + (1.0 - decay) * p, state.g_ema_params,
        state.g_params))
  state = state.replace(step=state.step + 1)
  if gan.ada_pipeline:
    metrics = {**metrics, 'ada_p': state.augment['p']}
  return state, pmean(metrics, gan.axis_name)
