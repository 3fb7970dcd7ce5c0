"""The whole loop: workdir contents, resume, mock-data runs, clear errors."""

import glob
import json
import os
import subprocess
import sys
import types
from unittest import mock

import jax
import matplotlib.pyplot as plt
import numpy as np
import pytest

import ganjax
from ganjax import config_lib, errors, loop as train
from ganjax.data import images
from conftest import ROOT, leaves_equal, tiny


def test_default_config_leaves_events_checkpoint_and_picture(tmp_path):
  config = tiny(config_lib.get_config('default'), steps=20, batch=64)
  config.train.sample_every = 10
  config.eval.evaluators = 'auto'
  state = train.train_and_evaluate(config, str(tmp_path))
  assert int(state.step) == 20
  assert glob.glob(str(tmp_path / 'events.out.tfevents.*'))
  assert os.path.isdir(tmp_path / 'checkpoints' / '20')
  pictures = sorted(glob.glob(str(tmp_path / 'samples' / '*.png')))
  assert [os.path.basename(p) for p in pictures] == [
      'step_0000010.png', 'step_0000020.png']
  assert plt.imread(pictures[-1]).shape[:2] == (500, 500)
  assert (tmp_path / 'config.json').exists()
  record = json.loads((tmp_path / 'metrics.jsonl').read_text())
  assert record['step'] == 20 and 0 <= record['modes_covered'] <= 8
  assert plt.imread(str(tmp_path / 'loss_curves.png')).shape[:2] == (400, 800)


def test_save_restore_continue_equals_uninterrupted(tmp_path):
  config = tiny(config_lib.get_config('default'), steps=6, batch=32)
  config.train.checkpoint_every = 3
  straight = train.train_and_evaluate(config, str(tmp_path / 'a'))
  config.train.steps = 3
  train.train_and_evaluate(config, str(tmp_path / 'b'))
  config.train.steps = 6
  resumed = train.train_and_evaluate(config, str(tmp_path / 'b'))
  assert int(resumed.step) == 6
  leaves_equal(straight, resumed)


def test_running_again_does_not_start_over(tmp_path):
  config = tiny(config_lib.get_config('default'), steps=4, batch=32)
  first = train.train_and_evaluate(config, str(tmp_path))
  again = train.train_and_evaluate(config, str(tmp_path))
  leaves_equal(first, again)


def test_svhn_wgan_two_steps_under_mock_data(tmp_path, mock_tfds):
  # The docstring's smoke test: the evaluators stay on ('auto') but the
  # final evaluation is skipped, so no evaluation classifier is trained.
  config = tiny(config_lib.get_config('svhn_wgan'))
  config.eval.evaluators = 'auto'
  config.eval.at_end = False
  config.eval.classifier.cache_dir = str(tmp_path / 'cache')
  state = train.train_and_evaluate(config, str(tmp_path))
  assert int(state.step) == 2
  assert not os.path.exists(tmp_path / 'cache')
  assert not os.path.exists(tmp_path / 'metrics.jsonl')
  picture = plt.imread(str(tmp_path / 'samples' / 'step_0000002.png'))
  assert picture.shape[:2] == (4 * 33 + 1, 4 * 33 + 1)  # 16 samples, 32x32


def test_missing_data_without_network_fails_fast_and_clearly(tmp_path):
  config = config_lib.get_config('svhn_wgan')
  config.data.data_dir = str(tmp_path / 'tfds')
  # Without a network TFDS would retry its download for minutes; the probe
  # answers first and the run stops with one line, having trained nothing.
  with mock.patch.object(images, '_network_reaches',
                         return_value=False) as probe:
    with pytest.raises(errors.DataError) as info:
      train.train_and_evaluate(config, str(tmp_path / 'run'))
  probe.assert_called()
  assert not os.path.exists(tmp_path / 'run' / 'checkpoints' / '0')
  assert not os.path.exists(tmp_path / 'run' / 'train_metrics.jsonl')
  message = str(info.value)
  assert "'svhn_cropped' is not prepared" in message
  assert 'download_and_prepare' in message and str(tmp_path / 'tfds') in message
  assert '\n' not in message


def test_api_train_sample_load(tmp_path):
  config = ganjax.get_config('default', **{'train.steps': 5,
                                           'train.log_every': 5})
  result = ganjax.train(config, str(tmp_path), progress=False)
  assert result.step == 5
  images_ = ganjax.sample(result, num=7, seed=1)
  assert images_.shape == (7, 2)
  loaded = ganjax.load(str(tmp_path))
  np.testing.assert_array_equal(ganjax.sample(loaded, num=7, seed=1), images_)
  with pytest.raises(errors.ConfigError, match='no field'):
    ganjax.get_config('default', **{'train.stepz': 5})


def _launch(*args, timeout=300):
  return subprocess.run([sys.executable, 'launch.py', *args], cwd=ROOT,
                        capture_output=True, text=True, timeout=timeout)


def test_launch_trains_with_overrides_and_resumes(tmp_path):
  # The first 4 steps in this process (launch.py from scratch: the
  # reliability, multi-host and VAE tests' runs), the resume through it.
  config = ganjax.get_config('default', **{'train.steps': 4,
                                           'train.log_every': 2})
  train.train_and_evaluate(config, str(tmp_path))
  assert os.path.isdir(tmp_path / 'checkpoints' / '4')
  run = _launch('--config=configs/default.py', f'--workdir={tmp_path}',
                '--config.train.steps=6', '--config.train.log_every=2')
  assert run.returncode == 0, run.stderr[-2000:]
  assert 'Restored checkpoint of step 4' in run.stderr
  assert 'from step 4 to 6' in run.stderr


def test_launch_user_error_is_one_line_without_traceback(tmp_path):
  run = _launch('--config=configs/default.py', f'--workdir={tmp_path}',
                '--config.train.n_critic=0')
  assert run.returncode == 1
  assert 'Traceback' not in run.stderr
  assert 'error: config.train.n_critic=0 is not allowed' in run.stderr
  # An unknown --config.train.* field: launch.py's own run of that is
  # tests/test_reliability.py::test_unknown_override_is_rejected.


def test_many_steps_per_dispatch_equal_one_and_keep_intervals(tmp_path):
  config = tiny(config_lib.get_config('default'), steps=11, batch=32)
  config.train.log_every = 3
  config.train.checkpoint_every = 5
  config.train.max_checkpoints = 10
  one = train.train_and_evaluate(config, str(tmp_path / 'one'))
  config.train.steps_per_dispatch = 4
  four = train.train_and_evaluate(config, str(tmp_path / 'four'))
  for x, y in zip(jax.tree.leaves(one), jax.tree.leaves(four), strict=True):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-5,
                               atol=1e-6)
  assert sorted(os.listdir(tmp_path / 'four' / 'checkpoints')) == [
      '10', '11', '5']
  logged = [json.loads(line)['step'] for line in
            open(tmp_path / 'four' / 'train_metrics.jsonl')]
  assert logged == [3, 5, 6, 9, 10, 11]


def test_dispatch_plan_stops_at_every_interval():
  from ganjax import parallel
  sizes = list(parallel.dispatch_plan(0, 23, 8, (10, 4)))
  ends = np.cumsum(sizes).tolist()
  assert sum(sizes) == 23 and max(sizes) <= 8
  for boundary in (4, 8, 10, 12, 16, 20, 23):
    assert boundary in ends


def test_interpolate_and_live_samples_refuse_in_one_line():
  config = config_lib.get_config('grid25_conditional_mlp')
  # Refused before anything is generated (ganjax.interpolate itself:
  # tests/test_families.py and the notebook).
  trained = ganjax.Trained(config, types.SimpleNamespace(num_classes=25),
                           None)
  with pytest.raises(errors.ConfigError,
                     match=r'^label=25 is not allowed: use a class in '
                     r'\[0, 25\).$'):
    ganjax.interpolate(trained, label=25)
  with mock.patch.dict('sys.modules', {'IPython': None}):
    with pytest.raises(errors.ConfigError, match='^show_samples=True .*'
                       'IPython is not installed'):
      ganjax.train(config, '/nonexistent/never', show_samples=True)


def test_the_step_compiles_once_with_on_device_batches(tmp_path):
  """The placed state is committed where the step's outputs and the
  on-device digits batches are, so the second call reuses the first
  call's program instead of compiling it again."""
  from ganjax import data, parallel  # pylint: disable=g-import-not-at-top
  config = ganjax.get_config('digits_wgan_gp', **{
      'model.generator': {'name': 'mlp', 'hidden': (8,)},
      'model.discriminator': {'name': 'mlp', 'hidden': (8,)},
      'train.batch_size': 8, 'data.data_dir': str(tmp_path / 'tfds')})
  gan, state = train.build(config)
  stream = data.make_stream(config)
  step = parallel.compile_step(gan, 'jit')
  state = parallel.place_state(state, 'jit')
  for _ in range(3):
    state, _ = step(state, next(stream))
  assert step._cache_size() == 1  # pylint: disable=protected-access
