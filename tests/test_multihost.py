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


ON_DEVICE = r'''
import sys
import jax, numpy as np
import ganjax
from ganjax import train
data_dir, workdir, mode, out = sys.argv[1:5]
config = ganjax.get_config('default', **{
    'data.name': 'digits', 'data.data_dir': data_dir,
    'data.on_device': True, 'model.latent_dim': 16,
    'model.generator': {'name': 'mlp', 'hidden': (64,),
                        'output_activation': 'tanh'},
    'model.discriminator': {'name': 'mlp', 'hidden': (64,)},
    'train.steps': 4, 'train.batch_size': 32, 'train.n_critic': 2,
    'train.steps_per_dispatch': 2, 'train.log_every': 2,
    'parallel': mode, 'eval.evaluators': 'none'})
state = train.train_and_evaluate(config, workdir)
assert jax.local_device_count() == (2 if mode == 'pmap' else 1)
np.savez(out, *[np.asarray(x) for x in jax.tree.leaves(state)])
'''


def test_on_device_data_under_pmap_trains_like_one_device(tmp_path):
  """The dataset lives on the devices, each gathering its slice of the
  global batch: 2 devices under pmap train as 1 device under jit."""
  results = []
  for mode, devices in (('jit', 1), ('pmap', 2)):
    env = dict(os.environ, JAX_PLATFORMS='cpu', PYTHONPATH=ROOT,
               XLA_FLAGS=f'--xla_force_host_platform_device_count={devices}')
    out = tmp_path / f'{mode}.npz'
    run = subprocess.run(
        [sys.executable, '-c', ON_DEVICE, str(tmp_path / 'tfds'),
         str(tmp_path / mode), mode, str(out)], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    results.append(np.load(out))
  one, two = results
  assert len(one.files) == len(two.files) > 0
  for name in one.files:
    np.testing.assert_allclose(two[name], one[name], rtol=1e-4, atol=1e-6)
