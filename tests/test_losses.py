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
  with pytest.raises(errors.ConfigError, match="config.loss.name='squared_hinge'"):
    losses.get_loss('squared_hinge')


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


# TF-GAN's published test values (tensorflow/gan,
# tensorflow_gan/python/losses/losses_impl_test.py, v2.1.0): the same
# logits through its losses give these numbers (5 decimals there).
TFGAN_REAL = [-5.0, 1.4, 12.5, 2.7]
TFGAN_GEN = [10.0, 4.4, -5.5, 3.6]


@pytest.mark.parametrize('name,g_expected,d_expected', [
    ('lsgan', 17.69625, 41.73375),        # LeastSquaresLossTest
    ('hinge', -3.12500, 6.7500),          # HingeWassersteinLossTest
    ('wasserstein', -3.12500, 0.22500),   # WassersteinLossTest
    # (TF-GAN's minimax and modified losses smooth the real labels by 0.25
    # by default, so their published values are not these losses'.)
])
def test_losses_equal_tf_gans_published_values(name, g_expected,
                                               d_expected):
  loss = losses.get_loss(name)
  real, gen = jnp.asarray(TFGAN_REAL), jnp.asarray(TFGAN_GEN)
  assert float(loss.generator(gen, real)) == pytest.approx(g_expected,
                                                           abs=1e-5)
  assert float(loss.discriminator(real, gen)) == pytest.approx(d_expected,
                                                               abs=1e-5)


def test_relativistic_average_loss_equals_tf_gans_published_values():
  # RelativisticAverageLoss: other real logits than the tests above.
  real = jnp.asarray([-2.0, 0.4, 12.5, 2.7])
  gen = jnp.asarray(TFGAN_GEN)
  loss = losses.get_loss('ragan')
  assert float(loss.generator(gen, real)) == pytest.approx(4.9401135,
                                                           abs=1e-5)
  assert float(loss.discriminator(real, gen)) == pytest.approx(4.390114,
                                                               abs=1e-5)


def test_relativistic_least_squares_closed_form():
  real, gen = np.array([1.0, 3.0]), np.array([0.0, -2.0])
  # E C(x) = 2, E C(G(z)) = -1. D: (C(x) + 1 - 1)^2 -> 1, 9; (C(G(z)) - 2
  # + 1)^2 -> 1, 9. G: (C(G(z)) - 2 - 1)^2 -> 9, 25; (C(x) + 1 + 1)^2 ->
  # 9, 25.
  d, g = 5.0 + 5.0, 17.0 + 17.0
  loss = losses.get_loss('ralsgan')
  assert float(loss.discriminator(jnp.asarray(real), jnp.asarray(gen))) == (
      pytest.approx(d))
  assert float(loss.generator(jnp.asarray(gen), jnp.asarray(real))) == (
      pytest.approx(g))


def test_new_losses_read_logits_as_the_papers_do():
  assert not losses.get_loss('hinge').probabilities
  assert not losses.get_loss('lsgan').probabilities
  assert losses.get_loss('ragan').probabilities
  assert losses.get_loss('ragan').relativistic
  assert not losses.get_loss('hinge').relativistic
