"""The ResNet SNGAN-32 (``'resnet_sngan32'``) and configs/cifar10_sngan.py."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax import config_lib, models
from ganjax import loop as train
from ganjax.state import count_parameters
from conftest import tiny

# The reference: torch-mimicry (github.com/kwotsin/mimicry, commit a7fda06),
# torch_mimicry/nets/sngan/sngan_32.py: ResNetGenerator32(nz=128, ngf=256,
# bottom_width=4) (line 22) builds l1 = Linear(nz, 4*4*ngf) (line 26),
# block2..4 = GBlock(ngf, ngf, upsample=True) (lines 27-29), b5 =
# BatchNorm2d(ngf) (line 30), c5 = Conv2d(ngf, 3, 3, 1, padding=1) (line
# 31); ResNetDiscriminator32(ndf=128) (line 68) builds block1 =
# DBlockOptimized(3, ndf), block2 = DBlock(ndf, ndf, downsample=True),
# block3, block4 = DBlock(ndf, ndf) (lines 72-75), l5 = SNLinear(ndf, 1)
# (line 76). The blocks, torch_mimicry/modules/resblocks.py: GBlock has
# b1, b2 = BatchNorm2d (lines 74-75), c1, c2 = 3x3 convs (lines 51-70) and,
# as it up-samples (learnable_sc, line 41), c_sc = 1x1 conv (line 90);
# DBlock has c1, c2 3x3 with hidden = in_channels (lines 184, 191-192) and
# c_sc 1x1 only where it down-samples or changes width (lines 186, 208);
# DBlockOptimized has c1, c2 3x3 and c_sc 1x1 (lines 265-267). Conditional
# (cGAN-PD, torch_mimicry/nets/cgan_pd/cgan_pd_32.py): the GBlocks' BNs are
# ConditionalBatchNorm2d (modules/layers.py lines 171-172: BatchNorm2d
# without affine + Embedding(num_classes, 2 * C)) and D adds l_y =
# SNEmbedding(num_classes, ndf) (line 103). Spectral norm adds buffers
# (u, v), not parameters.


def conv(k, c_in, c_out):
  return k * k * c_in * c_out + c_out


def linear(n_in, n_out):
  return n_in * n_out + n_out


NZ, NGF, NDF, C = 128, 256, 128, 3
BN = 2 * NGF  # weight and bias
G_BLOCK = BN + conv(3, NGF, NGF) + BN + conv(3, NGF, NGF) + conv(1, NGF, NGF)
MIMICRY_G = linear(NZ, 4 * 4 * NGF) + 3 * G_BLOCK + BN + conv(3, NGF, C)
MIMICRY_G_BN_STATS = 7 * 2 * NGF  # running mean and var of 7 BatchNorms
MIMICRY_D = (conv(3, C, NDF) + conv(3, NDF, NDF) + conv(1, C, NDF)  # block1
             + conv(3, NDF, NDF) * 2 + conv(1, NDF, NDF)            # block2
             + 2 * conv(3, NDF, NDF) * 2                            # 3, 4
             + linear(NDF, 1))
CLASSES = 10
MIMICRY_CGAN_PD_G = MIMICRY_G - 6 * BN + 6 * CLASSES * 2 * NGF
MIMICRY_CGAN_PD_D = MIMICRY_D + CLASSES * NDF


def _variables(num_classes=0, shape=(32, 32, 3)):
  g = models.build_generator(dict(name='resnet_sngan32'), shape,
                             num_classes=num_classes)
  d = models.build_discriminator(dict(name='resnet_sngan32'),
                                 num_classes=num_classes)
  kw = ({'labels': jnp.arange(4, dtype=jnp.int32) % max(num_classes, 1)}
        if num_classes else {})
  z = jax.random.normal(jax.random.PRNGKey(0), (4, NZ))
  # Compiled: op-by-op initialization of the 4M-parameter ResNet is slow.
  gv = jax.jit(lambda k, zz: g.init(k, zz, train=False, **kw))(
      jax.random.PRNGKey(1), z)
  x = jax.jit(lambda v, zz: g.apply(v, zz, train=False, **kw))(gv, z)
  dv = jax.jit(lambda k, xx: d.init(k, xx, train=False, **kw))(
      jax.random.PRNGKey(2), x)
  return g, gv, d, dv, z, x, kw


@pytest.fixture(scope='module')
def unconditional():
  """The unconditional G and D, initialized once for the module."""
  return _variables()


def test_parameter_counts_equal_mimicry_sngan32(unconditional):
  assert (MIMICRY_G, MIMICRY_G_BN_STATS, MIMICRY_D) == (4_276_739, 3_584,
                                                         1_053_825)
  _, gv, _, dv, _, x, _ = unconditional
  counts = count_parameters(gv['params'], gv['batch_stats'])
  assert counts['trainable'] == MIMICRY_G
  assert counts['non_trainable'] == MIMICRY_G_BN_STATS
  assert count_parameters(dv['params'])['trainable'] == MIMICRY_D
  assert x.shape == (4, 32, 32, 3)
  assert float(jnp.max(jnp.abs(x))) <= 1.0


def test_conditional_parameter_counts_equal_mimicry_cgan_pd32():
  assert (MIMICRY_CGAN_PD_G, MIMICRY_CGAN_PD_D) == (4_304_387, 1_055_105)
  g, gv, d, dv, z, x, kw = _variables(CLASSES)
  assert count_parameters(gv['params'])['trainable'] == MIMICRY_CGAN_PD_G
  assert count_parameters(dv['params'])['trainable'] == MIMICRY_CGAN_PD_D
  # Compiled: op-by-op, the full-width ResNet takes tens of seconds.
  g_apply = jax.jit(functools.partial(g.apply, train=False))
  d_apply = jax.jit(functools.partial(d.apply, train=False))
  # The class changes the images and D's projection term.
  other = {'labels': (kw['labels'] + 1) % CLASSES}
  assert not np.allclose(x, g_apply(gv, z, **other))
  assert not np.allclose(d_apply(dv, x, **kw), d_apply(dv, x, **other))
  # Without labels G cycles the classes and D returns psi(phi(x)).
  np.testing.assert_allclose(g_apply(gv, z), x, atol=1e-6)
  assert d_apply(dv, x).shape == (4,)


def test_discriminator_is_spectrally_normalized_by_default(unconditional):
  _, _, d, dv, _, x, _ = unconditional
  assert d.spectral_norm
  # 3 + 3 + 2 + 2 convolutions and the last dense layer.
  assert len(jax.tree.leaves(dv['batch_stats'])) == 2 * 11
  assert jax.jit(functools.partial(d.apply, train=False))(dv, x).shape == (4,)
  plain = models.build_discriminator(dict(name='resnet_sngan32',
                                          spectral_norm=False))
  # Shapes only (no compilation): the count and the collections.
  pv = jax.eval_shape(functools.partial(plain.init, train=False),
                      jax.random.PRNGKey(2), x)
  assert 'batch_stats' not in pv
  assert count_parameters(pv['params'])['trainable'] == MIMICRY_D


def test_image_size_the_generator_cannot_make():
  g = models.build_generator(dict(name='resnet_sngan32'), (28, 28, 1))
  with pytest.raises(Exception, match='image_size=32'):
    g.init(jax.random.PRNGKey(0), jnp.zeros((1, NZ)), train=False)


def _check_finite(state):
  for leaf in jax.tree.leaves((state.g_params, state.d_params,
                               state.d_batch_stats, state.g_batch_stats)):
    assert np.all(np.isfinite(np.asarray(leaf)))


def test_resnet_sngan32_on_digits_at_32x32(tmp_path):
  """configs/cifar10_sngan.py (2 steps pinned in tests/test_regression.py)
  through the loop on the offline digits resized to 32x32 (grayscale: G
  makes 1 channel), narrowed to 32 features (the counts are tested at full
  width above)."""
  config = tiny(config_lib.get_config('cifar10_sngan'), steps=3, batch=8)
  config.model.generator.features = 32
  config.model.discriminator.features = 32
  config.data.name = 'digits'
  config.data.image_size = 32
  config.data.channels = 1
  config.data.data_dir = str(tmp_path / 'tfds')
  config.train.n_critic = 1
  config.train.steps_per_dispatch = 1
  state = train.train_and_evaluate(config, str(tmp_path / 'run'))
  assert int(state.step) == 3
  _check_finite(state)
  assert state.d_batch_stats  # the spectral norm's u and sigma
