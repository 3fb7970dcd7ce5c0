"""Closed-form values of the GAN losses and the gradient penalty."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax import errors, losses


def test_minimax_d_loss_at_zero_logits_is_two_log_two():
  zeros = jnp.zeros(16)
  assert float(losses.minimax_d_loss(zeros, zeros)) == pytest.approx(
      2 * math.log(2), rel=1e-6)


def test_generator_losses_at_zero_logits():
  zeros = jnp.zeros(8)
  # log(1 - 1/2) and -log(1/2).
  assert float(losses.minimax_g_loss(zeros)) == pytest.approx(-math.log(2))
  assert float(losses.ns_g_loss(zeros)) == pytest.approx(math.log(2))


def test_losses_match_the_probability_formulas():
  rng = np.random.default_rng(0)
  real, fake = rng.normal(size=32), rng.normal(size=32)
  sig = lambda x: 1 / (1 + np.exp(-x))
  d = -np.mean(np.log(sig(real))) - np.mean(np.log(1 - sig(fake)))
  np.testing.assert_allclose(losses.minimax_d_loss(real, fake), d, rtol=1e-5)
  np.testing.assert_allclose(losses.minimax_g_loss(fake),
                             np.mean(np.log(1 - sig(fake))), rtol=1e-5)
  np.testing.assert_allclose(losses.ns_g_loss(fake),
                             -np.mean(np.log(sig(fake))), rtol=1e-5)
  np.testing.assert_allclose(losses.wasserstein_d_loss(real, fake),
                             fake.mean() - real.mean(), rtol=1e-5)
  np.testing.assert_allclose(losses.wasserstein_g_loss(fake), -fake.mean(),
                             rtol=1e-5)


def test_losses_stay_finite_for_huge_logits():
  big = jnp.array([1e4, -1e4, 80.0, -80.0])
  for value in (losses.minimax_d_loss(big, -big), losses.minimax_g_loss(big),
                losses.ns_g_loss(-big)):
    assert np.isfinite(float(value))
  # D perfectly right: loss ~ 0, not NaN.
  assert float(losses.minimax_d_loss(jnp.array([1e4]), jnp.array([-1e4]))) \
      == pytest.approx(0.0, abs=1e-6)
  grads = jax.grad(lambda x: losses.ns_g_loss(x))(big)
  assert np.all(np.isfinite(np.asarray(grads)))


def test_gradient_penalty_of_a_linear_critic():
  # critic(x) = <w, x>: gradient w everywhere, penalty (||w|| - 1)^2.
  w = jnp.array([[2.0, 0.0], [0.0, 2.0 * math.sqrt(2)]]).reshape(-1)  # ||w||=sqrt(12)
  critic = lambda x: x.reshape(x.shape[0], -1) @ w
  x_hat = jax.random.normal(jax.random.PRNGKey(0), (10, 2, 2))
  expected = (math.sqrt(12.0) - 1.0)**2
  assert float(losses.gradient_penalty(critic, x_hat)) == pytest.approx(
      expected, rel=1e-5)


def test_gradient_penalty_is_zero_for_unit_norm_critic():
  w = jnp.array([0.6, 0.8])
  critic = lambda x: x @ w
  x_hat = jnp.ones((4, 2))
  assert float(losses.gradient_penalty(critic, x_hat)) == pytest.approx(
      0.0, abs=1e-6)


def test_interpolate_uses_one_eps_per_example():
  real, fake = jnp.ones((3, 2, 2)), jnp.zeros((3, 2, 2))
  eps = jnp.array([0.0, 0.25, 1.0])
  out = losses.interpolate(real, fake, eps)
  np.testing.assert_allclose(out[:, 0, 0], eps)
  np.testing.assert_allclose(out[1], 0.25 * np.ones((2, 2)))


def test_unknown_loss_name_is_a_config_error():
  with pytest.raises(errors.ConfigError, match="config.loss.name='hinge'"):
    losses.get_loss('hinge')


def test_r1_penalty_closed_forms():
  # Linear critic <w, x>: gradient w everywhere, penalty ||w||^2.
  w = jnp.array([3.0, -4.0])
  x = jax.random.normal(jax.random.PRNGKey(1), (7, 2))
  assert float(losses.r1_penalty(lambda v: v @ w, x)) == pytest.approx(25.0)
  # Quadratic critic 0.5 ||x||^2: gradient x, penalty mean ||x||^2.
  critic = lambda v: 0.5 * jnp.sum(v.reshape(v.shape[0], -1)**2, axis=-1)
  x = jax.random.normal(jax.random.PRNGKey(2), (5, 2, 3))
  np.testing.assert_allclose(losses.r1_penalty(critic, x),
                             np.mean(np.sum(np.asarray(x)**2, axis=(1, 2))),
                             rtol=1e-5)


def test_top_k_fraction_decays_from_one_to_its_floor():
  f = lambda step: float(losses.top_k_fraction(step, 0.5, 0.9))
  assert f(0) == 1.0
  assert f(3) == pytest.approx(0.9**3)
  assert f(7) == pytest.approx(0.5)  # 0.9**7 = 0.478 < 0.5
  assert f(1000) == pytest.approx(0.5)


def test_top_k_mask_keeps_the_highest_scores_of_the_global_batch():
  scores = jnp.array([3.0, 1.0, 2.0, 5.0])
  mask = lambda s, frac: np.asarray(losses.top_k_mask(s, scores, frac))
  np.testing.assert_array_equal(mask(scores, 0.5), [1, 0, 0, 1])
  np.testing.assert_array_equal(mask(scores, 0.6), [1, 0, 1, 1])  # ceil
  np.testing.assert_array_equal(mask(scores, 0.01), [0, 0, 0, 1])  # k >= 1
  np.testing.assert_array_equal(mask(scores, 1.0), [1, 1, 1, 1])
  # A device's slice is judged against the whole batch's threshold.
  np.testing.assert_array_equal(mask(scores[:2], 0.5), [1, 0])
  np.testing.assert_array_equal(mask(scores[2:], 0.5), [0, 1])
