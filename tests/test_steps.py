"""The compiled step: D learns, metrics are there, one device == many."""

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax import config_lib, data, errors, losses, parallel, steps, loop as train
from conftest import ROOT, xla_flags


def _toy_gan(loss='ns', n_critic=1):
  config = config_lib.get_config('default')
  config.loss.name = loss
  config.train.n_critic = n_critic
  return config, *train.build(config)


def _reference(fn, *args):
  """``jax.jit(fn)(*args)``: a second path, compared with the step's result
  (within a tolerance, or bit for bit where both are one program)."""
  return jax.jit(fn)(*args)


def test_d_step_lowers_the_d_loss_on_a_fixed_batch():
  config, gan, state = _toy_gan()
  real = jnp.asarray(np.random.default_rng(0).normal(size=(64, 2)) * 0.1 + 1)
  labels = jnp.zeros((64,), jnp.int32)
  key = jax.random.PRNGKey(3)
  step = jax.jit(lambda s: steps.d_step(gan, s, real, labels, key))
  losses = []
  for _ in range(30):
    state, metrics = step(state)
    losses.append(float(metrics['d_loss']))
  assert losses[-1] < losses[0] - 0.1, losses
  # D learns to tell them apart: D(x) rises above D(G(z)).
  assert float(metrics['d_real']) > float(metrics['d_fake'])


@pytest.mark.parametrize('loss', ['minimax', 'ns', 'wgan_gp'])
def test_train_step_metrics_and_progress(loss):
  config, gan, state = _toy_gan(loss, n_critic=3)
  batch = {'x': jnp.ones((3, 16, 2)), 'label': jnp.zeros((3, 16), jnp.int32)}
  new, metrics = jax.jit(lambda s, b: steps.train_step(gan, s, b))(state, batch)
  assert set(metrics) == {'d_loss', 'g_loss', 'd_real', 'd_fake', 'gp',
                          'd_grad_norm', 'g_grad_norm'}
  assert all(m.shape == () for m in metrics.values())
  assert int(new.step) == 1
  # G and D both moved; the penalty is only there for WGAN-GP.
  moved = lambda a, b: any(not np.allclose(x, y) for x, y in zip(
      jax.tree.leaves(a), jax.tree.leaves(b)))
  assert moved(new.g_params, state.g_params)
  assert moved(new.d_params, state.d_params)
  assert (float(metrics['gp']) > 0) == (loss == 'wgan_gp')
  if loss != 'wgan_gp':
    assert 0 < float(metrics['d_real']) < 1


@pytest.mark.parametrize('loss', ['ns', 'wgan_gp'])
def test_r1_penalty_adds_gamma_half_of_its_value_to_the_d_loss(loss):
  config, gan, state = _toy_gan(loss)
  config.loss.r1_weight = 4.0
  gan_r1, _ = train.build(config)
  real = jnp.asarray(np.random.default_rng(1).normal(size=(32, 2)))
  labels = jnp.zeros((32,), jnp.int32)
  key = jax.random.PRNGKey(5)
  plain_state, plain = jax.jit(
      lambda s: steps.d_step(gan, s, real, labels, key))(state)
  new, m = jax.jit(lambda s: steps.d_step(gan_r1, s, real, labels, key))(
      state)
  assert 'r1' not in plain
  # Second path: the squared input gradient of D's logit at each real
  # example, averaged.
  def by_hand(d_params):
    d = lambda x: gan.discriminator.apply({'params': d_params}, x[None],
                                          train=True).reshape(())
    return jnp.mean(jax.vmap(lambda x: jnp.sum(jax.grad(d)(x)**2))(real))
  expected = _reference(by_hand, state.d_params)
  np.testing.assert_allclose(m['r1'], expected, rtol=1e-4)
  np.testing.assert_allclose(m['d_loss'], plain['d_loss'] + 2.0 * expected,
                             rtol=1e-4)
  assert m['r1'] > 0
  # The penalty changes D's update (its weights; for a ReLU net the input
  # gradient does not depend on the biases).
  assert any(not np.allclose(a, b) for a, b in zip(
      jax.tree.leaves(new.d_params), jax.tree.leaves(plain_state.d_params)))


@pytest.mark.parametrize('loss', ['ns', 'wgan_gp'])
def test_top_k_g_step_learns_from_the_samples_d_scores_highest(loss):
  config, gan, state = _toy_gan(loss)
  config.loss.top_k_fraction = 0.25
  config.loss.top_k_decay = 0.5
  gan_k, _ = train.build(config)
  state = state.replace(step=jnp.asarray(10, state.step.dtype))  # 0.5**10
  key = jax.random.PRNGKey(7)
  new, m = jax.jit(lambda s: steps.g_step(gan_k, s, key, 32))(state)
  plain_state, plain = jax.jit(lambda s: steps.g_step(gan, s, key, 32))(state)
  assert float(m['g_top_k']) == pytest.approx(0.25)
  assert 'g_top_k' not in plain
  # Second path: the same z as the step draws, G and D applied by hand,
  # the mean G loss over the 8 highest-scoring of 32 samples.
  z = gan.sample_latent(jax.random.split(key, 3)[0], 32)
  fake = gan.generator.apply({'params': state.g_params}, z, train=True)
  logits = np.asarray(gan.discriminator.apply(
      {'params': state.d_params}, fake, train=True)).reshape(-1)
  top = np.sort(logits)[-8:]
  per_example = {'ns': np.logaddexp(0, -top), 'wgan_gp': -top}[loss]
  np.testing.assert_allclose(m['g_loss'], per_example.mean(), rtol=1e-5)
  all_examples = {'ns': np.logaddexp(0, -logits), 'wgan_gp': -logits}[loss]
  np.testing.assert_allclose(plain['g_loss'], all_examples.mean(), rtol=1e-5)
  # Dropping the worst samples changes G's update.
  assert any(not np.allclose(a, b) for a, b in zip(
      jax.tree.leaves(new.g_params), jax.tree.leaves(plain_state.g_params)))


def test_the_step_is_deterministic():
  _, gan, state = _toy_gan()
  batch = {'x': jnp.ones((1, 16, 2)), 'label': jnp.zeros((1, 16), jnp.int32)}
  f = jax.jit(lambda s, b: steps.train_step(gan, s, b))
  a, _ = f(state, batch)
  b, _ = f(state, batch)
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(x, y)


PMAP_SCRIPT = r'''
import json, os, sys, types
import jax, numpy as np
# The modules this needs, without the package's __init__ (its API imports
# the training loop and with it TensorFlow: seconds of CPU, unused here).
package = types.ModuleType('ganjax')
package.__path__ = [os.path.join(os.getcwd(), 'ganjax')]
sys.modules['ganjax'] = package
from ganjax import config_lib, families, parallel
out = sys.argv[1]

def run(mode, update, loss):
  config = config_lib.get_config('svhn_wgan')
  config.data.name = 'mnist'   # shapes only: the batches below are synthetic
  config.data.channels = 1
  config.data.image_size = 28
  # A narrow DCGAN (BatchNorm in G, convolutions in D) keeps compiling cheap.
  config.model.generator = dict(name='dcgan', features=(32, 16, 8))
  config.model.discriminator = dict(name='dcgan', features=(8, 16),
                                    dropout=0.0)  # masks differ per layout
  config.train.batch_size = 8
  config.train.n_critic = 2
  if update:   # update_scheme='simultaneous': one D, one G update
    config.train.update_scheme, config.train.n_critic = update, 1
  config.loss.top_k_fraction = 0.5  # top-k G updates pick from the global
  config.loss.top_k_decay = 0.5     # batch: the same 4 of 8 on any layout
  if loss:   # a relativistic loss: means over the global batch
    config.loss.name, config.loss.gp_weight = loss, None
    config.loss.top_k_fraction = 1.0
  gan, state = families.build(config, parallel.axis_name(mode))  # loop.build
  init = jax.device_get((state.g_params, state.g_batch_stats, state.d_params))
  step = parallel.compile_step(gan, mode)
  s = parallel.place_state(state, mode)
  rng = np.random.default_rng(0)
  for i in range(3):
    n = config.train.n_critic
    batch = {'x': rng.uniform(-1, 1, (n, 8, 28, 28, 1)).astype(np.float32),
             'label': np.zeros((n, 8), np.int32)}
    s, metrics = step(s, parallel.shard(batch, mode))
  host = parallel.host_state(s, mode)
  def flat(tree):
    return {jax.tree_util.keystr(k): np.asarray(v).tolist()
            for k, v in jax.tree_util.tree_flatten_with_path(tree)[0]}
  m = jax.device_get(metrics)
  m = {k: float(v[0] if mode == 'pmap' else v) for k, v in m.items()}
  return {'devices': jax.local_device_count(),
          'params': flat((host.g_params, host.g_batch_stats, host.d_params)),
          'init': flat(init), 'metrics': m}

json.dump({mode: {kind: run(mode, *kind.split(':')) for kind in sys.argv[2:]}
           for mode in ('jit', 'pmap')}, open(out, 'w'))
'''

# Each kind is 'update_scheme:loss' ('' keeps the config's): WGAN-GP with
# n_critic=2 and top-k; the simultaneous step; RaGAN, whose logits are
# compared with the other side's mean over the global batch.
KINDS = (':', 'simultaneous:', 'alternating:ragan')


# One process with 4 devices runs every kind under both layouts: jit on
# the first device, pmap on all 4 (a process start and import cost more
# than a kind's compilation; 2 devices ran too once, adding ~45 s to the
# suite and nothing that 4 does not check; tests/test_multihost.py runs 2
# devices per process).
def test_pmap_on_4_devices_equals_jit_on_one_for_every_step_kind(tmp_path):
  """A BatchNorm DCGAN, the same global batch, the same update: WGAN-GP
  with n_critic=2 and top-k, train.update_scheme='simultaneous', and RaGAN
  (each logit against the other side's mean over the global batch, in D's
  and in G's step)."""
  out = tmp_path / 'layouts.json'
  env = dict(os.environ, JAX_PLATFORMS='cpu', PYTHONPATH=ROOT,
             XLA_FLAGS=xla_flags(4))
  subprocess.run([sys.executable, '-c', PMAP_SCRIPT, str(out), *KINDS],
                 check=True, env=env, cwd=ROOT, timeout=300,
                 capture_output=True)
  layouts = json.loads(out.read_text())
  one, four = layouts['jit'], layouts['pmap']
  for kind in KINDS:
    assert one[kind]['devices'] == 4  # jit ran on the first of them
    # A relativistic loss is blind to a shift of all logits, so the
    # gradient of D's last bias is 0 in exact arithmetic: Adam makes a step
    # of its rounding noise on any layout. Every other tensor must agree.
    skip = ("[2]['Dense_0']['bias']",) if 'ragan' in kind else ()
    _check_same_update(one[kind], four[kind], 4, skip=skip, kind=kind)


def _check_same_update(one, two, devices, skip=(), kind=''):
  assert two['devices'] == devices
  assert one['params'].keys() == two['params'].keys()
  for name in one['params']:
    if name in skip:
      continue
    # The change of every parameter tensor (and BatchNorm statistic) over
    # the 3 steps is the same. Adam turns float32 reordering noise in a
    # near-zero gradient into a visible step for a few of ~10^6 elements,
    # so the changes are compared as vectors, not element by element.
    init = np.array(one['init'][name])
    moved_one = np.array(one['params'][name]) - init
    moved_two = np.array(two['params'][name]) - init
    assert np.linalg.norm(moved_two - moved_one) <= 1e-2 * max(
        np.linalg.norm(moved_one), 1e-12), (kind, name)
  for name, value in one['metrics'].items():
    assert two['metrics'][name] == pytest.approx(value, rel=1e-3, abs=1e-4), (
        kind, name)


def test_ema_of_generator_weights_follows_its_closed_form():
  config = config_lib.get_config('default')
  config.model.ema_decay = 0.9
  gan, state = train.build(config)
  _leaves = jax.tree.leaves
  for a, b in zip(_leaves(state.g_ema_params), _leaves(state.g_params)):
    np.testing.assert_array_equal(a, b)
  batch = {'x': jnp.ones((1, 16, 2)), 'label': jnp.zeros((1, 16), jnp.int32)}
  step = jax.jit(lambda s, b: steps.train_step(gan, s, b))
  new, _ = step(state, batch)
  for e, p0, p1 in zip(_leaves(new.g_ema_params), _leaves(state.g_params),
                       _leaves(new.g_params)):
    np.testing.assert_allclose(e, 0.9 * p0 + 0.1 * p1, rtol=1e-6, atol=1e-7)
  # Samples come from the EMA weights.
  z = jnp.ones((3, gan.latent_dim))
  ema_only = new.replace(g_params=jax.tree.map(jnp.zeros_like, new.g_params))
  np.testing.assert_array_equal(steps.generate(gan, new, z),
                                steps.generate(gan, ema_only, z))


# --------------------------------------------------------------------------
# train.update_scheme='simultaneous': both networks from one forward pass.
# --------------------------------------------------------------------------


def _small_dcgan(loss='ns', update='simultaneous'):
  """A narrow DCGAN (BatchNorm in G, dropout in D) on 28x28x1 shapes."""
  config = config_lib.get_config('mnist_dcgan')
  config.data.image_size = 28
  config.data.channels = 1
  config.model.latent_dim = 8
  config.model.generator = dict(name='dcgan', features=(16, 8, 4))
  config.model.discriminator = dict(name='dcgan', features=(4, 8),
                                    dropout=0.3)
  config.loss.name = loss
  config.train.update_scheme = update
  config.train.batch_size = 8
  return config, *train.build(config)


def _same(a, b, **tol):
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), **tol)


def test_alternating_step_is_d_step_then_g_step_bit_for_bit():
  config, gan, state = _small_dcgan(update='alternating')
  assert gan.update_scheme == 'alternating'
  assert config_lib.base_config().train.update_scheme == 'alternating'
  x = jax.random.uniform(jax.random.PRNGKey(5), (1, 8, 28, 28, 1),
                         minval=-1, maxval=1)
  batch = {'x': x, 'label': jnp.zeros((1, 8), jnp.int32)}
  new, _ = _reference(lambda s, b: steps.train_step(gan, s, b), state, batch)

  def by_hand(s):
    key = jax.random.fold_in(s.rng, s.step)
    d_key = jax.random.split(jax.random.fold_in(key, 0), 1)[0]
    s, _ = steps.d_step(gan, s, x[0], batch['label'][0], d_key)
    s, _ = steps.g_step(gan, s, jax.random.fold_in(key, 1), 8)
    return s.replace(step=s.step + 1)

  for a, b in zip(jax.tree.leaves(new),
                  jax.tree.leaves(_reference(by_hand, state)), strict=True):
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize('loss', ['ns', 'wgan_gp'])
def test_simultaneous_step_equals_both_gradients_of_one_forward(loss):
  """The step's new parameters, optimizer states and BatchNorm statistics
  equal a second path: the same z and dropout keys, D's gradient of D's
  loss with G(z) fixed, G's gradient of G's loss with D fixed, each
  applied with its own optax optimizer to the old parameters."""
  from ganjax import losses
  config, gan, state = _small_dcgan(loss)
  assert gan.update_scheme == 'simultaneous'
  real = jax.random.uniform(jax.random.PRNGKey(5), (8, 28, 28, 1),
                            minval=-1, maxval=1)
  batch = {'x': real[None], 'label': jnp.zeros((1, 8), jnp.int32)}
  new, metrics = _reference(lambda s, b: steps.train_step(gan, s, b), state,
                            batch)

  def by_hand(s):
    key = jax.random.fold_in(s.rng, s.step)
    key = jax.random.split(jax.random.fold_in(key, 0), 1)[0]
    z_key, eps_key, _, drop_key = jax.random.split(key, 4)
    z = jax.random.normal(z_key, (8, gan.latent_dim))
    k_gen, k_real, k_fake, k_gp = jax.random.split(drop_key, 4)

    def g_forward(g_params):
      out, upd = gan.generator.apply(
          {'params': g_params, 'batch_stats': s.g_batch_stats}, z,
          train=True, mutable=['batch_stats'], rngs={'dropout': k_gen})
      return out, upd['batch_stats']

    def d_apply(d_params, x, k):
      return gan.discriminator.apply({'params': d_params}, x, train=True,
                                     rngs={'dropout': k})

    fake, g_stats = g_forward(s.g_params)

    def d_loss(d_params):
      value = gan.loss.d_loss(d_apply(d_params, real, k_real),
                              d_apply(d_params, fake, k_fake))
      if gan.gp_weight > 0:
        eps = jax.random.uniform(eps_key, (8,))
        x_hat = losses.interpolate(real, fake, eps)
        value += gan.gp_weight * losses.gradient_penalty(
            lambda x: d_apply(d_params, x, k_gp), x_hat)
      return value

    def g_loss(g_params):
      return gan.loss.g_loss(d_apply(s.d_params, g_forward(g_params)[0],
                                     k_fake))

    d_grads = jax.grad(d_loss)(s.d_params)
    g_grads = jax.grad(g_loss)(s.g_params)
    d_upd, d_opt = gan.d_tx.update(d_grads, s.d_opt_state, s.d_params)
    g_upd, g_opt = gan.g_tx.update(g_grads, s.g_opt_state, s.g_params)
    return s.replace(
        step=s.step + 1, g_batch_stats=g_stats, g_opt_state=g_opt,
        d_opt_state=d_opt,
        g_params=jax.tree.map(jnp.add, s.g_params, g_upd),
        d_params=jax.tree.map(jnp.add, s.d_params, d_upd)), d_loss(
            s.d_params), g_loss(s.g_params)

  expected, d_value, g_value = _reference(by_hand, state)
  _same(new, expected, rtol=1e-5, atol=1e-6)
  assert float(metrics['d_loss']) == pytest.approx(float(d_value), rel=1e-5)
  assert float(metrics['g_loss']) == pytest.approx(float(g_value), rel=1e-5)
  assert (float(metrics['gp']) > 0) == (loss == 'wgan_gp')
  # Both networks moved, from the same starting point.
  moved = lambda a, b: any(not np.allclose(x, y) for x, y in zip(
      jax.tree.leaves(a), jax.tree.leaves(b)))
  assert moved(new.g_params, state.g_params)
  assert moved(new.d_params, state.d_params)


@pytest.mark.parametrize('field,value', [('n_critic', 5), ('g_steps', 2)])
def test_simultaneous_update_refuses_several_updates_per_step(field, value):
  from ganjax import errors, state as state_lib
  config = config_lib.get_config('default')
  config.train.update_scheme = 'simultaneous'
  config.train[field] = value
  with pytest.raises(errors.ConfigError, match='train.update_scheme'):
    config_lib.validate(config)
  with pytest.raises(errors.ConfigError, match='n_critic=1'):
    state_lib.build_gan(config, (2,))


def test_unknown_update_scheme_is_refused():
  from ganjax import errors
  config = config_lib.get_config('default')
  config.train.update_scheme = 'interleaved'
  with pytest.raises(errors.ConfigError,
                     match="train.update_scheme='interleaved'"):
    config_lib.validate(config)


def test_r1_and_top_k_work_with_the_simultaneous_step():
  config = config_lib.get_config('default')
  config.train.update_scheme = 'simultaneous'
  config.loss.r1_weight = 1.0
  config.loss.top_k_fraction = 0.5
  gan, state = train.build(config)
  batch = {'x': jnp.ones((1, 16, 2)), 'label': jnp.zeros((1, 16), jnp.int32)}
  new, m = jax.jit(lambda s, b: steps.train_step(gan, s, b))(state, batch)
  assert {'r1', 'g_top_k', 'd_loss', 'g_loss'} <= set(m)
  assert np.isfinite(float(m['r1'])) and int(new.step) == 1


def test_uniform01_latents_are_torch_rand_like():
  """model.latent_dist='uniform01': U[0, 1), seed 003's torch.rand."""
  config = config_lib.get_config('gaussian1d_moments')
  config.model.latent_dist = 'uniform01'
  gan, _ = train.build(config)
  z = np.asarray(gan.sample_latent(jax.random.PRNGKey(0), 10_000))
  assert z.shape == (10_000, 1) and z.min() >= 0.0 and z.max() < 1.0
  assert abs(z.mean() - 0.5) < 0.02


def test_the_gradient_penalty_is_a_knob_of_every_loss():
  """loss.gp_weight adds lambda * GP to D's loss whatever the loss (it
  used to be read by wgan_gp only); None is the loss's own default."""
  config, gan, state = _toy_gan('ns')
  assert gan.gp_weight == 0.0
  config.loss.gp_weight = 5.0
  gan_gp, _ = train.build(config)
  real = jnp.asarray(np.random.default_rng(2).normal(size=(32, 2)))
  labels = jnp.zeros((32,), jnp.int32)
  key = jax.random.PRNGKey(7)
  _, plain = jax.jit(lambda s: steps.d_step(gan, s, real, labels, key))(state)
  _, m = jax.jit(lambda s: steps.d_step(gan_gp, s, real, labels, key))(state)
  assert float(plain['gp']) == 0.0 and float(m['gp']) > 0
  np.testing.assert_allclose(m['d_loss'], plain['d_loss'] + 5.0 * m['gp'],
                             rtol=1e-5)
  # Second path for the penalty: the same z, eps and critic by hand.
  def by_hand(g_params, d_params):
    z_key, eps_key, _, _ = jax.random.split(key, 4)
    fake = gan.generator.apply({'params': g_params},
                               gan.sample_latent(z_key, 32), train=True)
    eps = jax.random.uniform(eps_key, (32,))
    critic = lambda x: gan.discriminator.apply({'params': d_params}, x,
                                               train=True)
    return losses.gradient_penalty(critic,
                                   losses.interpolate(real, fake, eps))
  expected = _reference(by_hand, state.g_params, state.d_params)
  np.testing.assert_allclose(m['gp'], expected, rtol=1e-4)
  # wgan_gp keeps its lambda 10; the plain Wasserstein loss has none.
  assert train.build(_toy_gan('wgan_gp')[0])[0].gp_weight == 10.0
  assert train.build(_toy_gan('wasserstein')[0])[0].gp_weight == 0.0


def test_wgan_gp_without_its_penalty_is_refused():
  config, _, _ = _toy_gan('wgan_gp')
  config.loss.gp_weight = 0.0
  with pytest.raises(errors.ConfigError, match="loss.name='wasserstein'"):
    train.build(config)


@pytest.mark.parametrize('loss', ['hinge', 'lsgan', 'ragan', 'ralsgan'])
def test_every_new_loss_trains_a_toy_gan_and_moves_d_towards_the_data(loss):
  """A few alternating steps on ring8 with a conditional-free MLP GAN:
  finite losses, and D scores real data above G's samples (its readout
  moves the way the loss asks)."""
  config = config_lib.get_config('default')
  config.loss.name = loss
  config.train.batch_size = 64
  gan, state = train.build(config)
  step = parallel.compile_step(gan, 'jit')
  stream = data.make_stream(config)
  for _ in range(30):
    state, metrics = step(state, next(stream))
  metrics = jax.device_get(metrics)
  assert all(np.isfinite(float(v)) for v in metrics.values())
  assert float(metrics['d_real']) > float(metrics['d_fake'])


def test_ema_starts_at_ema_start():
  config = config_lib.get_config('default')
  config.model.ema_decay, config.model.ema_start = 0.9, 2
  gan, state = train.build(config)
  batch = {'x': jnp.ones((1, 16, 2)), 'label': jnp.zeros((1, 16), jnp.int32)}
  step = jax.jit(lambda s, b: steps.train_step(gan, s, b))
  leaves = jax.tree.leaves
  for _ in range(2):  # Steps 0 and 1: the EMA is G itself.
    state, _ = step(state, batch)
    for e, p in zip(leaves(state.g_ema_params), leaves(state.g_params)):
      np.testing.assert_array_equal(e, p)
  new, _ = step(state, batch)  # Step 2: the first average.
  for e, p0, p1 in zip(leaves(new.g_ema_params), leaves(state.g_params),
                       leaves(new.g_params)):
    np.testing.assert_allclose(e, 0.9 * p0 + 0.1 * p1, rtol=1e-6, atol=1e-7)


def test_standing_statistics_are_the_ema_weights_batch_statistics():
  """BigGAN's standing statistics: the mean of the EMA generator's own
  batch statistics, not the online G's moving averages."""
  from ganjax.families import gan as gan_family  # pylint: disable=g-import-not-at-top
  config = config_lib.get_config('mnist_dcgan')
  config.data.name, config.data.image_size = 'digits', 8
  config.model.generator = dict(name='dcgan', features=(16, 8, 4),
                                kernel_size=3)
  # Only G's statistics matter: a narrow D keeps the state cheap to build.
  config.model.discriminator = dict(name='dcgan', features=(4, 8))
  config.model.ema_decay, config.model.ema_standing_stats = 0.5, 3
  config.train.batch_size = 32
  gan, state = train.build(config)
  # EMA weights unlike G's, so their statistics differ from G's.
  state = state.replace(g_ema_params=jax.tree.map(lambda p: p * 1.5,
                                                  state.g_params))
  got = gan_family.for_sampling(gan, state).g_batch_stats
  # By hand: each batch's statistics, from BatchNorm started at zero with
  # the momentum the layers use (0.99): moving = 0.01 * batch statistics.
  def by_hand(ema_params, g_batch_stats):
    keys = jax.random.split(jax.random.PRNGKey(gan_family.STANDING_KEY), 3)
    zero = jax.tree.map(jnp.zeros_like, g_batch_stats)
    per_batch = []
    for k in keys:
      z_key, _, drop_key = jax.random.split(k, 3)
      z = gan.sample_latent(z_key, 32)
      _, upd = gan.generator.apply(
          {'params': ema_params, 'batch_stats': zero}, z, train=True,
          mutable=['batch_stats'], rngs={'dropout': drop_key})
      per_batch.append(jax.tree.map(lambda x: x / 0.01, upd['batch_stats']))
    return jax.tree.map(lambda *x: jnp.mean(jnp.stack(x), axis=0),
                        *per_batch)
  want = _reference(by_hand, state.g_ema_params, state.g_batch_stats)
  for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
    np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-4)
  online = jax.tree.leaves(state.g_batch_stats)
  assert not all(np.allclose(a, b) for a, b in zip(jax.tree.leaves(got),
                                                    online))
