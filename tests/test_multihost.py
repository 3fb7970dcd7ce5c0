"""Multi-device and multi-process training on CPU."""

import os
import socket
import subprocess
import sys

import jax
import numpy as np
import pytest

import ganjax
from conftest import ROOT

WORKER = r'''
import sys
import numpy as np
from ganjax import parallel
coordinator, pid, workdir, out = sys.argv[1:5]
parallel.initialize_distributed(coordinator, 2, int(pid))
import jax
import ganjax
from ganjax import train
config = ganjax.get_config('default', **{
    'train.steps': 6, 'train.batch_size': 32, 'train.log_every': 3,
    'train.checkpoint_every': 3, 'train.sample_every': 6,
    'parallel': 'pmap', 'eval.evaluators': 'none'})
state = train.train_and_evaluate(config, workdir)
leaves = [np.asarray(x) for x in jax.tree.leaves((state.g_params, state.d_params))]
np.savez(out, devices=jax.device_count(), local=jax.local_device_count(),
         processes=jax.process_count(), *leaves)
'''


def _free_port():
  with socket.socket() as s:
    s.bind(('localhost', 0))
    return s.getsockname()[1]


def test_two_processes_two_devices_each_train_as_one(tmp_path):
  workdir = str(tmp_path / 'run')
  coordinator = f'localhost:{_free_port()}'
  env = dict(os.environ, XLA_FLAGS='--xla_force_host_platform_device_count=2',
             JAX_PLATFORMS='cpu', PYTHONPATH=ROOT)
  procs = [subprocess.Popen(
      [sys.executable, '-c', WORKER, coordinator, str(i), workdir,
       str(tmp_path / f'p{i}.npz')], env=env, cwd=ROOT,
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
    assert (int(r['devices']), int(r['local']), int(r['processes'])) == (4, 2, 2)
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
