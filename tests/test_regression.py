"""Pinned behaviour, for refactors: every config's state after two steps,
and a workdir written by an earlier ganjax that must still load.

``tests/fixtures/regression.json`` holds, for every config in ``configs/``
(batch 8, two steps, offline or mock data; ``NARROW`` ones at a smaller
width), the SHA-256 of the whole state
(parameters, statistics, optimizer states, step, key) and each array's
float64 sum. On the machine kind that recorded it (same jax, jaxlib, core
count, CPU features and XLA_FLAGS) the digests must be equal: a refactor that moves code must
not change a bit. Elsewhere XLA may round differently, so the sums are
compared loosely instead (1e-3 relative, 1e-2 absolute).

Re-record only on purpose (a change of numbers that is meant, named in its
commit):

    GANJAX_RECORD_REGRESSION=1 python -m pytest tests/test_regression.py
"""

import glob
import hashlib
import json
import os
import platform
import shutil

import jax
import numpy as np
import pytest

import ganjax
from ganjax import checkpoint, config_lib, data, parallel, loop as train
from conftest import ROOT

FIXTURES = os.path.join(ROOT, 'tests', 'fixtures')
PINNED = os.path.join(FIXTURES, 'regression.json')
RECORD = os.environ.get('GANJAX_RECORD_REGRESSION') == '1'
CONFIGS = sorted(os.path.splitext(os.path.basename(p))[0]
                 for p in glob.glob(os.path.join(ROOT, 'configs', '*.py')))
TFDS_IMAGES = ('mnist', 'fashion_mnist', 'svhn_cropped', 'cifar10')
# Configs pinned with narrower networks: the same layers, losses and step,
# at a width whose two steps cost seconds (cifar10_sngan at full width
# took 50 CPU-s, a twentieth of the suite's budget; digits_infogan 30).
NARROW = {
    'digits_infogan': {
        'model.generator': {'name': 'infogan', 'hidden': 64,
                            'features': (16, 8)},
        'model.discriminator': {'name': 'infogan', 'features': (8, 16),
                                'hidden': 64, 'q_hidden': 16}},
    'cifar10_sngan': {
        'model.generator': {'name': 'resnet_sngan32', 'features': 32},
        'model.discriminator': {'name': 'resnet_sngan32',
                                'spectral_norm': True, 'features': 32}},
}


def machine() -> str:
  """What XLA's CPU code depends on: versions and the CPU's features."""
  flags = ''
  if os.path.exists('/proc/cpuinfo'):
    with open('/proc/cpuinfo') as f:
      for line in f:
        if line.startswith('flags'):
          flags = ' '.join(sorted(line.split(':', 1)[1].split()))
          break
  import jaxlib  # pylint: disable=g-import-not-at-top
  # Threads can change reductions; XLA_FLAGS (the suite's, conftest's
  # TEST_XLA_FLAGS) the machine code.
  text = (f'{jax.__version__} {jaxlib.__version__} {platform.machine()} '
          f'{os.cpu_count()} {flags} {os.environ.get("XLA_FLAGS", "")}')
  return hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.fixture(scope='module')
def digits_dir(tmp_path_factory):
  return str(tmp_path_factory.mktemp('tfds'))


def _two_steps(name: str, digits_dir: str, mock_tfds_factory) -> dict:
  config = config_lib.get_config(name, **NARROW.get(name, {}))
  config.train.batch_size = 8
  if config.data.name == 'digits':
    config.data.data_dir = digits_dir
  with mock_tfds_factory(config.data.name in TFDS_IMAGES):
    gan, state = train.build(config)
    step = parallel.compile_step(gan, 'jit')
    stream = data.make_stream(config)
    for _ in range(2):
      state, _ = step(state, next(stream))
  state = jax.device_get(state)
  return {'sha256': checkpoint.digest(state),
          'sums': [float(np.sum(np.asarray(x, np.float64)))
                   for x in jax.tree.leaves(state)]}


@pytest.fixture
def mock_tfds_factory():
  import contextlib  # pylint: disable=g-import-not-at-top
  from unittest import mock  # pylint: disable=g-import-not-at-top
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  from ganjax.data import images  # pylint: disable=g-import-not-at-top

  @contextlib.contextmanager
  def factory(needed: bool):
    if not needed:
      yield
      return
    with tfds.testing.mock_data(num_examples=64), \
        mock.patch.object(images, '_network_reaches', return_value=True):
      yield
  return factory


def _load_pinned() -> dict:
  if not os.path.exists(PINNED):
    return {}
  with open(PINNED) as f:
    return json.load(f)


@pytest.mark.parametrize('name', CONFIGS)
def test_two_steps_of_every_config_are_pinned(name, digits_dir,
                                              mock_tfds_factory):
  got = _two_steps(name, digits_dir, mock_tfds_factory)
  if RECORD:
    pinned = _load_pinned()
    pinned['machine'] = machine()
    pinned.setdefault('configs', {})[name] = got
    with open(PINNED, 'w') as f:
      json.dump(pinned, f, indent=1, sort_keys=True)
    return
  pinned = _load_pinned()
  assert name in pinned.get('configs', {}), (
      f'configs/{name}.py is not pinned: record it (see the module '
      'docstring).')
  want = pinned['configs'][name]
  if pinned['machine'] == machine():
    assert got['sha256'] == want['sha256'], (
        f'{name}: two steps no longer give the pinned state bit for bit')
  else:
    # Adam turns rounding noise in a near-zero gradient into a full step
    # for a few elements, so only a change of many elements shows here.
    np.testing.assert_allclose(got['sums'], want['sums'], rtol=1e-3,
                               atol=1e-2)


# --- a workdir written before the redesign ---------------------------------

OLD_WORKDIR = os.path.join(FIXTURES, 'workdir_default_v1')


def make_old_workdir(path: str = OLD_WORKDIR) -> None:
  """How the fixture was made (ganjax at the commit that added it)."""
  config = config_lib.get_config('default', **{
      'model.generator': {'name': 'mlp', 'hidden': (8,)},
      'model.discriminator': {'name': 'mlp', 'hidden': (8,)},
      'model.latent_dim': 2, 'train.steps': 4, 'train.batch_size': 16,
      'train.checkpoint_every': 2, 'train.log_every': 2,
      'train.sample_every': 4, 'train.num_samples': 16,
      'train.max_checkpoints': 2, 'eval.evaluators': 'mixture',
      'eval.every': 4, 'eval.num_samples': 100})
  train.train_and_evaluate(config, path)
  for junk in glob.glob(os.path.join(path, 'events.out.tfevents.*')) + \
      glob.glob(os.path.join(path, '.ganjax_train_*.lock')):
    os.remove(junk)


@pytest.fixture
def old_workdir(tmp_path):
  if RECORD and not os.path.exists(OLD_WORKDIR):
    make_old_workdir()
  path = str(tmp_path / 'old')
  shutil.copytree(OLD_WORKDIR, path)
  return path


def test_an_old_workdir_loads_samples_evaluates_and_resumes(old_workdir):
  loaded = ganjax.load(old_workdir)  # Its digest is checked on restore.
  assert loaded.step == 4
  images = ganjax.sample(loaded, num=10)
  assert images.shape == (10, 2) and np.all(np.isfinite(images))
  metrics = ganjax.evaluate(old_workdir)
  assert metrics['step'] == 4 and 0 <= metrics['modes_covered'] <= 8
  config = ganjax.evaluation.load_config(old_workdir)
  config.train.steps = 6
  state = train.train_and_evaluate(config, old_workdir)
  assert int(state.step) == 6
  assert ganjax.load(old_workdir).step == 6
