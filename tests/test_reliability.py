"""Faults and bad input: nothing is lost, everything explains itself."""

import errno
import os
import signal
import subprocess
import sys
import time
from unittest import mock

import jax
import numpy as np
import pytest

import ganjax
from ganjax import config_lib, errors, loop as train
from conftest import ROOT, tiny, xla_flags

LAUNCH = [sys.executable, 'launch.py', '--config=configs/default.py']


def _leaves_equal(a, b):
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def _launch(*args, timeout=240):
  return subprocess.run(LAUNCH + list(args), cwd=ROOT, capture_output=True,
                        text=True, timeout=timeout)


def _complete_steps(workdir):
  d = os.path.join(workdir, 'checkpoints')
  if not os.path.isdir(d):
    return []
  return sorted(int(n) for n in os.listdir(d) if n.isdigit())


def _wait_for_checkpoint(proc, workdir, limit=180):
  deadline = time.time() + limit
  while time.time() < deadline and proc.poll() is None:
    if _complete_steps(workdir):
      return True
    time.sleep(0.05)
  return False


def test_kill_minus_9_then_same_command_equals_uninterrupted(tmp_path):
  flags = ['--config.train.steps=1500', '--config.train.checkpoint_every=100',
           '--config.train.log_every=100', '--config.train.sample_every=1500',
           '--config.train.max_checkpoints=100']
  killed = str(tmp_path / 'killed')
  proc = subprocess.Popen(LAUNCH + flags + [f'--workdir={killed}'], cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  try:
    assert _wait_for_checkpoint(proc, killed), 'no checkpoint appeared'
    time.sleep(np.random.default_rng().uniform(0.0, 1.0))  # a random moment
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
  finally:
    if proc.poll() is None:
      proc.kill()
  survived = _complete_steps(killed)
  assert survived and survived[-1] < 1500, survived
  run = _launch(*flags, f'--workdir={killed}')
  assert run.returncode == 0, run.stderr[-3000:]
  assert f'Restored checkpoint of step {survived[-1]}' in run.stderr
  # The uninterrupted run of the same config, in this process (launch.py
  # trains the config its flags give, and a third process would cost an
  # import of ganjax more than the training itself).
  config = config_lib.get_config('default')
  for flag in flags:
    field, value = flag[len('--config.train.'):].split('=')
    config.train[field] = int(value)
  straight = train.train_and_evaluate(config, str(tmp_path / 'straight'))
  _leaves_equal(ganjax.load(killed).state, straight)


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_save_the_current_step(tmp_path, sig):
  workdir = str(tmp_path)
  proc = subprocess.Popen(
      LAUNCH + ['--config.train.steps=1000000',
                '--config.train.checkpoint_every=1000000',
                '--config.train.log_every=50', f'--workdir={workdir}'],
      cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  try:
    deadline = time.time() + 180
    line = ''
    while time.time() < deadline and 'Training ring8' not in line:
      line = proc.stderr.readline()
    time.sleep(2.0)  # well into training, far from any periodic checkpoint
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
  finally:
    if proc.poll() is None:
      proc.kill()
  assert proc.returncode == 128 + sig, err[-2000:]
  steps = _complete_steps(workdir)
  assert len(steps) == 1 and steps[0] > 0
  assert f'saved a checkpoint of step {steps[0]}' in err
  assert 'Traceback' not in err


def _trained(tmp_path, steps=6, every=2, **overrides):
  config = tiny(config_lib.get_config('default', **overrides), steps=steps,
                batch=32)
  config.train.checkpoint_every = every
  config.train.max_checkpoints = 10
  return config, train.train_and_evaluate(config, str(tmp_path))


def _corrupt(step_dir, how):
  for root, _, files in os.walk(step_dir):
    for name in files:
      path = os.path.join(root, name)
      if how == 'truncate':
        with open(path, 'r+b') as f:
          f.truncate(os.path.getsize(path) // 3)
      else:
        with open(path, 'wb') as f:
          f.write(b'\x00garbage' * 7)


@pytest.mark.parametrize('how', ['truncate', 'garbage'])
def test_corrupted_latest_checkpoint_falls_back_to_previous(tmp_path, how):
  config, _ = _trained(tmp_path, steps=6, every=2)
  _corrupt(tmp_path / 'checkpoints' / '6', how)
  config.train.steps = 4
  reference = train.train_and_evaluate(config, str(tmp_path / 'ref'))
  with mock.patch.object(train.checkpoint.logging, 'warning') as warn:
    resumed = ganjax.loop.train_and_evaluate(config, str(tmp_path))
  # Resumed from step 4 (already at train.steps=4): the state of step 4.
  _leaves_equal(resumed, reference)
  assert any('checkpoints/6 is unreadable' in str(c.args[0] % c.args[1:])
             for c in warn.call_args_list)
  kept = os.listdir(tmp_path / 'checkpoints_unreadable')
  assert len(kept) == 1 and kept[0].startswith('6-')
  # Training on writes a fresh step 6 in its place.
  config.train.steps = 6
  train.train_and_evaluate(config, str(tmp_path))
  assert 6 in _complete_steps(str(tmp_path))


def test_no_readable_checkpoint_stops_instead_of_starting_over(tmp_path):
  config, _ = _trained(tmp_path, steps=2, every=1)
  for step in (1, 2):
    _corrupt(tmp_path / 'checkpoints' / str(step), 'garbage')
  before = sorted(os.listdir(tmp_path / 'checkpoints'))
  with pytest.raises(errors.CheckpointError, match='no readable checkpoint'):
    train.train_and_evaluate(config, str(tmp_path))
  assert sorted(os.listdir(tmp_path / 'checkpoints')) == before


def test_incompatible_checkpoint_is_refused_before_training(tmp_path):
  config, _ = _trained(tmp_path, steps=2, every=2)
  config.model.generator.hidden = (64, 64, 64)
  config.train.steps = 4
  # The workdir's config.json refuses this first (test_workdir_safety.py);
  # without it, the checkpoint's shapes still do.
  os.remove(tmp_path / 'config.json')
  with pytest.raises(errors.CheckpointError) as info:
    train.train_and_evaluate(config, str(tmp_path))
  message = str(info.value)
  assert 'does not fit this config' in message and 'g_params' in message
  assert 'g_params/Dense_0/bias has shape (128,) in the checkpoint but (64,)' in message
  assert _complete_steps(str(tmp_path)) == [2]
  # Another optimizer is another state too.
  config, _ = _trained(tmp_path / 'b', steps=2, every=2)
  config.optim.d.name = 'sgd'
  os.remove(tmp_path / 'b' / 'config.json')
  with pytest.raises(errors.CheckpointError, match='d_opt_state'):
    train.train_and_evaluate(config, str(tmp_path / 'b'))


def test_nan_stops_at_the_next_log_point_and_is_never_saved(tmp_path):
  config = tiny(config_lib.get_config('default'), steps=40, batch=32)
  config.train.checkpoint_every = 10
  config.train.log_every = 5
  config.train.max_checkpoints = 10
  good = train.train_and_evaluate(config, str(tmp_path))
  config.train.steps = 60
  config.optim.d.learning_rate = 1e38  # Diverges at once.
  # A resume may not change the learning rate; without config.json only
  # the state's shapes are checked.
  os.remove(tmp_path / 'config.json')
  with pytest.raises(train.NonFiniteError) as info:
    train.train_and_evaluate(config, str(tmp_path))
  message = str(info.value)
  assert 'by step 45' in message and 'last good checkpoint is step 40' in message
  assert _complete_steps(str(tmp_path))[-1] == 40
  _leaves_equal(ganjax.load(str(tmp_path)).state, good)


@pytest.mark.parametrize('field,value,needle', [
    ('loss.name', 'squared_hinge', "config.loss.name='squared_hinge' is not a known loss"),
    ('model.generator', {'name': 'resnet'}, "config.model.generator.name='resnet'"),
    ('data.name', 'imagenet', "config.data.name='imagenet' is not a known dataset"),
    ('optim.g.name', 'lbfgs', "config.optim.g.name='lbfgs' is not a known optimizer"),
    ('optim.d.learning_rate', 0.0, 'config.optim.d.learning_rate=0.0 is not allowed'),
    ('optim.g.learning_rate', -1e-3, 'config.optim.g.learning_rate=-0.001'),
    ('train.steps', 0, 'config.train.steps=0 is not allowed'),
    ('train.batch_size', -8, 'config.train.batch_size=-8 is not allowed'),
    ('train.n_critic', 0, 'config.train.n_critic=0 is not allowed'),
    ('loss.gp_weight', -1.0, 'config.loss.gp_weight=-1.0 is not allowed'),
    ('loss.r1_weight', -0.5, 'config.loss.r1_weight=-0.5 is not allowed'),
    ('loss.top_k_fraction', 0.0, 'config.loss.top_k_fraction=0.0 is not'),
    ('loss.top_k_decay', 1.5, 'config.loss.top_k_decay=1.5 is not allowed'),
    ('parallel', 'tpu', "config.parallel='tpu' is not allowed"),
])
def test_bad_config_values_fail_before_compiling(tmp_path, field, value,
                                                  needle):
  config = config_lib.get_config('default')
  *parents, leaf = field.split('.')
  node = config
  for p in parents:
    node = node[p]
  node[leaf] = value
  with mock.patch.object(train.parallel, 'compile_step') as compile_step:
    with pytest.raises(errors.ConfigError) as info:
      train.train_and_evaluate(config, str(tmp_path))
  compile_step.assert_not_called()
  assert needle in str(info.value)
  assert '\n' not in str(info.value)


def test_image_size_the_model_cannot_take(tmp_path, mock_tfds):
  config = tiny(config_lib.get_config('mnist_dcgan'))
  config.data.image_size = 30
  with pytest.raises(errors.ConfigError, match=r'\(30, 30, 1\) cannot be taken'):
    train.train_and_evaluate(config, str(tmp_path))


def test_batch_not_divisible_by_devices():
  script = ('import ganjax\nfrom ganjax import loop as train\n'
            "c = ganjax.get_config('default', **{'train.batch_size': 9})\n"
            "train.train_and_evaluate(c, '/tmp/unused_ganjax_run')\n")
  env = dict(os.environ, XLA_FLAGS=xla_flags(2),
             PYTHONPATH=ROOT)
  run = subprocess.run([sys.executable, '-c', script], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
  assert run.returncode != 0
  assert ('config.train.batch_size=9 must be a positive multiple of the 2 '
          'devices') in run.stderr


def test_unwritable_workdir(tmp_path):
  blocker = tmp_path / 'file'
  blocker.write_text('not a directory')
  config = config_lib.get_config('default')
  with pytest.raises(errors.WorkdirError, match='is not writable'):
    train.train_and_evaluate(config, str(blocker / 'run'))


def test_full_workdir(tmp_path):
  def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
  with mock.patch('tempfile.mkstemp', full_disk):
    with pytest.raises(errors.WorkdirError, match='No space left on device'):
      train.workdir_lib.prepare(str(tmp_path))
  assert os.listdir(tmp_path) == []


def test_unknown_override_is_rejected(tmp_path):
  run = _launch(f'--workdir={tmp_path}', '--config.train.stepz=3')
  assert run.returncode != 0 and 'stepz' in run.stderr
  assert not os.path.exists(tmp_path / 'checkpoints')


def test_verbose_brings_the_traceback_back(tmp_path):
  run = _launch(f'--workdir={tmp_path}', '--config.loss.name=squared_hinge',
                '--verbose')
  assert run.returncode != 0 and 'Traceback' in run.stderr
