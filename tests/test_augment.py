"""DiffAugment and ADA (ganjax.augment): closed forms, shifts, cutout
boxes, gradients, determinism, devices and the p controller."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax import augment

KEY = jax.random.PRNGKey(0)
POLICIES = ('color', 'translation', 'cutout', 'color,translation,cutout')
PIPELINES = ('blit', 'color', 'cutout', 'blit,color,cutout')


def images(shape=(8, 16, 16, 3), seed=1):
  return jax.random.uniform(jax.random.PRNGKey(seed), shape, minval=-1,
                            maxval=1)


def only(params, name):
  (value,) = [e[name] for e in params if name in e]
  return np.asarray(value)


def lit(h=16, w=16, at=(8, 8), c=1):
  x = np.zeros((1, h, w, c), np.float32)
  x[0, at[0], at[1]] = 1.0
  return jnp.asarray(x)


@pytest.mark.parametrize('policy', POLICIES)
@pytest.mark.parametrize('dtype', [jnp.float32, jnp.bfloat16])
def test_diff_augment_keeps_shape_and_dtype(policy, dtype):
  for shape in [(4, 16, 16, 3), (4, 12, 8, 1)]:
    x = images(shape).astype(dtype)
    y = jax.jit(augment.diff_augment, static_argnums=2)(KEY, x, policy)
    assert y.shape == x.shape and y.dtype == dtype
    assert not np.array_equal(np.asarray(y, np.float32),
                              np.asarray(x, np.float32))


@pytest.mark.parametrize('pipeline', PIPELINES)
def test_ada_keeps_shape_and_dtype_and_p0_is_the_identity(pipeline):
  # Compiled as in a step (op by op it is several times slower); p traced.
  ada = jax.jit(augment.ada_augment, static_argnums=3)
  for shape in [(8, 16, 16, 3), (8, 8, 8, 1)]:
    for dtype in (jnp.float32, jnp.bfloat16):
      x = images(shape).astype(dtype)
      y = ada(KEY, x, jnp.float32(1.0), pipeline)
      assert y.shape == x.shape and y.dtype == dtype
      assert not np.array_equal(np.asarray(y, np.float32),
                                np.asarray(x, np.float32))
      same = ada(KEY, x, jnp.float32(0.0), pipeline)
      np.testing.assert_array_equal(np.asarray(same, np.float32),
                                    np.asarray(x, np.float32))


def test_empty_policy_is_the_identity_and_unknown_names_are_refused():
  x = images()
  np.testing.assert_array_equal(augment.diff_augment(KEY, x, ''), x)
  with pytest.raises(ValueError, match='cutuot'):
    augment.diff_augment(KEY, x, 'color,cutuot')
  with pytest.raises(ValueError, match='geom'):
    augment.ada_augment(KEY, x, 0.5, 'blit,geom')


def test_translation_moves_a_lit_pixel_by_the_drawn_shift():
  x = jnp.tile(lit(), (64, 1, 1, 1))
  params = augment.diff_augment_params(KEY, 64, (16, 16, 1), 'translation')
  shifts = only(params, 'translation')
  # Ratio 1/8 of 16: every shift in [-2, 2] is drawn, nothing else.
  assert set(shifts.ravel().tolist()) == {-2, -1, 0, 1, 2}
  y = np.asarray(augment.apply(params, x))
  for b in range(64):
    (r,), (c,) = np.nonzero(y[b, :, :, 0])
    assert (r - 8, c - 8) == tuple(shifts[b])
    assert y[b].sum() == 1.0


def test_translation_pads_with_zeros_and_ada_translation_reflects():
  x = lit(at=(5, 1))
  shift = jnp.array([[0, -3]])
  y = augment.apply([{'translation': shift}], x)
  assert float(jnp.abs(y).sum()) == 0.0        # moved off the image
  # Reflection padding: out[j] = x[reflect(j - 3)], lit column 1 lands on
  # columns 4 (1 + 3) and 2 (its mirror image -1 + 3).
  y = np.asarray(augment.apply([{'translation_reflect': jnp.array([[0, 3]])}],
                               x))
  assert np.nonzero(y[0, :, :, 0])[0].tolist() == [5, 5]
  assert np.nonzero(y[0, :, :, 0])[1].tolist() == [2, 4]
  # ADA's integer translation: round(U(-1/8, 1/8) * 16), within [-2, 2].
  t = only(jax.jit(augment.ada_params, static_argnums=(1, 2, 4))(
      KEY, 512, (16, 16, 1), 1.0, 'blit'), 'translation_reflect')
  assert t.min() == -2 and t.max() == 2


def test_cutout_zeroes_a_square_of_half_the_image():
  x = jnp.ones((1, 16, 16, 2))
  y = np.asarray(augment.apply([{'cutout': jnp.array([[8, 8]])}], x))
  zero = y[0, :, :, 0] == 0
  assert zero.sum() == 64 and zero[4:12, 4:12].all()
  np.testing.assert_array_equal(y[..., 0], y[..., 1])
  # Drawn centres: the square is [c - 4, c + 4) clipped to the image.
  x = jnp.ones((64, 16, 16, 1))
  params = augment.diff_augment_params(KEY, 64, (16, 16, 1), 'cutout')
  centres = only(params, 'cutout')
  assert centres.min() >= 0 and centres.max() <= 16
  y = np.asarray(augment.apply(params, x))
  for b in range(64):
    expected = np.ones((16, 16))
    cy, cx = centres[b]
    expected[max(cy - 4, 0):cy + 4, max(cx - 4, 0):cx + 4] = 0
    np.testing.assert_array_equal(y[b, :, :, 0], expected)
  # ADA's cutout: half the height and width around a uniform centre.
  y = augment.apply([{'cutout_centred': jnp.array([[0.5, 0.5, 0.5]])}],
                    jnp.ones((1, 16, 16, 1)))
  assert float((y == 0).sum()) == 64 and float(y[0, 4:12, 4:12].sum()) == 0


def test_diff_augment_color_matches_its_closed_form():
  x = images((16, 8, 8, 3))
  params = augment.diff_augment_params(KEY, 16, (8, 8, 3), 'color')
  b, s, c = (only(params, n)[:, None, None, None]
             for n in ('brightness', 'saturation', 'contrast'))
  assert b.min() >= -0.5 and b.max() < 0.5 and np.ptp(b) > 0.5
  assert s.min() >= 0 and s.max() < 2 and np.ptp(s) > 1
  assert c.min() >= 0.5 and c.max() < 1.5 and np.ptp(c) > 0.5
  e = np.asarray(x) + b
  m = e.mean(axis=3, keepdims=True)
  e = (e - m) * s + m
  m = e.mean(axis=(1, 2, 3), keepdims=True)
  e = (e - m) * c + m
  np.testing.assert_allclose(augment.apply(params, x), e, atol=1e-5)


def _ada_color_matrix(b, c, i, theta, s):
  """stylegan2-ada's colour matrix C (4x4, homogeneous), as its
  AugmentPipe composes it."""
  v = np.array([1, 1, 1, 0]) / math.sqrt(3)
  vv = np.outer(v, v)
  mat = np.eye(4)
  mat[:3, 3] = b
  mat = np.diag([c, c, c, 1.0]) @ mat
  mat = (np.eye(4) - 2 * vv * i) @ mat
  vx = vy = vz = 1 / math.sqrt(3)
  co, si, cc = math.cos(theta), math.sin(theta), 1 - math.cos(theta)
  rot = np.array([
      [vx * vx * cc + co, vx * vy * cc - vz * si, vx * vz * cc + vy * si, 0],
      [vy * vx * cc + vz * si, vy * vy * cc + co, vy * vz * cc - vx * si, 0],
      [vz * vx * cc - vy * si, vz * vy * cc + vx * si, vz * vz * cc + co, 0],
      [0, 0, 0, 1]])
  mat = rot @ mat
  return (vv + (np.eye(4) - vv) * s) @ mat


def test_ada_color_matches_the_reference_colour_matrix():
  for channels in (3, 1):
    x = images((64, 4, 4, channels))
    params = jax.jit(augment.ada_params, static_argnums=(1, 2, 4))(
        KEY, 64, (4, 4, channels), 0.7, 'color')
    values = [only(params, n) for n in
              ('brightness', 'ada_contrast', 'lumaflip', 'hue', 'saturation')]
    expected = []
    for k in range(64):
      mat = _ada_color_matrix(*(v[k] for v in values))
      pixels = np.asarray(x[k]).reshape(-1, channels)
      if channels == 3:
        out = pixels @ mat[:3, :3].T + mat[:3, 3]
      else:  # the reference's reduction to one channel
        grey = mat[:3, :].mean(axis=0)
        out = pixels * grey[:3].sum() + grey[3]
      expected.append(out.reshape(4, 4, channels))
    np.testing.assert_allclose(jax.jit(augment.apply)(params, x),
                               np.stack(expected),
                               atol=1e-5)


def test_ada_blit_is_a_flip_a_quarter_turn_and_a_shift():
  x = images((4, 6, 6, 1))
  y = jax.jit(augment.apply)([{'xflip': jnp.array([1, 0, 0, 1])},
                              {'rotate90': jnp.array([0, 1, 2, 3])}], x)
  xs = np.asarray(x)
  for b, (f, k) in enumerate(zip([1, 0, 0, 1], [0, 1, 2, 3])):
    e = xs[b, :, ::-1] if f else xs[b]
    np.testing.assert_array_equal(y[b], np.rot90(e, k, axes=(0, 1)))
  with pytest.raises(ValueError, match='square'):
    jax.jit(augment.ada_augment, static_argnums=3)(
        KEY, images((2, 8, 6, 1)), 0.5, 'blit')


def test_ada_applies_each_transform_with_probability_p_per_example():
  n, p = 20000, 0.3
  params = augment.ada_params(KEY, n, (8, 8, 3), p, 'color')
  bright = only(params, 'brightness') != 0
  contrast = only(params, 'ada_contrast') != 1
  hue = only(params, 'hue') != 0
  assert abs(bright.mean() - p) < 0.015 and abs(contrast.mean() - p) < 0.015
  # Independent per transform.
  assert abs((bright & contrast).mean() - p * p) < 0.01
  assert abs((bright & hue).mean() - p * p) < 0.01
  # Flips and luma flips: chosen with p, then flipped with 1/2.
  flips = only(augment.ada_params(KEY, n, (8, 8, 1), p, 'blit'), 'xflip')
  assert abs(flips.mean() - p / 2) < 0.015


def _sum_of_weighted(fn, x):
  w = jax.random.normal(jax.random.PRNGKey(7), x.shape)
  # Compiled: one program instead of every op and its gradient dispatched.
  return jax.jit(jax.grad(lambda v: jnp.sum(fn(v) * w)))(x), w


@pytest.mark.parametrize('policy', POLICIES)
def test_diff_augment_is_differentiable(policy):
  grad, _ = _sum_of_weighted(lambda v: augment.diff_augment(KEY, v, policy),
                             images())
  assert np.isfinite(np.asarray(grad)).all()
  assert float(jnp.abs(grad).sum()) > 0


@pytest.mark.parametrize('pipeline', PIPELINES)
def test_ada_is_differentiable(pipeline):
  grad, _ = _sum_of_weighted(
      lambda v: augment.ada_augment(KEY, v, 0.8, pipeline), images())
  assert np.isfinite(np.asarray(grad)).all()
  assert float(jnp.abs(grad).sum()) > 0


def test_gradients_of_cutout_and_translation_are_their_masks():
  x = images((1, 16, 16, 1))
  grad, w = _sum_of_weighted(
      lambda v: augment.apply([{'cutout': jnp.array([[8, 8]])}], v), x)
  mask = np.ones((1, 16, 16, 1))
  mask[0, 4:12, 4:12] = 0
  np.testing.assert_array_equal(grad, np.asarray(w) * mask)
  grad, w = _sum_of_weighted(
      lambda v: augment.apply([{'translation': jnp.array([[2, -1]])}], v), x)
  # out[i, j] = x[i - 2, j + 1]: x[r, c] reaches out[r + 2, c - 1].
  expected = np.zeros((1, 16, 16, 1))
  expected[0, :14, 1:] = np.asarray(w)[0, 2:, :15]
  np.testing.assert_array_equal(grad, expected)


def test_same_key_same_draws_and_different_keys_differ():
  x = images()
  for fn in (lambda k: augment.diff_augment(k, x, 'color,translation,cutout'),
             lambda k: augment.ada_augment(k, x, 0.5, 'blit,color,cutout')):
    fn = jax.jit(fn)  # the key traced: one program draws for every key
    np.testing.assert_array_equal(fn(KEY), fn(KEY))
    assert not np.array_equal(fn(KEY), fn(jax.random.PRNGKey(1)))
  # Per-example draws: the examples of one batch differ.
  b = only(augment.diff_augment_params(KEY, 8, (16, 16, 3), 'color'),
           'brightness')
  assert len(set(b.tolist())) == 8


def test_jit_with_a_traced_p_equals_eager():
  x = images()
  policy = 'color,translation,cutout'
  jitted = jax.jit(augment.diff_augment, static_argnames='policy')
  np.testing.assert_allclose(jitted(KEY, x, policy=policy),
                             augment.diff_augment(KEY, x, policy), atol=1e-6)
  ada = jax.jit(lambda k, v, p: augment.ada_augment(k, v, p,
                                                    'blit,color,cutout'))
  for p in (0.0, 0.4, 1.0):
    np.testing.assert_allclose(
        ada(KEY, x, jnp.float32(p)),
        augment.ada_augment(KEY, x, p, 'blit,color,cutout'), atol=1e-6)


def test_devices_draw_for_the_global_batch_and_slice():
  # vmap with a named axis stands in for pmap over 4 devices.
  x = images((8, 8, 8, 3))
  local = x.reshape(4, 2, 8, 8, 3)
  # Compiled, as in a step: op by op, vmap dispatches every op of both
  # pipelines one at a time.
  for fn in (
      lambda v, a=None: augment.diff_augment(KEY, v, 'color,translation,'
                                             'cutout', axis_name=a),
      lambda v, a=None: augment.ada_augment(KEY, v, 0.6, 'blit,color,cutout',
                                            axis_name=a)):
    devices = jax.jit(jax.vmap(lambda v: fn(v, 'd'), axis_name='d'))(local)
    np.testing.assert_allclose(devices.reshape(x.shape), jax.jit(fn)(x),
                               atol=1e-6)
  # By hand: draw for the global batch, slice per device, apply.
  params = augment.diff_augment_params(KEY, 8, (8, 8, 3), 'color')
  sliced = jax.jit(jax.vmap(lambda v: augment.apply(
      augment.device_slice(params, 2, 'd'), v), axis_name='d'))(local)
  np.testing.assert_allclose(sliced.reshape(x.shape),
                             jax.jit(augment.apply)(params, x), atol=1e-6)


def test_ada_update_moves_p_by_the_exact_step_and_clips():
  step = np.float32(64 * 4 / 500_000)
  up = augment.ada_update(jnp.float32(0.3), 0.9, batch=64, interval=4)
  down = augment.ada_update(jnp.float32(0.3), 0.1, batch=64, interval=4)
  assert up.dtype == jnp.float32 and up.shape == ()
  assert float(up) == np.float32(0.3) + step
  assert float(down) == np.float32(0.3) - step
  assert float(augment.ada_update(0.3, 0.6, batch=64)) == np.float32(0.3)
  assert float(augment.ada_update(0.9999, 0.9, batch=64)) == 1.0
  assert float(augment.ada_update(0.0001, 0.1, batch=64)) == 0.0
  assert float(augment.ada_update(0.0, -1.0, batch=64)) == 0.0
  # The references clip at 0 only.
  assert float(augment.ada_update(1.0, 0.9, batch=64, max_p=jnp.inf)) > 1.0
  # Other speed and target; jitted with traced p and r_t.
  update = jax.jit(lambda p, r: augment.ada_update(
      p, r, batch=32, interval=1, target=0.5, speed_images=100_000))
  assert float(update(jnp.float32(0.5), jnp.float32(0.55))) == (
      np.float32(0.5) + np.float32(32 / 100_000))
  # A D that stays overconfident drives p up by one step per adjustment.
  p = jnp.float32(0.0)
  for _ in range(100):
    p = update(p, jnp.float32(0.9))
  assert float(p) == pytest.approx(100 * 32 / 100_000, rel=1e-4)
