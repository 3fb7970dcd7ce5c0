"""Augmentation inside the training step (config.augment): DiffAugment and
ADA on D's real and generated inputs, ADA's p in the state."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax import config_lib, data, errors, parallel, loop as train
from conftest import leaves_equal, tiny


@pytest.fixture(scope='module')
def digits_dir(tmp_path_factory):
  return str(tmp_path_factory.mktemp('tfds'))


def _digits(digits_dir, **augment):
  config = config_lib.get_config('digits_wgan_gp')
  config.data.data_dir = digits_dir
  config.model.generator.hidden = config.model.discriminator.hidden = (32,)
  config.train.batch_size = 32
  config.loss.r1_weight = 1.0  # the penalties' critic sees the views too
  for k, v in augment.items():
    config.augment[k] = v
  return config


def _steps(config, n):
  gan, state = train.build(config)
  # Committed to the device, as the step's outputs are: an uncommitted
  # first state compiles the step a second time on the second call.
  state = jax.device_put(state, jax.local_devices()[0])
  step = parallel.compile_step(gan, 'jit')
  stream = data.make_stream(config)
  history = []
  for _ in range(n):
    state, metrics = step(state, next(stream))
    history.append(jax.device_get(metrics))
  return gan, state, history


def test_diffaugment_changes_what_d_sees_and_trains_finitely(digits_dir):
  _, plain, _ = _steps(_digits(digits_dir), 3)
  _, augmented, history = _steps(_digits(digits_dir, policy='color,translation,cutout'), 3)
  assert all(np.isfinite(float(v)) for m in history for v in m.values())
  # The same data, keys and initial weights: only D's views differ.
  differs = [not np.allclose(a, b) for a, b in zip(
      jax.tree.leaves(plain.d_params), jax.tree.leaves(augmented.d_params))]
  assert any(differs)


def test_ada_moves_p_by_its_closed_form(digits_dir):
  config = _digits(digits_dir, ada='blit,color', ada_speed_images=3200,
                   ada_interval=2)
  gan, state, history = _steps(config, 6)
  # n_critic 2: every train step is 2 D updates, one adjustment of
  # 32 * 2 / 3200 = 0.02 in the direction of mean(sign(D(x))) - 0.6.
  p = 0.0
  for m in history:
    p = min(max(p + np.sign(m['ada_sign'] - 0.6) * 0.02, 0.0), 1.0)
    assert m['ada_p'] == pytest.approx(p, abs=1e-6)
  assert float(state.augment['p']) == pytest.approx(p, abs=1e-6)
  assert int(state.augment['count']) == 0


def test_ada_p_survives_a_resume_bit_for_bit(tmp_path, digits_dir):
  config = tiny(_digits(digits_dir, ada='blit,color',
                        ada_speed_images=3200), steps=4, batch=32)
  config.train.checkpoint_every = 2
  config.train.steps_per_dispatch = 1
  straight = train.train_and_evaluate(config, str(tmp_path / 'a'))
  config.train.steps = 2
  train.train_and_evaluate(config, str(tmp_path / 'b'))
  config.train.steps = 4
  resumed = train.train_and_evaluate(config, str(tmp_path / 'b'))
  assert float(straight.augment['p']) > 0
  leaves_equal(straight, resumed)


@pytest.mark.parametrize('field,value,says', [
    ('augment.policy', 'mixup', "'mixup'"),
    ('augment.ada_target', 1.5, 'augment.ada_target=1.5'),
])
def test_bad_augmentation_is_refused_in_one_line(digits_dir, field, value,
                                                 says):
  config = _digits(digits_dir)
  config.augment[field.split('.')[1]] = value
  with pytest.raises(errors.ConfigError) as e:
    train.build(config)
  assert says in str(e.value) and '\n' not in str(e.value)


def test_augmentation_is_refused_on_toy_data_and_both_at_once():
  config = config_lib.get_config('default')
  config.augment.policy = 'translation'
  with pytest.raises(errors.ConfigError, match='augmentation is for images'):
    train.build(config)
  config = config_lib.get_config('digits_wgan_gp')
  config.augment.policy, config.augment.ada = 'color', 'blit'
  with pytest.raises(errors.ConfigError, match='not both'):
    train.build(config)
