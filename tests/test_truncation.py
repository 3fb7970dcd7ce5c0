"""Jacobian-based truncation of the latent space (ganjax.truncation)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from ganjax import api, config_lib, errors, sampling, steps, truncation
from ganjax import evaluation as evaluate
from ganjax import loop as train


def _gan(name='default', fraction=0.0, **fields):
  config = config_lib.get_config(name)
  config.model.jacobian_truncation = fraction
  for field, value in fields.items():
    config.model[field] = value
  gan, state = train.build(config)
  return config, gan, state


def _step_generator(fraction, width=10.0, height=2.0):
  """G(z) = height * tanh(width * z): 1D, two modes at +-height with a
  steep bridge at z = 0, where |G'(z)| = height * width / cosh^2(width z)
  is largest."""
  config, gan, state = _gan(
      'gaussian1d_tuned', fraction, ema_decay=0.0,
      generator=dict(name='mlp', hidden=(1,), activation='tanh',
                     output_activation='linear'))
  params = {'Dense_0': {'kernel': np.full((1, 1), width, np.float32),
                        'bias': np.zeros((1,), np.float32)},
            'Dense_1': {'kernel': np.full((1, 1), height, np.float32),
                        'bias': np.zeros((1,), np.float32)}}
  return config, gan, state.replace(g_params=params)


def _jacobian_sq_norms_one_at_a_time(gan, state, z):
  """Per sample, the full Jacobian by reverse mode (compiled once: op by
  op, every row of the Jacobian dispatches each op of G's backward pass)."""
  jacobian = jax.jit(jax.jacrev(
      lambda v: steps.generate(gan, state, v[None])[0]))
  return [np.sum(np.asarray(jacobian(v)) ** 2) for v in z]


def test_squared_jacobian_norm_matches_the_full_jacobian():
  """A second path: the per-sample Jacobian by reverse mode, one sample at
  a time, through a 3 x 32 MLP from a 3-d latent to 2-d."""
  _, gan, state = _gan(latent_dim=3, generator=dict(
      name='mlp', hidden=(32, 32, 32), activation='tanh'))
  z = jax.random.normal(jax.random.PRNGKey(1), (7, 3))
  got = truncation.jacobian_sq_norms(gan, state, z)
  want = _jacobian_sq_norms_one_at_a_time(gan, state, z)
  np.testing.assert_allclose(got, want, rtol=1e-5)
  assert got.shape == (7,)


def test_squared_jacobian_norm_through_the_fast_dcgan_layers():
  """The fast transposed convolutions define only a custom backward pass
  (``jax.custom_vjp``); the norm still matches reverse mode."""
  _, gan, state = _gan('mnist_dcgan', latent_dim=4, generator=dict(
      name='dcgan', features=(16, 8, 4), fast_transpose=True),
                       discriminator=dict(name='mlp', hidden=(4,)))
  z = np.asarray(jax.random.normal(jax.random.PRNGKey(4), (3, 4)))
  got = truncation.sq_norms(gan, state, z)
  want = _jacobian_sq_norms_one_at_a_time(gan, state, z)
  np.testing.assert_allclose(got, want, rtol=1e-4)


def test_closed_form_of_a_step_generator():
  fraction = 0.2
  _, gan, state = _step_generator(fraction)
  z = np.linspace(-1, 1, 11, dtype=np.float32)[:, None]
  want = (2.0 * 10.0 / np.cosh(10.0 * z[:, 0]) ** 2) ** 2
  np.testing.assert_allclose(truncation.sq_norms(gan, state, z), want,
                             rtol=1e-3, atol=1e-6)  # float32 tanh
  # The threshold is the 80% quantile of |G'|^2: |G'| falls with |z|, so
  # it sits at the 20% quantile of |z|, i.e. |z| = Phi^-1(0.6).
  limit = truncation.threshold(gan, state, fraction)
  z_edge = stats.norm.ppf(0.5 + fraction / 2)
  z_limit = np.arccosh(np.sqrt(20.0 / np.sqrt(limit))) / 10.0
  # (10,000 calibration latents: the quantile of |z| has a std of 0.005.)
  assert z_limit == pytest.approx(z_edge, abs=0.02)
  kept = truncation.latents(gan, state, jax.random.PRNGKey(5), 4000)[:, 0]
  assert kept.shape == (4000,)
  assert np.abs(kept).min() == pytest.approx(z_limit, abs=0.003)
  assert np.abs(kept).min() >= z_limit - 1e-4
  # The kept latents follow N(0, 1) restricted to |z| >= z_edge.
  inside = (2 * stats.norm.cdf(1.0) - 1 - fraction) / (1 - fraction)
  assert np.mean(np.abs(kept) < 1.0) == pytest.approx(inside, abs=0.03)
  # And the samples between the modes are gone: none within 1 of 0, where
  # 4.4% of G's untruncated samples are.
  samples = sampling.generate(gan, state, 4000, seed=5)
  assert np.abs(samples).min() > 1.0
  plain = dataclasses.replace(gan, jacobian_truncation=0.0)
  raw = sampling.generate(plain, state, 4000, seed=5)
  assert np.mean(np.abs(raw) < 1.0) == pytest.approx(0.044, abs=0.015)


def test_off_or_a_constant_jacobian_keeps_every_latent():
  key = jax.random.PRNGKey(2)
  _, gan, state = _gan()
  np.testing.assert_array_equal(truncation.latents(gan, state, key, 50),
                                gan.sample_latent(key, 50))
  # A linear G has the same Jacobian everywhere: nothing is rejected.
  _, linear, lstate = _gan('gaussian1d_tuned', 0.3)
  np.testing.assert_array_equal(truncation.latents(linear, lstate, key, 50),
                                linear.sample_latent(key, 50))


def test_every_sampling_path_is_truncated_with_the_same_latents():
  _, gan, state = _step_generator(0.1)
  key = jax.random.PRNGKey(0)
  z = truncation.latents(gan, state, key, 300)
  limit = truncation.threshold(gan, state, 0.1)
  assert np.all(truncation.sq_norms(gan, state, z) <= limit)
  want = np.asarray(steps.generate(gan, state, z))
  np.testing.assert_allclose(
      sampling.generate(gan, state, 300, seed=0), want, rtol=1e-6)
  config = config_lib.get_config('gaussian1d_tuned')
  trained = api.Trained(config, gan, state)
  np.testing.assert_allclose(api.sample(trained, num=300, seed=0), want,
                             rtol=1e-6)
  # Overridden per call: every latent kept, as the plain draw gives.
  plain = steps.generate(gan, state, gan.sample_latent(key, 300))
  np.testing.assert_allclose(
      api.sample(trained, num=300, seed=0, jacobian_truncation=0.0), plain,
      rtol=1e-6)
  with pytest.raises(errors.ConfigError, match='jacobian_truncation=0.7'):
    api.sample(trained, num=3, jacobian_truncation=0.7)


def test_a_conditional_gan_keeps_each_label():
  _, gan, state = _gan('grid25_conditional_mlp', 0.2)
  labels = np.arange(100, dtype=np.int32) % gan.num_classes
  z = truncation.latents(gan, state, jax.random.PRNGKey(3), 100, labels)
  assert z.shape == (100, 2)
  norms = truncation.sq_norms(gan, state, z, labels)
  assert np.all(norms <= truncation.threshold(gan, state, 0.2))
  x = sampling.generate(gan, state, 100, seed=3, labels=labels)
  np.testing.assert_allclose(
      x, steps.generate(gan, state, jnp.asarray(z), labels), rtol=1e-6)


@pytest.mark.parametrize('value', [-0.1, 0.5, 1.0])
def test_out_of_range_fractions_are_rejected_in_one_line(value):
  config = config_lib.get_config('default')
  config.model.jacobian_truncation = value
  with pytest.raises(errors.ConfigError,
                     match='model.jacobian_truncation') as info:
    config_lib.validate(config)
  assert '\n' not in str(info.value)


def test_the_threshold_is_calibrated_once_per_generator(monkeypatch):
  _, gan, state = _step_generator(0.1)
  calls = []
  real = truncation.sq_norms
  monkeypatch.setattr(truncation, 'sq_norms', lambda *a: calls.append(
      len(a[2])) or real(*a))
  monkeypatch.setattr(truncation, '_THRESHOLDS',
                      type(truncation._THRESHOLDS)())
  first = truncation.threshold(gan, state, 0.1)
  # Another evaluator, a copy of the state on the device, the same GAN
  # rebuilt with the same fraction: no new calibration.
  again = truncation.threshold(
      dataclasses.replace(gan), jax.device_put(state), 0.1)
  assert again == first
  assert calls == [truncation.CALIBRATION_SAMPLES]
  # New weights or another fraction: calibrated again, to another value.
  steeper = state.replace(g_params=jax.tree.map(lambda p: p * 1.5,
                                                state.g_params))
  assert truncation.threshold(gan, steeper, 0.1) != first
  assert truncation.threshold(gan, state, 0.2) < first
  assert calls == [truncation.CALIBRATION_SAMPLES] * 3

