"""ACGAN (Odena et al. 2017): the class cross-entropy terms, the
discriminators' auxiliary classifier head, a few training steps on the
offline digits, and the config checks (``config.loss.acgan_weight``)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax import config_lib, errors, losses, models, parallel
from ganjax import loop as train
from ganjax.families import gan as gan_family


def test_acgan_losses_equal_their_closed_form():
  # Row 1: uniform over 3 classes, label 1 -> log 3. Row 2: softmax of
  # (log 2, 0, 0) is (1/2, 1/4, 1/4), label 0 -> log 2.
  real = jnp.array([[0.0, 0.0, 0.0], [math.log(2.0), 0.0, 0.0]])
  real_y = jnp.array([1, 0])
  # softmax of (0, log 3, 0) is (1/5, 3/5, 1/5), label 1 -> log(5/3).
  fake = jnp.array([[0.0, math.log(3.0), 0.0]])
  fake_y = jnp.array([1])
  real_ce = (math.log(3.0) + math.log(2.0)) / 2
  fake_ce = math.log(5.0 / 3.0)
  assert float(losses.class_cross_entropy(real, real_y)) == pytest.approx(
      real_ce, rel=1e-6)
  assert float(losses.acgan_d_loss(real, real_y, fake, fake_y)) == (
      pytest.approx(real_ce + fake_ce, rel=1e-6))
  assert float(losses.acgan_d_loss(real, real_y, fake, fake_y, 0.5)) == (
      pytest.approx(real_ce + 0.5 * fake_ce, rel=1e-6))
  assert float(losses.acgan_d_loss(real, real_y, fake, fake_y, 0.0)) == (
      pytest.approx(real_ce, rel=1e-6))
  assert float(losses.acgan_g_loss(fake, fake_y)) == pytest.approx(
      fake_ce, rel=1e-6)
  # Row 1 is a three-way tie (arg-max 0, label 1): 1 of 2 right.
  assert float(losses.class_accuracy(real, real_y)) == 0.5


def test_aux_classifier_head_shapes():
  # projection_dcgan and resnet_sngan32 share the head (conditional.heads).
  spec = dict(name='projection_mlp', hidden=(16,), spectral_norm=True)
  x = jnp.zeros((5, 8, 8, 1))
  d = models.build_discriminator(spec, num_classes=7, aux_classifier=True)
  variables = d.init(jax.random.PRNGKey(0), x, train=False)
  logits, class_logits = d.apply(variables, x, train=False)
  assert logits.shape == (5,) and class_logits.shape == (5, 7)
  # StudioGAN's linear2: a dense layer without bias on D's features.
  head = jax.tree_util.tree_flatten_with_path(
      variables['params']['aux_classifier'])[0]
  assert [(p[-1].key, v.shape) for p, v in head] == [('kernel', (16, 7))]
  # Without the head the same D (same other weights) returns its logits
  # alone, equal to the head's D's.
  plain = models.build_discriminator(spec, num_classes=7)
  out = plain.apply(variables, x, train=False)
  np.testing.assert_array_equal(out, logits)


def _acgan():
  """configs/digits_acgan.py made small and quick to compile (no gradient
  penalty, one critic step, no EMA)."""
  config = config_lib.get_config('digits_acgan')
  config.model.generator.hidden = config.model.discriminator.hidden = (32,)
  config.model.ema_decay = 0.0
  config.loss.name = 'ns'
  config.loss.gp_weight = 0.0
  config.train.n_critic = 1
  config.train.batch_size = 64
  config.optim.d.learning_rate = 3e-3
  return config


def _digit_batches(batch: int, seed: int = 0):
  """The bundled 8x8 digits in [-1, 1] with their labels, as the training
  stream's ``{'x': [1, batch, 8, 8, 1], 'label': [1, batch]}`` (no TFDS
  preparation: quicker for a test)."""
  from sklearn import datasets  # pylint: disable=g-import-not-at-top
  digits = datasets.load_digits()
  images = (digits.images[..., None] / 8.0 - 1.0).astype(np.float32)
  rng = np.random.default_rng(seed)
  while True:
    i = rng.integers(0, len(images), batch)
    yield {'x': images[i][None], 'label': digits.target[i][None]}


def test_acgan_classifier_learns_the_digits():
  config = _acgan()
  gan, state = train.build(config)
  assert gan.acgan_weight == 1.0
  step = parallel.compile_step(gan, 'jit')
  stream = _digit_batches(config.train.batch_size)
  history = []
  for _ in range(40):
    state, metrics = step(state, next(stream))
    history.append({k: float(v) for k, v in metrics.items()})
  acc = np.array([m['ac_real_accuracy'] for m in history])
  assert all(np.isfinite(v) for m in history for v in m.values())
  # Chance is 0.1: the auxiliary classifier learns the real digits.
  assert acc[:5].mean() < 0.3 and acc[-5:].mean() > 0.6, acc
  # The readout of the evaluators: D's adversarial logit alone.
  x = jnp.zeros((3, 8, 8, 1))
  out = gan_family.discriminate(gan, state, x, jnp.array([0, 1, 2]))
  assert out.shape == (3,)


def test_acgan_without_classes_is_refused_in_one_line():
  config = config_lib.get_config('digits_wgan_gp')
  config.loss.acgan_weight = 1.0
  with pytest.raises(errors.ConfigError) as e:
    config_lib.validate(config)
  assert 'loss.acgan_weight=1.0' in str(e.value)
  assert 'model.num_classes' in str(e.value) and '\n' not in str(e.value)
  # Classes but a discriminator without the head.
  config = _acgan()
  config.model.discriminator = dict(name='mlp', hidden=(16,))
  with pytest.raises(errors.ConfigError) as e:
    train.build(config)
  assert 'auxiliary classifier' in str(e.value) and '\n' not in str(e.value)
  config = _acgan()
  config.loss.acgan_fake_weight = -1.0
  with pytest.raises(errors.ConfigError) as e:
    config_lib.validate(config)
  assert 'loss.acgan_fake_weight=-1.0' in str(e.value)
