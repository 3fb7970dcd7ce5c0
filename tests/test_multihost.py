"""Multi-device and multi-process training on CPU."""

import os
import signal
import socket
import subprocess
import sys
import time
from unittest import mock

import jax
import numpy as np
import pytest

import ganjax
from ganjax import errors, parallel
from conftest import ROOT, xla_flags

WORKER = r'''
import sys
import numpy as np
from ganjax import parallel
coordinator, pid, workdir, out, mode = sys.argv[1:6]
parallel.initialize_distributed(coordinator, 2, int(pid))
import jax
import ganjax
from ganjax import loop as train
config = ganjax.get_config('default', **{
    'train.steps': 6, 'train.batch_size': 32, 'train.log_every': 3,
    'train.checkpoint_every': 3, 'train.sample_every': 6,
    'parallel': mode, 'eval.evaluators': 'none'})
state = train.train_and_evaluate(config, workdir)
leaves = [np.asarray(x) for x in jax.tree.leaves((state.g_params, state.d_params))]
np.savez(out, devices=jax.device_count(), local=jax.local_device_count(),
         processes=jax.process_count(), *leaves)
'''


def _free_port():
  with socket.socket() as s:
    s.bind(('localhost', 0))
    return s.getsockname()[1]


@pytest.mark.parametrize('devices,mode', [(1, 'auto'), (2, 'pmap')])
def test_two_processes_train_as_one(tmp_path, devices, mode):
  """2 processes of 1 device each (one GPU per task, as srun starts them;
  'auto' must not mean jit there) or of 2 devices each."""
  workdir = str(tmp_path / 'run')
  coordinator = f'localhost:{_free_port()}'
  env = dict(os.environ, JAX_PLATFORMS='cpu', PYTHONPATH=ROOT,
             XLA_FLAGS=xla_flags(devices))
  procs = [subprocess.Popen(
      [sys.executable, '-c', WORKER, coordinator, str(i), workdir,
       str(tmp_path / f'p{i}.npz'), mode], env=env, cwd=ROOT,
      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
           for i in range(2)]
  try:
    outputs = [p.communicate(timeout=300)[0] for p in procs]
  finally:
    for p in procs:
      if p.poll() is None:
        p.kill()
  for p, out in zip(procs, outputs):
    assert p.returncode == 0, out[-3000:]
  results = [np.load(tmp_path / f'p{i}.npz') for i in range(2)]
  for r in results:
    assert (int(r['devices']), int(r['local']), int(r['processes'])) == (
        2 * devices, devices, 2)
  names = [k for k in results[0].files if k.startswith('arr_')]
  assert names
  for name in names:  # Both processes hold the same parameters.
    np.testing.assert_array_equal(results[0][name], results[1][name])
  # Only process 0 wrote pictures and metrics; the checkpoint restores on
  # one process with one device.
  assert sorted(os.listdir(os.path.join(workdir, 'samples'))) == [
      'step_0000006.png']
  loaded = ganjax.load(workdir)
  assert loaded.step == 6
  restored = jax.tree.leaves((loaded.state.g_params, loaded.state.d_params))
  for name, leaf in zip(sorted(names, key=lambda n: int(n[4:])), restored):
    np.testing.assert_array_equal(results[0][name], np.asarray(leaf))


def test_resolve_mode_with_several_processes_is_pmap_never_jit():
  with mock.patch.object(jax, 'process_count', return_value=2), \
      mock.patch.object(jax, 'local_device_count', return_value=1):
    assert parallel.resolve_mode('auto') == 'pmap'
    assert parallel.resolve_mode('pmap') == 'pmap'
    with pytest.raises(errors.ConfigError) as info:
      parallel.resolve_mode('jit')
  message = str(info.value)
  assert "config.parallel='jit'" in message and "'auto' or 'pmap'" in message
  assert '\n' not in message
  with mock.patch.object(jax, 'process_count', return_value=1), \
      mock.patch.object(jax, 'local_device_count', return_value=1):
    assert parallel.resolve_mode('auto') == 'jit'
    assert parallel.resolve_mode('jit') == 'jit'


def _checkpoint_steps(workdir):
  d = os.path.join(workdir, 'checkpoints')
  return sorted(int(n) for n in os.listdir(d) if n.isdigit())


def test_sigterm_on_hosts_at_different_times_stops_all_at_one_step(tmp_path):
  """A preemption reaches the hosts 0.5 s apart: every process stops at the
  same step, saves it once together and exits 143 (before: the first one
  to stop waited in the save's barrier, the other in the next collective,
  for ever)."""
  workdir = str(tmp_path / 'run')
  coordinator = f'localhost:{_free_port()}'
  env = dict(os.environ, JAX_PLATFORMS='cpu', PYTHONPATH=ROOT,
             XLA_FLAGS=xla_flags(1))
  logs = [tmp_path / f'p{i}.log' for i in range(2)]
  procs = []
  try:
    for i in range(2):
      with open(logs[i], 'w') as log:
        procs.append(subprocess.Popen(
            [sys.executable, 'launch.py', '--config=configs/default.py',
             '--config.train.steps=1000000',
             '--config.train.checkpoint_every=1000000',
             '--config.train.log_every=50', '--config.eval.evaluators=none',
             '--config.train.steps_per_dispatch=5',
             f'--workdir={workdir}', f'--coordinator_address={coordinator}',
             '--num_processes=2', f'--process_id={i}'],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log))
    deadline = time.time() + 240
    # Both have logged step 100 (and so compiled and trained together).
    while not all('] [100] ' in log.read_text() for log in logs):
      assert time.time() < deadline, 'the processes did not start training'
      assert all(p.poll() is None for p in procs), logs[0].read_text()[-3000:]
      time.sleep(0.1)
    time.sleep(1.0)
    procs[1].send_signal(signal.SIGTERM)
    time.sleep(0.5)
    procs[0].send_signal(signal.SIGTERM)
    deadline = time.time() + 120
    for p in procs:
      try:
        p.wait(timeout=max(1.0, deadline - time.time()))
      except subprocess.TimeoutExpired:
        pytest.fail('a process hung after SIGTERM: ' +
                    logs[procs.index(p)].read_text()[-3000:])
  finally:
    for p in procs:
      if p.poll() is None:
        p.kill()
        p.wait()
  errs = [log.read_text() for log in logs]
  for p, err in zip(procs, errs):
    assert p.returncode == 128 + signal.SIGTERM, err[-3000:]
    assert 'Traceback' not in err, err[-3000:]
  steps = _checkpoint_steps(workdir)
  assert len(steps) == 1 and steps[0] > 0, steps
  for err in errs:
    assert f'saved a checkpoint of step {steps[0]} ' in err, err[-3000:]


ON_DEVICE = r'''
import sys
import jax, numpy as np
import ganjax
from ganjax import loop as train
data_dir, workdir, out = sys.argv[1:4]
assert jax.local_device_count() == 2
leaves = {}
for mode in ('jit', 'pmap'):  # jit trains on the first of the 2 devices
  config = ganjax.get_config('default', **{
      'data.name': 'digits', 'data.data_dir': data_dir,
      'data.on_device': True, 'model.latent_dim': 16,
      'model.generator': {'name': 'mlp', 'hidden': (64,),
                          'output_activation': 'tanh'},
      'model.discriminator': {'name': 'mlp', 'hidden': (64,)},
      'train.steps': 4, 'train.batch_size': 32, 'train.n_critic': 2,
      'train.steps_per_dispatch': 2, 'train.log_every': 2,
      'parallel': mode, 'eval.evaluators': 'none'})
  state = train.train_and_evaluate(config, workdir + mode)
  for i, x in enumerate(jax.tree.leaves(state)):
    leaves[f'{mode}_{i}'] = np.asarray(x)
np.savez(out, **leaves)
'''


def test_on_device_data_under_pmap_trains_like_one_device(tmp_path):
  """The dataset lives on the devices, each gathering its slice of the
  global batch: 2 devices under pmap train as 1 device under jit (one
  process with 2 devices runs both)."""
  env = dict(os.environ, JAX_PLATFORMS='cpu', PYTHONPATH=ROOT,
             XLA_FLAGS=xla_flags(2))
  out = tmp_path / 'leaves.npz'
  run = subprocess.run(
      [sys.executable, '-c', ON_DEVICE, str(tmp_path / 'tfds'),
       str(tmp_path / 'run_'), str(out)], env=env, cwd=ROOT,
      capture_output=True, text=True, timeout=300)
  assert run.returncode == 0, run.stderr[-3000:]
  leaves = np.load(out)
  results = [{k.split('_', 1)[1]: leaves[k] for k in leaves.files
              if k.startswith(mode)} for mode in ('jit', 'pmap')]
  one, two = results
  assert len(one) == len(two) > 0
  for name in one:
    np.testing.assert_allclose(two[name], one[name], rtol=1e-4, atol=1e-6)
