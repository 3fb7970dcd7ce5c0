"""Shared test fixtures."""

import os
import shutil
import sys
import tempfile
from unittest import mock

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
  sys.path.insert(0, ROOT)

# One persistent XLA compilation cache for the whole test run: the xdist
# workers and every subprocess a test starts (launch.py, multi-process and
# forced-device-count runs) inherit it through the environment, so a
# program compiled once (the default config's step, built afresh by most
# loop tests) is read back instead of compiled again. The cache stores the
# compiled executable, keyed by the program, the XLA flags and the devices:
# a hit runs the same machine code, so no number changes (the bitwise pins
# of tests/test_regression.py check it). The folder is fresh per run and
# removed at its end; a JAX_COMPILATION_CACHE_DIR set by the user is used
# as it is and kept.
_CACHE_ENV = {
    # Cache every program, however quick to compile (default: >= 1 s).
    'JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS': '0',
    'JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES': '0',
}
_CACHE_TYPES = {'JAX_COMPILATION_CACHE_DIR': str,
                'JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS': float,
                'JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES': int,
                'JAX_COMPILATION_CACHE_MAX_SIZE': int}
try:
  import filelock  # pylint: disable=g-import-not-at-top,unused-import
  # A size limit makes JAX lock the folder around each read and write, so
  # no process reads an entry another is still writing (without the lock
  # such a read fails to decompress and JAX compiles instead).
  _CACHE_ENV['JAX_COMPILATION_CACHE_MAX_SIZE'] = str(8 << 30)
except ImportError:
  pass


# XLA's LLVM backend optimisation is off for the whole run (the xdist
# workers and every subprocess inherit XLA_FLAGS): it changes how fast the
# compiled machine code runs, not what the programs compute, and compiling
# is most of the suite's CPU time (the DCGAN and ResNet tests of
# test_perf_layers and test_resnet: 221 CPU-s optimised, 87 without).
# Last bits can differ from an optimised build, so the bitwise pins of
# tests/test_regression.py are recorded under these flags (its machine key
# includes them). A user's XLA_FLAGS that set the level win.
TEST_XLA_FLAGS = '--xla_backend_optimization_level=0'


def optimise(monkeypatch, module, name: str, **jit_kwargs) -> None:
  """Compiles the jitted ``module.name`` with XLA's optimisation on again
  for one test (``jit_kwargs``: its ``static_argnums``): for tests whose
  time goes into running one small program many times (e.g. training the
  evaluation classifier for 200 steps: 27 CPU-s unoptimised, 3.5
  optimised), not into compiling many programs. Same computation; its
  last bits may differ from the unoptimised build."""
  import jax  # pylint: disable=g-import-not-at-top
  fn = getattr(module, name)
  monkeypatch.setattr(module, name, jax.jit(
      fn.__wrapped__, compiler_options={'xla_backend_optimization_level': 3},
      **jit_kwargs))


def xla_flags(devices: int | None = None) -> str:
  """XLA_FLAGS for a subprocess: the run's flags, and ``devices`` host
  devices when given."""
  flags = os.environ.get('XLA_FLAGS', '')
  if devices:
    flags += f' --xla_force_host_platform_device_count={devices}'
  return flags.strip()


# Modules whose tests are long (processes of their own, a notebook, long
# training) run first, so under ``-n 2`` the workers' last minutes are
# spent on short tests, not one of them waiting for the other's long one.
SLOW_FIRST = ('test_notebook', 'test_multihost', 'test_reliability',
              'test_families', 'test_regression')


def pytest_collection_modifyitems(config, items):
  del config
  rank = lambda item: next((i for i, name in enumerate(SLOW_FIRST)
                            if item.module.__name__.endswith(name)),
                           len(SLOW_FIRST))
  items.sort(key=rank)  # stable: the order within a module is kept


def pytest_configure(config):
  if hasattr(config, 'workerinput'):  # An xdist worker: inherits the env.
    return
  # Under ``-n N``, idle workers take tests queued for a busy one (xdist's
  # default 'load' hands out fixed shares up front).
  if getattr(config.option, 'dist', 'no') == 'load':
    config.option.dist = 'worksteal'
  config._ganjax_env = {k: os.environ.get(k) for k in
                        ['JAX_COMPILATION_CACHE_DIR', 'XLA_FLAGS',
                         *_CACHE_ENV]}
  if 'xla_backend_optimization_level' not in os.environ.get('XLA_FLAGS', ''):
    os.environ['XLA_FLAGS'] = f'{xla_flags()} {TEST_XLA_FLAGS}'.strip()
  if not os.environ.get('JAX_COMPILATION_CACHE_DIR'):
    config._ganjax_jax_cache = tempfile.mkdtemp(prefix='ganjax-jax-cache-')
    os.environ['JAX_COMPILATION_CACHE_DIR'] = config._ganjax_jax_cache
  for key, value in _CACHE_ENV.items():
    os.environ.setdefault(key, value)
  if 'jax' in sys.modules:  # Imported already: the env is read on import.
    import jax  # pylint: disable=g-import-not-at-top
    for key in ['JAX_COMPILATION_CACHE_DIR', *_CACHE_ENV]:
      jax.config.update(key.lower(), _CACHE_TYPES[key](os.environ[key]))


def pytest_unconfigure(config):
  for key, value in getattr(config, '_ganjax_env', {}).items():
    if value is None:
      os.environ.pop(key, None)
    else:
      os.environ[key] = value
  path = getattr(config, '_ganjax_jax_cache', None)
  if path:
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def optimised_classifier(monkeypatch):
  """The evaluation classifier's training step and forward pass (also the
  self-supervised one's) compiled with XLA's optimisation on: they run
  hundreds of times, so running, not compiling, is these tests' cost."""
  from ganjax.evaluation import classifier  # pylint: disable=g-import-not-at-top
  optimise(monkeypatch, classifier, '_train_step', static_argnums=(0, 1))
  optimise(monkeypatch, classifier, '_apply', static_argnums=0)


@pytest.fixture
def mock_tfds():
  """TFDS datasets as random data (``tfds.testing.mock_data``), with the
  network probe answering yes so the (mocked) download path is taken."""
  import tensorflow_datasets as tfds
  from ganjax.data import images
  with tfds.testing.mock_data(num_examples=64), \
      mock.patch.object(images, '_network_reaches', return_value=True):
    yield


def tiny(config, steps=2, batch=8):
  """A config shrunk to a few small steps, logging every step."""
  config.train.steps = steps
  config.train.batch_size = batch
  config.train.log_every = 1
  config.train.checkpoint_every = steps
  config.train.sample_every = steps
  config.train.num_samples = min(config.train.num_samples, 16)
  # Evaluators have tests of their own; a smoke run need not train the
  # image evaluators' classifier.
  config.eval.evaluators = 'none'
  return config


def leaves_equal(a, b):
  """Two pytrees with bitwise-equal leaves."""
  import jax  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
  assert len(la) == len(lb)
  for x, y in zip(la, lb):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def resume_matches_straight(config, path, checkpoint_at: int):
  """Trains ``config`` straight through in ``path/a`` and, in ``path/b``,
  to ``checkpoint_at``, then again to the end (a resume); asserts the two
  final states bitwise equal and returns the resumed one."""
  from ganjax import loop  # pylint: disable=g-import-not-at-top
  steps = config.train.steps
  config.train.checkpoint_every = checkpoint_at
  straight = loop.train_and_evaluate(config, str(path / 'a'))
  config.train.steps = checkpoint_at
  loop.train_and_evaluate(config, str(path / 'b'))
  config.train.steps = steps
  resumed = loop.train_and_evaluate(config, str(path / 'b'))
  leaves_equal(straight, resumed)
  return resumed


PMAP_SCRIPT = """
import json, sys
sys.path.insert(0, {root!r})
import jax, numpy as np
from ganjax import data, parallel, loop as train
{imports}
out = {{}}
for mode in ('jit', 'pmap'):
  config = {config}
  config.data.on_device = False
  spec, state = train.build(config, mode)
  step = parallel.compile_step(spec, mode)
  state = parallel.place_state(state, mode)
  stream = data.make_stream(config)
  for _ in range(2):
    state, m = step(state, parallel.shard(next(stream), mode))
  host = parallel.host_state(state, mode)
  out[mode] = [np.asarray(x).tolist() for x in jax.tree.leaves({leaves})]
json.dump(out, open({out!r}, 'w'))
"""


def pmap_on_two_devices_equals_jit(tmp_path, imports: str, config: str,
                                   leaves: str) -> None:
  """Two steps of the config the expression ``config`` builds (after
  ``imports``), under jit on one device and pmap on two (a subprocess):
  the parameters ``leaves`` (an expression of ``host``) agree to float32
  rounding."""
  import json  # pylint: disable=g-import-not-at-top
  import subprocess  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  out = tmp_path / 'out.json'
  script = PMAP_SCRIPT.format(root=ROOT, imports=imports, config=config,
                              leaves=leaves, out=str(out))
  env = dict(os.environ, XLA_FLAGS=xla_flags(2))
  r = subprocess.run([sys.executable, '-c', script],
                     cwd=os.path.join(ROOT, 'tests'), env=env,
                     capture_output=True, text=True, timeout=300)
  assert r.returncode == 0, r.stderr[-2000:]
  got = json.loads(out.read_text())
  for a, b in zip(got['jit'], got['pmap']):
    np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=2e-5,
                               atol=2e-6)
