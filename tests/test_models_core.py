"""Shapes and parameter counts of the core MLP and DCGAN modules."""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import pytest

from ganjax import config_lib, errors, models, state as state_lib, loop as train


def _counts(module, x, **kw):
  # Shapes only (nothing initialized or compiled): the counts are tested.
  variables = jax.eval_shape(functools.partial(module.init, train=False),
                             {'params': jax.random.PRNGKey(0)}, x)
  return state_lib.count_parameters(variables['params'],
                                    variables.get('batch_stats', {}))


@pytest.mark.parametrize('shape', [(28, 28, 1), (32, 32, 1), (32, 32, 3)])
def test_dcgan_output_shapes(shape):
  g = models.build_generator({'name': 'dcgan'}, shape)
  d = models.build_discriminator({'name': 'dcgan'})
  z = jnp.ones((3, 100))
  g_vars = g.init({'params': jax.random.PRNGKey(0)}, z, train=False)
  images, _ = g.apply(g_vars, z, train=True, mutable=['batch_stats'])
  assert images.shape == (3,) + shape
  assert float(jnp.max(jnp.abs(images))) <= 1.0  # tanh
  d_vars = d.init({'params': jax.random.PRNGKey(1)}, images, train=False)
  logits = d.apply(d_vars, images, train=True,
                   rngs={'dropout': jax.random.PRNGKey(2)})
  assert logits.shape == (3,)


def test_tutorial_dcgan_parameter_counts_match_keras():
  # model.summary() of the TensorFlow DCGAN tutorial (seed 004 baseline).
  g = models.build_generator({'name': 'dcgan'}, (28, 28, 1))
  assert _counts(g, jnp.ones((1, 100))) == {
      'trainable': 2_305_472, 'non_trainable': 25_472, 'total': 2_330_944}
  d = models.build_discriminator({'name': 'dcgan'})
  assert _counts(d, jnp.ones((1, 28, 28, 1)))['total'] == 212_865


def test_dcgan_generator_for_svhn_matches_seed_004_fig_9():
  g = models.build_generator({'name': 'dcgan'}, (32, 32, 1))
  assert _counts(g, jnp.ones((1, 100))) == {
      'trainable': 2_697_152, 'non_trainable': 33_152, 'total': 2_730_304}


def test_mlp_shapes():
  g = models.build_generator({'name': 'mlp', 'hidden': [16, 16]}, (2,))
  z = jnp.ones((5, 3))
  out = g.apply(g.init(jax.random.PRNGKey(0), z), z)
  assert out.shape == (5, 2)
  d = models.build_discriminator({'name': 'mlp', 'hidden': [16]})
  assert d.apply(d.init(jax.random.PRNGKey(0), out), out).shape == (5,)


def test_image_size_the_dcgan_cannot_take():
  g = models.build_generator({'name': 'dcgan'}, (30, 30, 1))
  with pytest.raises(errors.ConfigError, match='divisible by 4'):
    g.init(jax.random.PRNGKey(0), jnp.ones((1, 100)), train=False)


def test_unknown_model_and_field_are_config_errors():
  with pytest.raises(errors.ConfigError, match="name='resnet'"):
    models.build_generator({'name': 'resnet'}, (28, 28, 1))
  with pytest.raises(errors.ConfigError, match='widht is not a field'):
    models.build_discriminator({'name': 'mlp', 'widht': 3})


def test_svhn_wgan_config_parameter_counts():
  gan, state = train.build(config_lib.get_config('svhn_wgan'))
  assert state_lib.count_parameters(state.g_params, state.g_batch_stats)[
      'total'] == 2_730_304
  assert state_lib.count_parameters(state.d_params)['total'] == 214_785
