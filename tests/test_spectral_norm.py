"""Spectral normalization of the discriminators (Miyato et al. 2018):
``spectral_norm=True`` on every discriminator, ``flax.linen.SpectralNorm``
with its power-iteration vectors in D's ``batch_stats``."""

import json
import os
import subprocess
import sys

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ganjax
from ganjax import config_lib, models, steps
from ganjax import loop as train
from ganjax.models import layers
from ganjax.state import count_parameters
from conftest import ROOT, leaves_equal, tiny, xla_flags

# Every discriminator: (registry name, extra fields, input shape).
DISCRIMINATORS = [
    ('mlp', {}, (4, 2)),
    ('dcgan', {}, (4, 28, 28, 1)),
    ('dcgan', {'fast_conv': False}, (4, 28, 28, 1)),
    ('conv_pool', {}, (4, 28, 28, 1)),
    ('keras_mnist_modified', {}, (4, 28, 28, 1)),
    ('keras_svhn_baseline', {}, (4, 32, 32, 1)),
    ('keras_svhn_modified', {}, (4, 32, 32, 1)),
    ('tf_report_mnist', {}, (4, 28, 28, 1)),
    ('slides_dcgan', {}, (4, 28, 28, 1)),
    ('moments', {}, (500, 1)),
    ('projection_mlp', {'num_classes': 8}, (4, 2)),
    ('projection_dcgan', {'num_classes': 10}, (4, 28, 28, 1)),
    ('resnet_sngan32', {}, (4, 32, 32, 3)),
    ('resnet_sngan32', {'num_classes': 10}, (4, 32, 32, 3)),
]


def _flat(tree, prefix=()):
  for key, value in tree.items():
    if isinstance(value, dict) or hasattr(value, 'items'):
      yield from _flat(value, prefix + (key,))
    else:
      yield prefix + (key,), value


def sigmas_and_kernels(params, batch_stats):
  """(stored sigma, the kernel it normalizes) for every spectrally
  normalized kernel: a ``SpectralNorm_i`` entry holds ``'<layer>/<param
  path>/sigma'`` for the layer ``<layer>`` beside it in ``params``. Trees of
  shapes (``jax.eval_shape``) give (None, the kernel's shape)."""
  abstract = isinstance(jax.tree.leaves(params)[0], jax.ShapeDtypeStruct)
  if not abstract:
    params = jax.tree.map(np.asarray, params)
  out = []
  for path, value in _flat(batch_stats):
    if not path[-1].endswith('/sigma'):
      continue
    assert path[-2].startswith('SpectralNorm_'), path
    node = params
    for key in path[:-2]:  # the enclosing module (e.g. a ResNet block)
      node = node[key]
    for key in path[-1].split('/')[:-1]:
      node = node[key]
    out.append((None, node) if abstract else (float(value), np.asarray(node)))
  return out


def largest_singular_value(kernel):
  matrix = kernel.reshape(-1, kernel.shape[-1])  # as flax reshapes it
  return float(np.linalg.svd(matrix, compute_uv=False)[0])


def _init(name, extra, shape, spectral_norm, shapes_only=False):
  d = models.build_discriminator(dict(name=name, spectral_norm=spectral_norm,
                                      **extra))
  kw = ({'labels': jnp.zeros((shape[0],), jnp.int32)}
        if extra.get('num_classes') else {})
  init = lambda k, x: d.init(k, x, train=False, **kw)
  variables = (jax.eval_shape if shapes_only else jax.jit(init))(
      *((init,) if shapes_only else ()), jax.random.PRNGKey(0),
      jnp.ones(shape))
  return d, variables, kw


@pytest.mark.parametrize('name,extra,shape', DISCRIMINATORS)
def test_trainable_parameters_are_unchanged_and_vectors_are_stats(
    name, extra, shape):
  """(d) The vectors are not trainable: the same parameter tree and count
  with and without spectral norm; one u and one sigma per kernel."""
  # Shapes only (nothing is computed): the trees are what is tested.
  _, plain, _ = _init(name, extra, shape, False, shapes_only=True)
  _, normed, _ = _init(name, extra, shape, True, shapes_only=True)
  assert (jax.tree.map(jnp.shape, plain['params'])
          == jax.tree.map(jnp.shape, normed['params']))
  counts = count_parameters(plain['params'])['trainable']
  assert count_parameters(normed['params'])['trainable'] == counts
  kernels = [v for p, v in _flat(normed['params']) if v.ndim >= 2]
  pairs = sigmas_and_kernels(normed['params'], normed['batch_stats'])
  assert len(pairs) == len(kernels) > 0
  for _, kernel in pairs:
    assert kernel.ndim >= 2


@pytest.mark.parametrize('name,extra,shape', [
    DISCRIMINATORS[1], DISCRIMINATORS[3], DISCRIMINATORS[11],
    DISCRIMINATORS[12]])
def test_train_mode_updates_sigma_to_the_largest_singular_value(
    name, extra, shape):
  """(a) Power iteration in train mode: after repeated calls the stored
  sigma of each layer is the largest singular value of its kernel
  reshaped to [-1, out], and (b) the normalized kernel's spectral norm is
  1. Inference reads the vectors and never writes them."""
  d, variables, kw = _init(name, extra, shape, True)
  x = jax.random.normal(jax.random.PRNGKey(1), shape)

  @jax.jit
  def update(stats, _):
    _, new = d.apply({'params': variables['params'], 'batch_stats': stats},
                     x, train=True, mutable=['batch_stats'],
                     rngs={'dropout': jax.random.PRNGKey(2)}, **kw)
    return new['batch_stats'], None

  stats, _ = jax.lax.scan(update, variables['batch_stats'], None, length=300)
  for sigma, kernel in sigmas_and_kernels(variables['params'], stats):
    want = largest_singular_value(kernel)
    np.testing.assert_allclose(sigma, want, rtol=0.03)
    normalized = kernel / sigma
    np.testing.assert_allclose(largest_singular_value(normalized), 1.0,
                               rtol=0.03)
  # Inference: deterministic, and the stored vectors stay as they are.
  held = {'params': variables['params'], 'batch_stats': stats}
  out, kept = d.apply(held, x, train=False, mutable=['batch_stats'], **kw)
  leaves_equal(kept['batch_stats'], stats)
  np.testing.assert_array_equal(out, d.apply(held, x, train=False, **kw))


def test_a_normalized_dense_layer_has_spectral_norm_one():
  """(b) The map the layer computes (no bias: its matrix, read off the
  identity) has largest singular value 1 once the vector has converged."""
  class Net(nn.Module):
    @nn.compact
    def __call__(self, x, train):
      return layers.spectral(nn.Dense(16, use_bias=False), True, train)(x)

  net, eye = Net(), jnp.eye(32)
  variables = net.init(jax.random.PRNGKey(0), eye, train=False)
  # flax's init stores the kernel already divided by its first estimate of
  # sigma; scaled up, the kernel is far from norm 1.
  variables = {**variables,
               'params': jax.tree.map(lambda w: 10 * w, variables['params'])}
  stats = variables['batch_stats']
  power_step = jax.jit(lambda stats: net.apply(
      {**variables, 'batch_stats': stats}, eye, train=True,
      mutable=['batch_stats'])[1]['batch_stats'])
  for _ in range(100):
    stats = power_step(stats)
  matrix = net.apply({**variables, 'batch_stats': stats}, eye, train=False)
  np.testing.assert_allclose(np.linalg.svd(matrix, compute_uv=False)[0], 1.0,
                             rtol=1e-3)
  raw = variables['params']['Dense_0']['kernel']
  assert largest_singular_value(np.asarray(raw)) > 10.0


def _gan(name='default', **overrides):
  config = config_lib.get_config(name)
  config.model.discriminator = dict(config.model.discriminator,
                                    spectral_norm=True)
  for key, value in overrides.items():
    node = config
    *parents, leaf = key.split('.')
    for p in parents:
      node = node[p]
    node[leaf] = value
  config.train.batch_size = 16
  return config, *train.build(config)


def _two_train_calls(gan, params, stats, x):
  for _ in range(2):
    _, new = gan.discriminator.apply({'params': params, 'batch_stats': stats},
                                     x, train=True, mutable=['batch_stats'])
    stats = new['batch_stats']
  return stats


def test_vectors_advance_only_in_d_real_and_fake_passes():
  """D's update keeps the vectors of its real and fake passes (two power
  steps from the state's, whatever the gradient penalty and R1 critic
  calls compute); G's step leaves them as they were."""
  _, gan, state = _gan(**{'loss.gp_weight': 10.0, 'loss.r1_weight': 1.0})
  real = jax.random.normal(jax.random.PRNGKey(3), (16, 2))
  labels = jnp.zeros((16,), jnp.int32)
  new, _ = jax.jit(lambda s, r, l, k: steps.d_step(gan, s, r, l, k))(
      state, real, labels, jax.random.PRNGKey(4))
  want = _two_train_calls(gan, state.d_params, state.d_batch_stats, real)
  for got, exp in zip(jax.tree.leaves(new.d_batch_stats),
                      jax.tree.leaves(want)):
    np.testing.assert_allclose(got, exp, rtol=1e-5, atol=1e-6)
  assert not np.allclose(jax.tree.leaves(new.d_batch_stats)[1],
                         jax.tree.leaves(state.d_batch_stats)[1])
  after_g, _ = jax.jit(lambda s, k: steps.g_step(gan, s, k, 16))(
      new, jax.random.PRNGKey(5))
  leaves_equal(after_g.d_batch_stats, new.d_batch_stats)


def test_simultaneous_step_keeps_the_real_and_fake_passes_vectors():
  _, gan, state = _gan(**{'train.update_scheme': 'simultaneous'})
  real = jax.random.normal(jax.random.PRNGKey(3), (16, 2))
  new, _ = jax.jit(lambda s, r, l, k: steps.simultaneous_step(
      gan, s, r, l, k))(state, real, jnp.zeros((16,), jnp.int32),
                        jax.random.PRNGKey(4))
  want = _two_train_calls(gan, state.d_params, state.d_batch_stats, real)
  for got, exp in zip(jax.tree.leaves(new.d_batch_stats),
                      jax.tree.leaves(want)):
    np.testing.assert_allclose(got, exp, rtol=1e-5, atol=1e-6)


def test_ring8_trains_with_spectral_norm_and_checkpoints_the_vectors(
    tmp_path):
  """(c) 50 steps of configs/default.py (ring8, MLP GAN) with a spectrally
  normalized D stay finite, D's batch_stats hold u and sigma per layer
  (sigma near the kernel's largest singular value), and (e) the
  checkpoint restores them, and resumes."""
  config = tiny(config_lib.get_config('default'), steps=50, batch=64)
  config.model.discriminator = dict(config.model.discriminator,
                                    spectral_norm=True)
  config.train.sample_every = 50
  workdir = str(tmp_path / 'run')
  trained = ganjax.train(config, workdir)
  state = trained.state
  assert int(state.step) == 50
  for leaf in jax.tree.leaves((state.d_params, state.d_batch_stats,
                               state.g_params)):
    assert np.all(np.isfinite(np.asarray(leaf)))
  names = sorted(k for stats in state.d_batch_stats.values() for k in stats)
  assert names == sorted(f'Dense_{i}/kernel/{v}' for i in range(4)
                         for v in ('sigma', 'u'))
  pairs = sigmas_and_kernels(state.d_params, state.d_batch_stats)
  assert len(pairs) == 4
  for sigma, kernel in pairs:  # 100 power steps, moving parameters
    np.testing.assert_allclose(sigma, largest_singular_value(kernel),
                               rtol=0.1)
  loaded = ganjax.load(workdir)
  assert loaded.step == 50
  leaves_equal(loaded.state.d_batch_stats, state.d_batch_stats)
  leaves_equal(loaded.state.d_params, state.d_params)
  config.train.steps = 52
  resumed = train.train_and_evaluate(config, workdir)
  assert int(resumed.step) == 52


PMAP_SCRIPT = r'''
import json, sys
import jax, numpy as np
from ganjax import config_lib, parallel, loop as train
got = {}
for mode in ('jit', 'pmap'):  # jit runs on the first of the 2 devices
  config = config_lib.get_config('default')
  config.model.discriminator = dict(name='mlp', hidden=(32, 32),
                                    spectral_norm=True)
  config.model.generator = dict(name='mlp', hidden=(32,))
  config.train.batch_size = 8
  config.train.n_critic = 2
  config.loss.gp_weight = 1.0
  gan, state = train.build(config, mode)
  step = parallel.compile_step(gan, mode)
  s = parallel.place_state(state, mode)
  rng = np.random.default_rng(0)
  for _ in range(3):
    batch = {'x': rng.normal(size=(2, 8, 2)).astype(np.float32),
             'label': np.zeros((2, 8), np.int32)}
    s, _ = step(s, parallel.shard(batch, mode))
  host = parallel.host_state(s, mode)
  got[mode] = [np.asarray(x).tolist() for x in
               jax.tree.leaves((host.d_batch_stats, host.d_params))]
json.dump(got, open(sys.argv[1], 'w'))
'''


def test_pmap_on_two_devices_equals_jit(tmp_path):
  """The vectors depend on D's parameters only, which every device holds
  equal: under pmap they stay equal to one device's."""
  out = tmp_path / 'out.json'
  env = dict(os.environ, JAX_PLATFORMS='cpu', PYTHONPATH=ROOT,
             XLA_FLAGS=xla_flags(2))
  subprocess.run([sys.executable, '-c', PMAP_SCRIPT, str(out)],
                 check=True, env=env, cwd=ROOT, timeout=300)
  got = json.loads(out.read_text())
  assert len(got['jit']) == len(got['pmap']) > 0
  for a, b in zip(got['jit'], got['pmap']):
    np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-4,
                               atol=1e-5)
