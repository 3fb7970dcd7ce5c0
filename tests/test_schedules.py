"""Learning-rate schedules of ``optim.{g,d}.schedule``: the rates optax
applies, the update counts they decay over, and the errors for bad values."""

import math

import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

import ganjax
from ganjax import config_lib, errors, state as state_lib


def _opt(**fields):
  cfg = config_lib.base_config().optim.g
  cfg.name = 'sgd'
  cfg.learning_rate = 0.1
  for k, v in fields.items():
    cfg[k] = v
  return cfg


def _sgd_steps(tx, num):
  """The size of each of ``num`` SGD updates of a parameter whose gradient
  is always 1: the learning rate in force at that update."""
  params = jnp.zeros(())
  opt_state = tx.init(params)
  sizes = []
  for _ in range(num):
    updates, opt_state = tx.update(jnp.ones(()), opt_state, params)
    sizes.append(-float(updates))
  return np.array(sizes)


def test_constant_is_the_plain_float_rate():
  lr = state_lib.learning_rate_schedule(_opt(), 'optim.g', 10)
  assert lr == 0.1
  np.testing.assert_allclose(
      _sgd_steps(state_lib.make_optimizer(_opt(), 'optim.g', 10), 3),
      [0.1] * 3, rtol=1e-6)


def test_linear_decays_to_the_final_fraction_over_the_updates():
  tx = state_lib.make_optimizer(
      _opt(schedule='linear', final_lr_fraction=0.2), 'optim.g', 4)
  # Updates 0..3 use lr(0..3); then it stays at 0.2 * lr.
  np.testing.assert_allclose(_sgd_steps(tx, 6),
                             [0.1, 0.08, 0.06, 0.04, 0.02, 0.02], rtol=1e-5)


def test_cosine_with_a_constant_start():
  cfg = _opt(schedule='cosine', final_lr_fraction=0.0, decay_start=0.5)
  schedule = state_lib.learning_rate_schedule(cfg, 'optim.g', 8)
  # Held at 0.1 for updates 0..3, then a half cosine over updates 4..8.
  expected = [0.1] * 4 + [0.1 * 0.5 * (1 + math.cos(math.pi * k / 4))
                          for k in range(5)]
  got = [float(schedule(c)) for c in range(9)]
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
  np.testing.assert_allclose(
      _sgd_steps(state_lib.make_optimizer(cfg, 'optim.g', 8), 9), expected,
      rtol=1e-5, atol=1e-7)


def test_adam_with_a_schedule_scales_its_steps():
  """Adam's first step is lr * sign(g): the schedule's rate at count 0."""
  cfg = _opt(name='adam', schedule='linear', final_lr_fraction=0.0)
  cfg.learning_rate = 0.01
  tx = state_lib.make_optimizer(cfg, 'optim.g', 2)
  params = jnp.zeros(())
  opt_state = tx.init(params)
  sizes = []
  for _ in range(3):
    updates, opt_state = tx.update(jnp.ones(()), opt_state, params)
    sizes.append(-float(updates))
  np.testing.assert_allclose(sizes, [0.01, 0.005, 0.0], rtol=1e-4, atol=1e-9)


def test_build_gan_counts_the_updates_of_each_network():
  config = ganjax.get_config('ring8_wgan_gp')
  config.train.steps = 10
  config.train.n_critic = 3
  config.train.g_steps = 2
  for net in ('g', 'd'):
    config.optim[net].name = 'sgd'
    config.optim[net].learning_rate = 1.0
    config.optim[net].schedule = 'linear'
  gan = state_lib.build_gan(config, (2,))
  # G decays over 10 * 2 = 20 updates, D over 10 * 3 = 30.
  g_sizes = _sgd_steps(gan.g_tx, 21)
  d_sizes = _sgd_steps(gan.d_tx, 31)
  np.testing.assert_allclose(g_sizes[[0, 10, 20]], [1.0, 0.5, 0.0],
                             atol=1e-6)
  np.testing.assert_allclose(d_sizes[[0, 15, 30]], [1.0, 0.5, 0.0],
                             atol=1e-6)


@pytest.mark.parametrize('field,value,match', [
    ('schedule', 'exponential', 'optim.g.schedule'),
    ('final_lr_fraction', 1.5, 'optim.g.final_lr_fraction'),
    ('decay_start', 1.0, 'optim.g.decay_start'),
])
def test_bad_schedule_values_are_config_errors(field, value, match):
  config = config_lib.base_config()
  config.optim.g.schedule = 'linear'
  config.optim.g[field] = value
  with pytest.raises(errors.ConfigError, match=match):
    config_lib.validate(config)
  with pytest.raises(errors.ConfigError, match=match):
    state_lib.make_optimizer(config.optim.g, 'config.optim.g', 100)


def test_unknown_optimizer_is_a_config_error():
  with pytest.raises(errors.ConfigError, match='not a known optimizer'):
    state_lib.make_optimizer(_opt(name='lion'), 'config.optim.g', 10)


def test_schedule_override_from_the_command_line_form():
  config = ganjax.get_config('ring8_ns', **{'optim.d.schedule': 'cosine'})
  assert config.optim.d.schedule == 'cosine'
  config_lib.validate(config)
  assert isinstance(config.optim.d, ml_collections.ConfigDict)
