"""The seed documents' GANs: every layer of seed 004's Keras tables (output
shape and parameter count, BatchNorm moving statistics counted as Keras
does), the shapes of the other seeds' models, and two training steps of
every seed config (images under ``tfds.testing.mock_data``).

Shapes and counts come from ``jax.eval_shape`` (nothing is computed); the
two-step runs are dominated by XLA's CPU compile time.
"""

import os
import re

import jax
import jax.numpy as jnp
import matplotlib.image
import numpy as np
import pytest

from ganjax import (sampling, config_lib, data, errors, losses, models,
                    state as state_lib, loop as train, visualize)
from ganjax.models import moments
from conftest import ROOT

KEYS = {'params': jax.random.PRNGKey(0), 'dropout': jax.random.PRNGKey(1)}


def _init(module, x, **kw):
  """Initial variables, computed by one compiled program (faster on CPU
  than op-by-op for these models)."""
  return jax.jit(lambda x, kw: module.init(KEYS, x, train=False, **kw))(x, kw)


def _apply(module, variables, x, **kw):
  """``module.apply`` compiled; static keyword arguments stay Python."""
  static = {k: v for k, v in kw.items() if isinstance(v, (bool, list, str))}
  arrays = {k: v for k, v in kw.items() if k not in static}
  return jax.jit(lambda v, x, a: module.apply(v, x, **a, **static))(
      variables, x, arrays)


def _shapes(module, x, **kw):
  """The variables' shapes, without computing them."""
  return jax.eval_shape(lambda: module.init(KEYS, x, train=False, **kw))


def _counts(module, x, **kw):
  v = _shapes(module, x, **kw)
  return state_lib.count_parameters(v['params'], v.get('batch_stats', {}))


def _layers(module, x):
  """Keras-summary-like rows ``(layer type, output shape, params)`` in call
  order, for the layers that are Flax modules (Dense, Conv, ConvTranspose,
  BatchNorm, Dropout); params include BatchNorm moving mean and variance.
  Also returns the variables' shapes."""
  v = _shapes(module, x)
  outputs = []  # (layer, output shape), in call order, recorded while tracing

  def trace():
    _, inter = module.apply(module.init(KEYS, x, train=False), x,
                            train=False, capture_intermediates=True)
    outputs.extend((name, out['__call__'][0].shape)
                   for name, out in inter['intermediates'].items()
                   if name != '__call__')

  jax.eval_shape(trace)
  rows = []
  for name, shape in outputs:
    size = sum(int(np.prod(a.shape)) for col in ('params', 'batch_stats')
               for a in jax.tree.leaves(v.get(col, {}).get(name, {})))
    rows.append((name.rsplit('_', 1)[0], tuple(shape[1:]), size))
  return rows, v


def _dense_inputs(variables):
  """Input width of each Dense layer (what Flatten produced for the first)."""
  p = variables['params']
  return [p[k]['kernel'].shape[0] for k in p if k.startswith('Dense')]


Z = jnp.zeros((2, 100))
MNIST = jnp.zeros((2, 28, 28, 1))
SVHN = jnp.zeros((2, 32, 32, 1))


# ----------------------------------------------------------- seed 004 --

def test_tutorial_baseline_mnist_generator_and_discriminator():
  g = models.build_generator({'name': 'dcgan'}, (28, 28, 1))
  assert _counts(g, Z) == {'trainable': 2_305_472, 'non_trainable': 25_472,
                           'total': 2_330_944}
  rows, _ = _layers(g, Z)
  assert rows == [
      ('Dense', (12544,), 1_254_400), ('BatchNorm', (12544,), 50_176),
      ('ConvTranspose', (7, 7, 128), 819_200), ('BatchNorm', (7, 7, 128), 512),
      ('ConvTranspose', (14, 14, 64), 204_800),
      ('BatchNorm', (14, 14, 64), 256),
      ('ConvTranspose', (28, 28, 1), 1_600)]
  d = models.build_discriminator({'name': 'dcgan'})
  assert _counts(d, MNIST) == {'trainable': 212_865, 'non_trainable': 0,
                               'total': 212_865}
  rows, v = _layers(d, MNIST)
  assert rows == [
      ('Conv', (14, 14, 64), 1_664), ('Dropout', (14, 14, 64), 0),
      ('Conv', (7, 7, 128), 204_928), ('Dropout', (7, 7, 128), 0),
      ('Dense', (1,), 6_273)]
  assert _dense_inputs(v) == [7 * 7 * 128]


def test_fig7_mnist_modified_generator():
  g = models.build_generator({'name': 'dcgan', 'kernel_size': 3}, (28, 28, 1))
  assert _counts(g, Z) == {'trainable': 1_649_088, 'non_trainable': 25_472,
                           'total': 1_674_560}
  rows, v = _layers(g, Z)
  assert rows == [
      ('Dense', (12544,), 1_254_400), ('BatchNorm', (12544,), 50_176),
      ('ConvTranspose', (7, 7, 128), 294_912), ('BatchNorm', (7, 7, 128), 512),
      ('ConvTranspose', (14, 14, 64), 73_728),
      ('BatchNorm', (14, 14, 64), 256),
      ('ConvTranspose', (28, 28, 1), 576)]
  # reshape (7, 7, 256) feeds the first transposed conv.
  assert v['params']['ConvTranspose_0']['kernel'].shape == (3, 3, 256, 128)
  assert jax.eval_shape(lambda: g.apply(_init(g, Z), Z, train=False)).shape \
      == (2, 28, 28, 1)


def test_fig8_mnist_modified_discriminator():
  d = models.build_discriminator({'name': 'keras_mnist_modified'})
  assert _counts(d, MNIST) == {'trainable': 207_105, 'non_trainable': 0,
                               'total': 207_105}
  rows, v = _layers(d, MNIST)
  # conv 14x14 -> pool 7x7 -> stride-2 'same' conv 4x4 -> pool 2x2.
  assert rows == [
      ('Conv', (14, 14, 64), 1_664), ('Dropout', (14, 14, 64), 0),
      ('Conv', (4, 4, 128), 204_928), ('Dropout', (4, 4, 128), 0),
      ('Dense', (1,), 513)]
  assert v['params']['Conv_1']['kernel'].shape[:3] == (5, 5, 64)  # 7x7 in
  assert _dense_inputs(v) == [512]  # flatten of 2x2x128
  assert jax.eval_shape(
      lambda: d.apply(_init(d, MNIST), MNIST, train=False)).shape == (2,)


def test_fig9_svhn_baseline_generator():
  g = models.build_generator({'name': 'dcgan', 'kernel_size': 5}, (32, 32, 1))
  assert _counts(g, Z) == {'trainable': 2_697_152, 'non_trainable': 33_152,
                           'total': 2_730_304}
  rows, v = _layers(g, Z)
  assert rows == [
      ('Dense', (16384,), 1_638_400), ('BatchNorm', (16384,), 65_536),
      ('ConvTranspose', (8, 8, 128), 819_200), ('BatchNorm', (8, 8, 128), 512),
      ('ConvTranspose', (16, 16, 64), 204_800),
      ('BatchNorm', (16, 16, 64), 256),
      ('ConvTranspose', (32, 32, 1), 1_600)]
  assert v['params']['ConvTranspose_0']['kernel'].shape == (5, 5, 256, 128)


def test_fig10_svhn_baseline_discriminator():
  d = models.build_discriminator({'name': 'keras_svhn_baseline'})
  assert _counts(d, SVHN) == {'trainable': 2_750_401, 'non_trainable': 192,
                              'total': 2_750_593}
  rows, v = _layers(d, SVHN)
  assert rows == [
      ('Conv', (32, 32, 32), 1_600), ('BatchNorm', (16, 16, 32), 128),
      ('Conv', (16, 16, 64), 51_264), ('BatchNorm', (8, 8, 64), 256),
      ('Conv', (8, 8, 128), 73_856),
      ('Dense', (1024,), 2_098_176), ('Dense', (512,), 524_800),
      ('Dense', (1,), 513)]
  kernels = [v['params'][f'Conv_{i}']['kernel'].shape[:2] for i in range(3)]
  assert kernels == [(7, 7), (5, 5), (3, 3)]  # derived from the counts
  assert _dense_inputs(v) == [2048, 1024, 512]  # pool -> 4x4x128 -> 2048


def test_fig11_svhn_modified_generator():
  g = models.build_generator({'name': 'dcgan', 'kernel_size': 3}, (32, 32, 1))
  assert _counts(g, Z) == {'trainable': 2_040_768, 'non_trainable': 33_152,
                           'total': 2_073_920}
  rows, _ = _layers(g, Z)
  assert rows == [
      ('Dense', (16384,), 1_638_400), ('BatchNorm', (16384,), 65_536),
      ('ConvTranspose', (8, 8, 128), 294_912), ('BatchNorm', (8, 8, 128), 512),
      ('ConvTranspose', (16, 16, 64), 73_728),
      ('BatchNorm', (16, 16, 64), 256),
      ('ConvTranspose', (32, 32, 1), 576)]


def test_fig12_svhn_modified_discriminator():
  d = models.build_discriminator({'name': 'keras_svhn_modified'})
  assert _counts(d, SVHN) == {'trainable': 1_058_993, 'non_trainable': 448,
                              'total': 1_059_441}
  rows, v = _layers(d, SVHN)
  assert rows == [
      ('Conv', (32, 32, 32), 1_600), ('BatchNorm', (16, 16, 32), 128),
      ('Conv', (16, 16, 64), 51_264), ('BatchNorm', (8, 8, 64), 256),
      ('Conv', (8, 8, 128), 73_856), ('BatchNorm', (4, 4, 128), 512),
      ('Conv', (4, 4, 64), 32_832),
      ('Dense', (1024,), 263_168), ('Dense', (512,), 524_800),
      ('Dense', (216,), 110_808), ('Dense', (1,), 217)]
  kernels = [v['params'][f'Conv_{i}']['kernel'].shape[:2] for i in range(4)]
  assert kernels == [(7, 7), (5, 5), (3, 3), (2, 2)]  # derived from counts
  assert _dense_inputs(v) == [256, 1024, 512, 216]  # pool -> 2x2x64 -> 256


def test_svhn_discriminators_batch_norm_trains_its_statistics():
  d = models.build_discriminator({'name': 'keras_svhn_modified'})
  v = _init(d, SVHN)
  x = jax.random.normal(jax.random.PRNGKey(3), SVHN.shape)
  out, upd = _apply(d, v, x, train=True, mutable=['batch_stats'],
                    rngs={'dropout': jax.random.PRNGKey(4)})
  assert out.shape == (2,)
  before, after = jax.tree.leaves(v['batch_stats']), jax.tree.leaves(
      upd['batch_stats'])
  assert any(not np.allclose(a, b) for a, b in zip(before, after))


def test_a_former_model_name_fails_in_one_line_naming_the_new_one():
  for old, new in models.RENAMED.items():
    assert new in models.DISCRIMINATORS
    with pytest.raises(errors.ConfigError) as info:
      models.build_discriminator({'name': old})
    assert str(info.value) == (
        f"config.model.discriminator.name='{old}' was renamed: use "
        f"config.model.discriminator.name='{new}'.")
  with pytest.raises(errors.ConfigError, match="name='tf_report_mnist'"):
    models.build_generator({'name': 'seed000'}, (28, 28, 1))


# ------------------------------------------------- seeds 000, 002, 003 --

def test_tf_report_mnist_models():
  g = models.build_generator({'name': 'tf_report_mnist'}, (28, 28, 1))
  rows, v = _layers(g, Z)
  assert [r[:2] for r in rows] == [
      ('Dense', (1024,)), ('Dense', (3136,)), ('ConvTranspose', (14, 14, 32)),
      ('ConvTranspose', (28, 28, 1))]
  assert _counts(g, Z)['total'] == 3_369_857
  images = _apply(g, _init(g, Z), Z + 1.0, train=False)
  assert float(jnp.max(jnp.abs(images))) <= 1.0  # tanh
  d = models.build_discriminator({'name': 'tf_report_mnist'})
  rows, v = _layers(d, MNIST)
  assert [r[:2] for r in rows] == [
      ('Conv', (28, 28, 32)), ('Conv', (14, 14, 64)), ('Dense', (1024,)),
      ('Dense', (1,))]
  assert _dense_inputs(v) == [7 * 7 * 64, 1024]  # two 2x2/2 max poolings
  assert _counts(d, MNIST)['total'] == 3_265_409


def test_slides_dcgan_models():
  z = jnp.zeros((2, 128))
  g = models.build_generator({'name': 'slides_dcgan'}, (28, 28, 1))
  rows, v = _layers(g, z)
  assert [r[:2] for r in rows] == [
      ('Dense', (1024,)), ('Dropout', (1024,)), ('Dense', (3136,)),
      ('Dropout', (3136,)), ('ConvTranspose', (14, 14, 32)),
      ('Dropout', (14, 14, 32)), ('ConvTranspose', (28, 28, 1))]
  assert v['params']['ConvTranspose_0']['kernel'].shape == (5, 5, 64, 32)
  gv = _init(g, z)
  images = _apply(g, gv, z + 3.0, train=False)
  assert float(jnp.min(images)) >= 0.0 and float(jnp.max(images)) <= 1.0
  assert _counts(g, z)['total'] == 3_398_529
  d = models.build_discriminator({'name': 'slides_dcgan'})
  rows, v = _layers(d, MNIST)
  assert [r[:2] for r in rows] == [
      ('Conv', (14, 14, 32)), ('Dropout', (14, 14, 32)),
      ('Conv', (7, 7, 64)), ('Dropout', (7, 7, 64)),
      ('Dense', (1024,)), ('Dropout', (1024,)), ('Dense', (128,)),
      ('Dropout', (128,)), ('Dense', (1,)), ('Dropout', (1,))]
  assert _counts(d, MNIST)['total'] == 3_395_713
  # keep probability 0.75: in training about a quarter of units are zeroed.
  _, inter = _apply(g, gv, jnp.ones((64, 128)), train=True,
                    rngs={'dropout': jax.random.PRNGKey(5)},
                    capture_intermediates=True)
  dropped = inter['intermediates']['Dropout_0']['__call__'][0]
  assert 0.2 < float(jnp.mean(dropped == 0)) < 0.3


def test_moments_match_numpy_and_discriminator_gives_one_logit():
  x = jax.random.normal(jax.random.PRNGKey(0), (500, 1)) * 1.25 + 4.0
  m = np.asarray(moments.minibatch_moments(x))
  xs = np.asarray(x).reshape(-1)
  z = (xs - xs.mean()) / xs.std()
  np.testing.assert_allclose(
      m, [xs.mean(), xs.std(), np.mean(z**3), np.mean(z**4) - 3.0],
      rtol=1e-4, atol=1e-4)
  d = models.build_discriminator({'name': 'moments'})
  v = _init(d, x)
  assert _counts(d, x)['total'] == 4 * 10 + 10 + 10 * 10 + 10 + 10 + 1
  real, fake = _apply(d, v, x), _apply(d, v, x * 0.5)
  assert real.shape == fake.shape == (1,)
  for loss in losses.LOSSES.values():
    value = loss.discriminator(real, fake)
    assert value.shape == () and bool(jnp.isfinite(value))
    assert loss.generator(fake, real).shape == ()
  # the gradient reaches the generator's samples through the moments.
  grad = jax.jit(jax.grad(lambda s: losses.ns_g_loss(d.apply(v, s))))(x)
  assert grad.shape == x.shape and float(jnp.abs(grad).sum()) > 0


# -------------------------------------------------------- conditional --

def test_conditional_dcgan_and_projection_discriminator():
  y = jnp.array([3, 7], jnp.int32)
  g = models.build_generator({'name': 'conditional_dcgan', 'num_classes': 10},
                             (28, 28, 1))
  gv = _init(g, Z, labels=y)
  images = _apply(g, gv, Z, train=False, labels=y)
  assert images.shape == (2, 28, 28, 1)
  # same z, different classes -> different images; no labels -> cycled.
  other = _apply(g, gv, Z, train=False, labels=jnp.array([4, 7]))
  assert not np.allclose(images[0], other[0])
  np.testing.assert_allclose(other[1], images[1], atol=1e-6)
  np.testing.assert_allclose(
      _apply(g, gv, Z, train=False),
      _apply(g, gv, Z, train=False, labels=jnp.array([0, 1])), atol=1e-6)
  assert gv['params']['label_embed']['embedding'].shape == (10, 50)
  d = models.build_discriminator({'name': 'projection_dcgan',
                                  'num_classes': 10})
  dv = _init(d, images, labels=y)
  assert dv['params']['label_projection']['embedding'].shape == (10, 6272)
  logits = _apply(d, dv, images, train=False, labels=y)
  assert logits.shape == (2,)
  # logit = psi(phi(x)) + <embed(y), phi(x)>: the projection term alone.
  diff = logits - _apply(d, dv, images, train=False)
  _, inter = _apply(d, dv, images, train=False, labels=y,
                    capture_intermediates=True)
  phi = jnp.reshape(inter['intermediates']['Dropout_1']['__call__'][0], (2, -1))
  expected = jnp.sum(dv['params']['label_projection']['embedding'][y] * phi, -1)
  np.testing.assert_allclose(diff, expected, rtol=1e-4, atol=1e-4)


def test_conditional_mlp_models():
  y = jnp.array([0, 24, 5], jnp.int32)
  z = jnp.ones((3, 2))
  g = models.build_generator({'name': 'conditional_mlp', 'num_classes': 25},
                             (2,))
  gv = _init(g, z, labels=y)
  out = _apply(g, gv, z, labels=y)
  assert out.shape == (3, 2)
  d = models.build_discriminator({'name': 'projection_mlp', 'num_classes': 25})
  dv = _init(d, out, labels=y)
  assert _apply(d, dv, out, labels=y).shape == (3,)


def test_class_grid_has_one_row_per_class():
  labels = visualize.class_labels(3, 4)
  assert labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4
  images = np.repeat(labels.astype(np.float32), 5 * 6).reshape(12, 5, 6, 1)
  grid = visualize.class_grid(images / 2.0, 3, value_range=(0.0, 1.0))
  assert grid.shape == (3 * 6 + 1, 4 * 7 + 1, 1)
  rows = [grid[1 + r * 6:1 + r * 6 + 5, 1:6, 0] for r in range(3)]
  assert [int(r.mean()) for r in rows] == [0, 128, 255]


# ---------------------------------------------------- every seed config --

SEED_CONFIGS = ['mnist_tf_report', 'mnist_dcgan_slides', 'gaussian1d_moments',
                'mnist_modified', 'mnist_wgan', 'svhn_baseline',
                'svhn_modified', 'mnist_conditional_dcgan',
                'grid25_conditional_mlp']


def test_every_seed_config_is_documented_and_in_the_table():
  with open(os.path.join(ROOT, 'docs', 'SEED_SYSTEMS.md')) as f:
    table = f.read()
  for name in SEED_CONFIGS:
    with open(os.path.join(ROOT, 'configs', f'{name}.py')) as f:
      doc = f.read()
    assert f'python launch.py --config=configs/{name}.py' in doc, name
    assert re.search(r'seeds/00\d', doc), name  # cites its seed document
  # seed 004's MNIST baseline and SVHN WGAN have configs of their own.
  for name in SEED_CONFIGS + ['mnist_dcgan', 'svhn_wgan']:
    assert f'configs/{name}.py' in table, name
    config_lib.validate(config_lib.get_config(name))


# Two steps of every config (build, data, compiled step) are pinned in
# tests/test_regression.py and the loop is tested in tests/test_train.py;
# here only what the seed configs add: a class picture per conditional one.
@pytest.mark.parametrize('name', [n for n in SEED_CONFIGS
                                  if 'conditional' in n])
def test_conditional_seed_config_draws_one_row_per_class(name, mock_tfds,
                                                         tmp_path):
  config = config_lib.get_config(name)
  assert config.model.num_classes > 1
  gan, state = train.build(config)
  path = str(tmp_path / 'classes.png')
  sampling.save_class_picture(config, gan, state, path, per_class_num=3)
  picture = matplotlib.image.imread(path)
  if data.is_image(config):
    assert picture.shape[:2] == (10 * 29 + 1, 3 * 29 + 1)
  else:
    assert picture.shape[:2] == (500, 500)
