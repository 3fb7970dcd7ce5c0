"""The fast layers compute the flax layers' function; mixed precision.

``layers.PhaseConvTranspose`` (sub-pixel transposed convolution) and
``layers.Conv`` (convolution with canonical-layout gradients) must equal
``nn.ConvTranspose`` / ``nn.Conv`` with the same parameters: outputs,
gradients with respect to input and kernel, and (for the gradient penalty)
second derivatives, within float32 tolerance. The DCGAN built with them has
the same parameters and trains the same; the critic loop traced unrolled
equals the ``lax.scan`` one; the bfloat16 option keeps parameters, outputs
and losses in float32.
"""

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from ganjax import config_lib, errors, models, state as state_lib, steps
from ganjax.models import layers

RTOL, ATOL = 1e-5, 1e-5


def _close(a, b, rtol=RTOL, atol=ATOL):
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    scale = float(jnp.max(jnp.abs(y))) or 1.0
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol,
                               atol=atol * scale)


def _check_same_function(flax_layer, fast_layer, x, seed=0):
  """Same params -> same outputs and input/kernel gradients."""
  # Compiled, not op by op: one compilation per function is cheaper than
  # dispatching (and compiling) each of the layers' and gradients' ops.
  variables = jax.jit(flax_layer.init)(jax.random.PRNGKey(seed), x)
  fast_vars = jax.eval_shape(fast_layer.init, jax.random.PRNGKey(seed), x)
  assert jax.tree.map(jnp.shape, fast_vars) == jax.tree.map(
      jnp.shape, variables)
  y_ref = jax.jit(flax_layer.apply)(variables, x)
  cot = jax.random.normal(jax.random.PRNGKey(seed + 1), y_ref.shape)

  @jax.jit
  def outputs_and_grads(variables, x):
    def run(layer):
      loss = lambda v, x: jnp.sum(layer.apply(v, x) * cot)
      return layer.apply(variables, x), jax.grad(loss, argnums=(0, 1))(
          variables, x)
    return run(fast_layer), run(flax_layer)

  (y_fast, (g_params, g_x)), (y_ref, (r_params, r_x)) = outputs_and_grads(
      variables, x)
  assert y_fast.shape == y_ref.shape
  _close(y_fast, y_ref)
  _close(g_x, r_x)
  _close(g_params, r_params)


# The generator's shapes (7 -> 7 -> 14 -> 28 for MNIST, 8 -> 16 -> 32 for
# SVHN), odd and even, and kernel sizes 3 (seed 004's modified G), 4 and 5.
@pytest.mark.parametrize('kernel', [3, 4, 5])
@pytest.mark.parametrize('stride,size', [(1, 7), (1, 8), (2, 7), (2, 14),
                                         (2, 8), (2, 16)])
def test_phase_conv_transpose_equals_flax(kernel, stride, size):
  k = (kernel, kernel)
  kwargs = dict(strides=(stride, stride), padding='SAME', use_bias=False)
  x = jax.random.normal(jax.random.PRNGKey(kernel + size),
                        (3, size, size, 6))
  _check_same_function(nn.ConvTranspose(5, k, **kwargs),
                       layers.PhaseConvTranspose(5, k, **kwargs), x)


@pytest.mark.parametrize('padding', ['VALID', ((1, 2), (0, 3))])
@pytest.mark.parametrize('stride', [2, 3])
def test_phase_conv_transpose_other_paddings_and_bias(padding, stride):
  x = jax.random.normal(jax.random.PRNGKey(stride), (2, 5, 6, 3))
  kwargs = dict(strides=(stride, stride), padding=padding, use_bias=True,
                bias_init=nn.initializers.normal(1.0))
  _check_same_function(nn.ConvTranspose(4, (4, 3), **kwargs),
                       layers.PhaseConvTranspose(4, (4, 3), **kwargs), x)


@pytest.mark.parametrize('kernel', [3, 4, 5])
@pytest.mark.parametrize('stride,size,padding', [
    (1, 7, 'SAME'), (2, 28, 'SAME'), (2, 14, 'SAME'), (2, 9, 'SAME'),
    (2, 9, 'VALID'), (3, 10, 'VALID')])
def test_conv_equals_flax(kernel, stride, size, padding):
  k = (kernel, kernel)
  kwargs = dict(strides=(stride, stride), padding=padding)
  x = jax.random.normal(jax.random.PRNGKey(kernel * size),
                        (3, size, size + 1, 4))
  _check_same_function(nn.Conv(6, k, **kwargs), layers.Conv(6, k, **kwargs),
                       x)


def test_conv_second_derivatives_equal_flax():
  """The gradient penalty differentiates an input gradient again."""
  x = jax.random.normal(jax.random.PRNGKey(0), (4, 14, 14, 3))
  kwargs = dict(strides=(2, 2), padding='SAME')
  flax_conv, fast = nn.Conv(5, (5, 5), **kwargs), layers.Conv(5, (5, 5),
                                                              **kwargs)
  variables = flax_conv.init(jax.random.PRNGKey(1), x)

  def penalty(layer):
    def f(v):
      critic = lambda x: jnp.sum(jnp.tanh(layer.apply(v, x)))
      g = jax.grad(critic)(x).reshape((x.shape[0], -1))
      return jnp.mean((jnp.sqrt(jnp.sum(g * g, -1)) - 1.0) ** 2)
    # Compiled: op by op, every op of the double backward pass dispatches.
    return jax.jit(jax.value_and_grad(f))(variables)

  (p_fast, g_fast), (p_ref, g_ref) = penalty(fast), penalty(flax_conv)
  _close(p_fast, p_ref)
  _close(g_fast, g_ref, atol=1e-4)


def test_conv2d_gradients_inside_a_scan_equal_outside():
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 9, 9, 3))
  w = jax.random.normal(jax.random.PRNGKey(1), (5, 5, 3, 4))
  pads = layers.conv_padding((9, 9), (5, 5), (2, 2), 'SAME')
  loss = lambda w: jnp.sum(layers.conv2d(x, w, (2, 2), pads) ** 2)
  once = jax.grad(loss)(w)

  def body(carry, _):
    return carry, jax.grad(loss)(carry)

  _, scanned = lax.scan(body, w, None, length=2)
  _close(scanned[1], once)


# The DCGAN's layers and shapes, with fewer channels (the tests compile
# and run in seconds; the function does not depend on the widths).
G_FEATURES, D_FEATURES = (32, 16, 8), (8, 16)


def _dcgan_pair(shape, **g_extra):
  g = {'name': 'dcgan', 'features': G_FEATURES, **g_extra}
  d = {'name': 'dcgan', 'dropout': 0.3, 'features': D_FEATURES}
  fast_g = models.build_generator(g, shape)
  flax_g = models.build_generator(dict(g, fast_transpose=False), shape)
  fast_d = models.build_discriminator(d)
  flax_d = models.build_discriminator(dict(d, fast_conv=False))
  return fast_g, flax_g, fast_d, flax_d


@pytest.mark.parametrize('shape,kernel', [((28, 28, 1), 5), ((32, 32, 3), 5),
                                          ((28, 28, 1), 3)])
def test_dcgan_fast_layers_same_parameters_and_function(shape, kernel):
  fast_g, flax_g, fast_d, flax_d = _dcgan_pair(shape, kernel_size=kernel)
  z = jax.random.normal(jax.random.PRNGKey(0), (4, 100))
  g_vars = jax.jit(lambda k: flax_g.init(k, z, train=False))(
      jax.random.PRNGKey(1))
  assert jax.tree.map(jnp.shape, jax.eval_shape(
      lambda k: fast_g.init(k, z, train=False),
      jax.random.PRNGKey(1))) == jax.tree.map(jnp.shape, g_vars)
  out = {}
  for name, g in (('fast', fast_g), ('flax', flax_g)):
    out[name] = jax.jit(lambda v, g=g: g.apply(
        v, z, train=True, mutable=['batch_stats']))(g_vars)
  _close(out['fast'][0], out['flax'][0])
  _close(out['fast'][1], out['flax'][1])
  images = out['flax'][0]
  d_vars = jax.jit(lambda k: flax_d.init(k, images, train=False))(
      jax.random.PRNGKey(2))
  rngs = {'dropout': jax.random.PRNGKey(3)}
  d_out = jax.jit(lambda v: [d.apply(v, images, train=True, rngs=rngs)
                             for d in (fast_d, flax_d)])(d_vars)
  _close(*d_out)


def _mnist_gan(loss, n_critic, fast, batch=8):
  config = config_lib.get_config('mnist_dcgan')
  config.loss.name = loss
  config.train.n_critic = n_critic
  config.train.update_scheme = 'alternating'  # n_critic may be > 1.
  config.model.generator = dict(name='dcgan', fast_transpose=fast,
                                features=G_FEATURES)
  config.model.discriminator = dict(name='dcgan', dropout=0.3, fast_conv=fast,
                                    features=D_FEATURES)
  # SGD: the update is the gradient, scaled (Adam's first step is its sign,
  # which float32 rounding flips where a gradient is about zero).
  for opt in (config.optim.g, config.optim.d):
    opt.name, opt.learning_rate = 'sgd', 1.0
  gan = state_lib.build_gan(config, (28, 28, 1))
  x = jax.random.uniform(jax.random.PRNGKey(5), (n_critic, batch, 28, 28, 1),
                         minval=-1.0, maxval=1.0)
  return gan, {'x': x, 'label': jnp.zeros((n_critic, batch), jnp.int32)}


@pytest.mark.parametrize('loss,n_critic', [('ns', 1), ('wgan_gp', 2)])
def test_dcgan_train_step_with_fast_layers_equals_flax_layers(loss, n_critic):
  results = {}
  for fast in (True, False):
    gan, batch = _mnist_gan(loss, n_critic, fast)
    state = state_lib.create_state(gan, 0)
    results[fast] = jax.jit(lambda s, b, gan=gan: steps.train_step(
        gan, s, b))(state, batch)
  (new_fast, m_fast), (new_flax, m_flax) = results[True], results[False]
  for key in m_flax:
    np.testing.assert_allclose(float(m_fast[key]), float(m_flax[key]),
                               rtol=1e-4, atol=1e-5, err_msg=key)
  # The updates (the gradients: SGD with learning rate 1) agree.
  update = lambda new: jax.tree.map(jnp.subtract, new, state.g_params)
  _close(update(new_fast.g_params), update(new_flax.g_params), atol=1e-4)
  update = lambda new: jax.tree.map(jnp.subtract, new, state.d_params)
  _close(update(new_fast.d_params), update(new_flax.d_params), atol=1e-4)


def test_unrolled_critic_loop_equals_the_scan(monkeypatch):
  config = config_lib.get_config('default')
  config.loss.name = 'wgan_gp'
  config.train.n_critic = 3
  gan = state_lib.build_gan(config, (2,))
  state = state_lib.create_state(gan, 0)
  x = jax.random.normal(jax.random.PRNGKey(0), (3, 16, 2))
  batch = {'x': x, 'label': jnp.zeros((3, 16), jnp.int32)}
  step = lambda s, b: steps.train_step(gan, s, b)
  assert gan.n_critic <= steps.UNROLL_CRITIC
  unrolled = jax.jit(step)(state, batch)
  monkeypatch.setattr(steps, 'UNROLL_CRITIC', 0)
  scanned = jax.jit(step)(state, batch)
  _close(unrolled, scanned)


# Mixed precision --------------------------------------------------------


@pytest.mark.parametrize('kind', ['dcgan', 'mlp'])
def test_bfloat16_compute_keeps_float32_params_and_outputs(kind):
  if kind == 'dcgan':
    shape, z = (28, 28, 1), jnp.ones((4, 100))
    spec = {'name': 'dcgan', 'features': G_FEATURES}
    d_spec = {'name': 'dcgan', 'features': D_FEATURES}
  else:
    shape, z = (2,), jax.random.normal(jax.random.PRNGKey(0), (64, 2))
    spec = d_spec = {'name': 'mlp', 'hidden': [64, 64]}
  g32 = models.build_generator(spec, shape)
  g16 = models.build_generator(dict(spec, dtype='bfloat16'), shape)
  d32 = models.build_discriminator(dict(d_spec, dropout=0.0))
  d16 = models.build_discriminator(dict(d_spec, dropout=0.0,
                                        dtype='bfloat16'))
  # Compiled (op by op, the DCGAN's layers dispatch one op at a time);
  # g16's variables by shape and dtype only.
  init = lambda m, *a: jax.jit(functools.partial(m.init, train=False))(*a)
  apply = lambda m, *a: jax.jit(functools.partial(m.apply, train=False))(*a)
  g_vars = init(g32, jax.random.PRNGKey(1), z)
  g16_vars = jax.eval_shape(functools.partial(g16.init, train=False),
                            jax.random.PRNGKey(1), z)
  assert jax.tree.map(lambda x: (x.shape, x.dtype), g16_vars) == jax.tree.map(
      lambda x: (x.shape, x.dtype), g_vars)
  x32 = apply(g32, g_vars, z)
  x16 = apply(g16, g_vars, z)
  assert x16.dtype == jnp.float32 and x16.shape == x32.shape
  # bfloat16 keeps 8 bits of mantissa: close, not equal.
  np.testing.assert_allclose(x16, x32, atol=0.05 * float(
      jnp.max(jnp.abs(x32))) + 1e-3)
  d_vars = init(d32, jax.random.PRNGKey(2), x32)
  l32 = apply(d32, d_vars, x32)
  l16 = apply(d16, d_vars, x32)
  assert l16.dtype == jnp.float32
  np.testing.assert_allclose(l16, l32, atol=0.05 * float(
      jnp.max(jnp.abs(l32))) + 1e-2)


@pytest.mark.parametrize('name,loss', [('mnist_dcgan', 'ns'),
                                       ('default', 'wgan_gp')])
def test_bfloat16_from_config_trains_with_finite_float32_losses(name, loss):
  config = config_lib.get_config(name)
  config.loss.name = loss
  if name == 'mnist_dcgan':  # in the model dicts
    config.model.generator = dict(config.model.generator, dtype='bfloat16',
                                  features=G_FEATURES)
    config.model.discriminator = dict(config.model.discriminator,
                                      dtype='bfloat16', features=D_FEATURES)
  else:  # the top-level field a command line can set
    config = config_lib.get_config(name, **{'model.dtype': 'bfloat16',
                                            'loss.name': loss})
  shape = (28, 28, 1) if name == 'mnist_dcgan' else (2,)
  gan = state_lib.build_gan(config, shape)
  assert gan.generator.dtype == gan.discriminator.dtype == 'bfloat16'
  state = state_lib.create_state(gan, 0)
  assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(state.g_params))
  x = jax.random.uniform(jax.random.PRNGKey(0), (1, 8) + shape, minval=-1.0,
                         maxval=1.0)
  batch = {'x': x, 'label': jnp.zeros((1, 8), jnp.int32)}
  step = jax.jit(lambda s, b: steps.train_step(gan, s, b))
  for _ in range(2):
    state, metrics = step(state, batch)
  for key, value in metrics.items():
    assert value.dtype == jnp.float32, key
    assert np.isfinite(float(value)), key
  assert (float(metrics['gp']) > 0) == (loss == 'wgan_gp')
  assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(state.d_params))


def test_model_dtype_on_a_model_without_the_field_is_a_config_error():
  config = config_lib.get_config('gaussian1d_moments',
                                 **{'model.dtype': 'bfloat16'})
  with pytest.raises(errors.ConfigError,
                     match="model.dtype='bfloat16' is not supported by the "
                     "'moments' model"):
    state_lib.build_gan(config, (1,))


def test_unknown_compute_dtype_is_a_config_error():
  g = models.build_generator({'name': 'mlp', 'dtype': 'float8'}, (2,))
  with pytest.raises(errors.ConfigError, match='generator.dtype'):
    g.init(jax.random.PRNGKey(0), jnp.ones((1, 2)))
