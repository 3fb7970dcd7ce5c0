"""The compiled step: D learns, metrics are there, one device == many."""

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax import config_lib, steps, train
from conftest import ROOT


def _toy_gan(loss='ns', n_critic=1):
  config = config_lib.get_config('default')
  config.loss.name = loss
  config.train.n_critic = n_critic
  return config, *train.build(config)


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
  _, plain = jax.jit(lambda s: steps.d_step(gan, s, real, labels, key))(state)
  new, m = jax.jit(lambda s: steps.d_step(gan_r1, s, real, labels, key))(
      state)
  assert 'r1' not in plain
  # Second path: the squared input gradient of D's logit at the real data.
  d = lambda x: gan.discriminator.apply({'params': state.d_params}, x[None],
                                        train=True).reshape(())
  expected = np.mean([np.sum(np.asarray(jax.grad(d)(x))**2) for x in real])
  np.testing.assert_allclose(m['r1'], expected, rtol=1e-4)
  np.testing.assert_allclose(m['d_loss'], plain['d_loss'] + 2.0 * expected,
                             rtol=1e-4)
  assert m['r1'] > 0
  # The penalty changes D's update (its weights; for a ReLU net the input
  # gradient does not depend on the biases).
  plain_state, _ = jax.jit(lambda s: steps.d_step(gan, s, real, labels, key))(
      state)
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
import json, sys
import jax, numpy as np
from ganjax import config_lib, data, parallel, train
mode, out = sys.argv[1], sys.argv[2]
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
config.loss.top_k_fraction = 0.5  # top-k G updates pick from the global
config.loss.top_k_decay = 0.5     # batch: the same 4 of 8 on any layout
gan, state = train.build(config, mode)
init = jax.device_get((state.g_params, state.g_batch_stats, state.d_params))
step = parallel.compile_step(gan, mode)
s = parallel.place_state(state, mode)
rng = np.random.default_rng(0)
for i in range(3):
  batch = {'x': rng.uniform(-1, 1, (2, 8, 28, 28, 1)).astype(np.float32),
           'label': np.zeros((2, 8), np.int32)}
  s, metrics = step(s, parallel.shard(batch, mode))
host = parallel.host_state(s, mode)
def flat(tree):
  return {jax.tree_util.keystr(k): np.asarray(v).tolist()
          for k, v in jax.tree_util.tree_flatten_with_path(tree)[0]}
m = jax.device_get(metrics)
m = {k: float(v[0] if mode == 'pmap' else v) for k, v in m.items()}
json.dump({'devices': jax.local_device_count(),
           'params': flat((host.g_params, host.g_batch_stats, host.d_params)),
           'init': flat(init), 'metrics': m}, open(out, 'w'))
'''


def _run_layout(tmp_path, mode, devices):
  out = tmp_path / f'{mode}{devices}.json'
  env = dict(os.environ, XLA_FLAGS=f'--xla_force_host_platform_device_count={devices}',
             JAX_PLATFORMS='cpu', PYTHONPATH=ROOT)
  subprocess.run([sys.executable, '-c', PMAP_SCRIPT, mode, str(out)],
                 check=True, env=env, cwd=ROOT, timeout=300,
                 capture_output=True)
  return json.loads(out.read_text())


@pytest.fixture(scope='module')
def one_device(tmp_path_factory):
  return _run_layout(tmp_path_factory.mktemp('jit'), 'jit', 1)


# 4 devices only (2 ran too; it added ~45 s to the suite and nothing that
# 4 does not check; tests/test_multihost.py runs 2 devices per process).
@pytest.mark.parametrize('devices', [4])
def test_pmap_on_n_devices_equals_jit_on_one(tmp_path, one_device, devices):
  """WGAN-GP with a BatchNorm DCGAN: same global batch, same update."""
  one = one_device
  two = _run_layout(tmp_path, 'pmap', devices)
  assert two['devices'] == devices
  assert one['params'].keys() == two['params'].keys()
  for name in one['params']:
    # The change of every parameter tensor (and BatchNorm statistic) over
    # the 3 steps is the same. Adam turns float32 reordering noise in a
    # near-zero gradient into a visible step for a few of ~10^6 elements,
    # so the changes are compared as vectors, not element by element.
    init = np.array(one['init'][name])
    moved_one = np.array(one['params'][name]) - init
    moved_two = np.array(two['params'][name]) - init
    assert np.linalg.norm(moved_two - moved_one) <= 1e-2 * max(
        np.linalg.norm(moved_one), 1e-12), name
  for name, value in one['metrics'].items():
    assert two['metrics'][name] == pytest.approx(value, rel=1e-3, abs=1e-4)


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
