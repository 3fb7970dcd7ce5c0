"""A workdir that nothing overwrites, and faults that explain themselves in
one line (issue 15, items 3-10; the multi-process items are in
test_multihost.py)."""

import errno
import glob
import json
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
from ganjax import checkpoint, config_lib, errors, loop as train, visualize
from ganjax import workdir as workdir_lib
from conftest import ROOT, tiny


def _config(steps=4, every=2, **overrides):
  config = tiny(config_lib.get_config('default', **overrides), steps=steps,
                batch=32)
  config.train.checkpoint_every = every
  config.train.max_checkpoints = 10
  return config


def _steps(workdir):
  d = os.path.join(workdir, 'checkpoints')
  return sorted(int(n) for n in os.listdir(d) if n.isdigit())


def _leaves_equal(a, b):
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def _listing(root):
  return sorted(os.path.relpath(os.path.join(d, n), root)
                for d, dirs, files in os.walk(root) for n in dirs + files)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  """A workdir with checkpoints at steps 2 and 4 (copied per test)."""
  workdir = str(tmp_path_factory.mktemp('trained'))
  state = train.train_and_evaluate(_config(), workdir)
  return workdir, state


@pytest.fixture
def workdir(trained, tmp_path):
  import shutil
  path = str(tmp_path / 'run')
  shutil.copytree(trained[0], path)
  return path


# --- 3. one training run per workdir -----------------------------------------

HOLD_LOCK = r'''
import os, sys, time, types
# ganjax.workdir without the package's __init__ (its API imports the
# training loop and with it TensorFlow: seconds of CPU, unused here).
package = types.ModuleType('ganjax')
package.__path__ = [os.path.join(os.getcwd(), 'ganjax')]
sys.modules['ganjax'] = package
from ganjax import workdir
with workdir.TrainingLock(sys.argv[1]):
  print('locked', flush=True)
  time.sleep(600)
'''


def test_a_second_training_run_is_refused_and_a_crashed_lock_is_stale(
    tmp_path):
  workdir = str(tmp_path)
  holder = subprocess.Popen([sys.executable, '-c', HOLD_LOCK, workdir],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=ROOT))
  try:
    assert holder.stdout.readline().strip() == 'locked'
    with pytest.raises(errors.WorkdirError) as info:
      train.train_and_evaluate(_config(), workdir)
    message = str(info.value)
    assert 'in use by another training run' in message
    assert f'pid {holder.pid}' in message and '\n' not in message
    assert not os.path.exists(tmp_path / 'config.json')
    assert _steps(workdir) == []
    # Sampling and evaluation need no lock (nothing to read yet here).
    holder.send_signal(signal.SIGKILL)  # A crash: the lock goes with it.
    holder.wait(timeout=30)
  finally:
    if holder.poll() is None:
      holder.kill()
  train.train_and_evaluate(_config(), workdir)
  assert _steps(workdir) == [2, 4]
  # Released on a normal exit too: the same process trains on.
  config = _config(steps=6)
  train.train_and_evaluate(config, workdir)
  assert _steps(workdir) == [2, 4, 6]


# --- 4. a resume is the same run ---------------------------------------------

@pytest.mark.parametrize('field,value', [
    ('data.name', 'grid25'), ('loss.name', 'wgan_gp'), ('seed', 1),
    ('optim.d.learning_rate', 3e-4), ('train.n_critic', 2),
    ('model.latent_dist', 'uniform')])
def test_resume_refuses_fields_that_change_what_is_learned(workdir, field,
                                                          value):
  before = _listing(workdir)
  config = _config(steps=6, **{field: value})
  with pytest.raises(errors.ConfigError) as info:
    train.train_and_evaluate(config, workdir)
  message = str(info.value)
  assert f'{field}: ' in message and 'another --workdir' in message
  assert '\n' not in message
  assert _listing(workdir) == before  # Nothing written.


def test_resume_may_extend_and_observe_and_keeps_every_config(tmp_path):
  train.train_and_evaluate(_config(), str(tmp_path))
  config = _config(steps=6, every=3)
  config.train.log_every = 3
  config.eval.evaluators = 'equilibrium'
  config.eval.every = 3
  train.train_and_evaluate(config, str(tmp_path))
  assert _steps(str(tmp_path)) == [2, 4, 6]
  with open(tmp_path / 'config.json') as f:
    assert json.load(f)['train']['steps'] == 6
  with open(tmp_path / workdir_lib.HISTORY) as f:
    history = json.load(f)
  assert [h['start_step'] for h in history] == [0, 4]
  assert [h['config']['train']['steps'] for h in history] == [4, 6]


# --- 5. save first; usable directories at start --------------------------------

def test_a_failing_picture_loses_no_step(tmp_path):
  def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), 'samples/x.png')
  config = _config(steps=4, every=4)
  config.train.sample_every = 4
  with mock.patch.object(train.sampling, 'save_picture', disk_full):
    with pytest.raises(errors.WorkdirError) as info:
      train.train_and_evaluate(config, str(tmp_path))
  message = str(info.value)
  assert 'failed at step 4 (No space left on device' in message
  assert 'the last checkpoint is step 4' in message and '\n' not in message
  assert _steps(str(tmp_path)) == [4]


def test_mid_run_disk_full_says_what_is_kept(tmp_path):
  real = train._append_jsonl

  def append(path, record):
    if record['step'] == 3:
      raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
    real(path, record)
  with mock.patch.object(train, '_append_jsonl', append):
    with pytest.raises(errors.WorkdirError) as info:
      train.train_and_evaluate(_config(), str(tmp_path))
  assert 'failed at step 3' in str(info.value)
  assert 'the last checkpoint is step 2' in str(info.value)


@pytest.mark.parametrize('sub', ['samples', 'checkpoints'])
def test_a_file_where_a_directory_belongs_fails_at_start(tmp_path, sub):
  (tmp_path / sub).write_text('in the way')
  with pytest.raises(errors.WorkdirError, match=f'{sub} is not a directory'):
    train.train_and_evaluate(_config(), str(tmp_path))
  assert not os.path.exists(tmp_path / 'config.json')


def test_disk_full_at_start(tmp_path):
  def write(fd, data):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
  with mock.patch.object(workdir_lib.os, 'write', write):
    with pytest.raises(errors.WorkdirError,
                       match=r'is not writable \(No space left on device\)'):
      train.train_and_evaluate(_config(), str(tmp_path / 'run'))
  assert not glob.glob(str(tmp_path / 'run' / '.ganjax_write_test*'))


# --- 6. no non-finite state is saved -----------------------------------------

def test_an_update_that_overflows_is_never_saved(tmp_path):
  # The losses of a step are computed before its updates, so they can be
  # finite while the update is not: here the step's G update is made NaN.
  config = _config(steps=1, every=1)
  compile_multi_step = train.parallel.compile_multi_step

  def poisoned(gan, mode):
    step = compile_multi_step(gan, mode)

    def run(state, batches):
      state, metrics = step(state, batches)
      return state.replace(g_params=jax.tree.map(
          lambda x: x * np.nan, state.g_params)), metrics
    return run
  with mock.patch.object(train.parallel, 'compile_multi_step', poisoned), \
      pytest.raises(train.NonFiniteError,
                     match='non-finite parameters or statistics by step 1'):
    train.train_and_evaluate(config, str(tmp_path))
  assert _steps(str(tmp_path)) == []


@pytest.mark.parametrize('field,value,needle', [
    ('optim.g.learning_rate', float('inf'), 'optim.g.learning_rate=inf'),
    ('loss.gp_weight', float('nan'), 'loss.gp_weight=nan'),
    ('loss.r1_weight', 1e39, 'within float32'),
    ('seed', -1, 'config.seed=-1 is not allowed'),
    ('eval.seed', 2**40, 'config.eval.seed='),
    ('train.steps', True, 'config.train.steps=True is not allowed'),
    ('train.num_samples', 10**9, 'a picture holds at most 10,000'),
])
def test_bad_numbers_fail_in_one_line(tmp_path, field, value, needle):
  config = _config()
  *parents, leaf = field.split('.')
  node = config
  for p in parents:
    node = node[p]
  node[leaf] = value
  with pytest.raises(errors.ConfigError) as info:
    train.train_and_evaluate(config, str(tmp_path))
  assert needle in str(info.value) and '\n' not in str(info.value)


def test_the_api_refuses_a_boolean_step_count():
  with pytest.raises(errors.ConfigError, match='train.steps=True'):
    config_lib.validate(config_lib.get_config('default',
                                              **{'train.steps': True}))


# --- 7. one line instead of a traceback ----------------------------------------

@pytest.mark.parametrize('content', ['{"data": {', '[1, 2, 3]',
                                     '{"name": "not ganjax"}'])
def test_corrupt_or_foreign_config_json(workdir, content):
  with open(os.path.join(workdir, 'config.json'), 'w') as f:
    f.write(content)
  for call in (lambda: ganjax.load(workdir),
               lambda: train.train_and_evaluate(_config(steps=6), workdir)):
    with pytest.raises(errors.WorkdirError) as info:
      call()
    assert 'is not a readable ganjax config' in str(info.value)
    assert '\n' not in str(info.value)
  assert _steps(workdir) == [2, 4]


def test_unwritable_picture_in_sample_mode(workdir):
  def read_only(*args, **kwargs):
    raise OSError(errno.EROFS, os.strerror(errno.EROFS), 'samples/x.png')
  with mock.patch.object(train.visualize, 'scatter_2d', read_only):
    with pytest.raises(errors.WorkdirError,
                       match=r'Read-only file system.*--output=PATH'):
      ganjax.evaluation.sample_from_workdir(workdir)


def test_malformed_metrics_line_neither_fails_nor_masks(workdir):
  with open(os.path.join(workdir, train.TRAIN_METRICS), 'a') as f:
    f.write('{"step": 5, "d_loss": \n')
  assert train.plot_loss_curves(workdir) is not None
  train.train_and_evaluate(_config(steps=6), workdir)
  assert _steps(workdir)[-1] == 6


# --- 8. a digest of every checkpoint -----------------------------------------

def _flip_a_byte(step_dir, where=0.7):
  data = max(glob.glob(os.path.join(step_dir, '**', 'd', '*'),
                       recursive=True), key=os.path.getsize)
  with open(data, 'r+b') as f:
    f.seek(int(os.path.getsize(data) * where))
    byte = f.read(1)
    f.seek(-1, os.SEEK_CUR)
    f.write(bytes([byte[0] ^ 0xFF]))


def test_flipped_bytes_are_found_and_the_previous_checkpoint_used(
    workdir, trained, tmp_path):
  import shutil  # pylint: disable=g-import-not-at-top
  reference = train.train_and_evaluate(_config(steps=2),
                                       os.path.join(workdir, 'ref'))
  # Where a flipped byte lands depends on the files' layout, which the
  # writer's timing can change: in a header the reader itself refuses the
  # checkpoint; in array data only the digest can tell. Every position must
  # fall back to step 2, and some must be caught by the digest.
  by_digest = 0
  for i, where in enumerate((0.7, 0.5, 0.3, 0.9)):
    path = str(tmp_path / f'flipped{i}')
    shutil.copytree(trained[0], path)
    _flip_a_byte(os.path.join(path, 'checkpoints', '4'), where)
    with mock.patch.object(checkpoint.logging, 'warning') as warn:
      loaded = ganjax.load(path)
    assert loaded.step == 2, where
    _leaves_equal(loaded.state, reference)
    by_digest += any('do not match the digest' in str(c.args[1:])
                     for c in warn.call_args_list)
  assert by_digest > 0


# --- 9. reading changes nothing ------------------------------------------------

def test_reads_never_move_or_create(workdir, tmp_path):
  _flip_a_byte(os.path.join(workdir, 'checkpoints', '4'))
  before = _listing(workdir)
  assert ganjax.load(workdir).step == 2
  ganjax.evaluation.evaluate_workdir(workdir)
  assert _listing(workdir) == before
  # A folder with a config but no checkpoints: nothing is created.
  bare = tmp_path / 'bare'
  bare.mkdir()
  with open(os.path.join(workdir, 'config.json')) as f:
    (bare / 'config.json').write_text(f.read())
  with pytest.raises(errors.CheckpointError, match='no checkpoint yet'):
    ganjax.load(str(bare))
  assert os.listdir(bare) == ['config.json']


def test_transient_read_errors_move_nothing(workdir):
  before = _listing(workdir)

  def eio(*args, **kwargs):
    raise OSError(errno.EIO, os.strerror(errno.EIO))
  for call in (lambda: ganjax.load(workdir),
               lambda: train.train_and_evaluate(_config(steps=6), workdir)):
    with mock.patch('orbax.checkpoint.CheckpointManager.restore', eio):
      with pytest.raises(errors.CheckpointError) as info:
        call()
    assert 'may pass' in str(info.value) and 'Input/output error' in str(
        info.value)
  after = _listing(workdir)
  assert not any('checkpoints_unreadable' in p for p in after)
  assert [p for p in after if p.startswith('checkpoints')] == [
      p for p in before if p.startswith('checkpoints')]


# --- 10. smaller ---------------------------------------------------------------

def test_config_overrides_are_refused_in_sample_mode(workdir):
  run = subprocess.run(
      [sys.executable, 'launch.py', '--mode=sample', f'--workdir={workdir}',
       '--config.train.num_samples=9'], cwd=ROOT, capture_output=True,
      text=True, timeout=120)
  assert run.returncode == 1
  assert run.stderr.strip().splitlines()[-1].startswith(
      'error: --config.train.num_samples: --mode=sample uses the config')


def test_tilde_workdir_is_the_home_folder(tmp_path, monkeypatch):
  monkeypatch.setenv('HOME', str(tmp_path))
  monkeypatch.chdir(tmp_path)
  train.train_and_evaluate(_config(steps=2), '~/run')
  assert _steps(str(tmp_path / 'run')) == [2]
  assert not os.path.exists(tmp_path / '~')
  assert ganjax.load('~/run').step == 2


def test_sample_num_must_be_positive(trained):
  result = ganjax.load(trained[0])
  for num in (-1, 0, 2.5, True):
    with pytest.raises(errors.ConfigError, match='use a positive integer'):
      ganjax.sample(result, num=num)


def test_image_folder_without_test_split_fails_before_training(tmp_path):
  from PIL import Image
  rng = np.random.default_rng(0)
  for cls in ('a', 'b'):
    for i in range(4):
      path = tmp_path / 'images' / 'train' / cls / f'{i}.png'
      path.parent.mkdir(parents=True, exist_ok=True)
      Image.fromarray(rng.integers(0, 256, (8, 8), np.uint8)).save(path)
  config = config_lib.get_config('default', **{
      'data.name': 'image_folder', 'data.path': str(tmp_path / 'images'),
      'data.image_size': 8, 'data.channels': 1,
      'model.generator': {'name': 'mlp', 'output_activation': 'tanh'},
      'train.steps': 2, 'train.batch_size': 4})
  with mock.patch.object(train.parallel, 'compile_multi_step') as compiled:
    with pytest.raises(errors.ConfigError) as info:
      train.train_and_evaluate(config, str(tmp_path / 'run'))
  compiled.assert_not_called()
  assert "config.eval.test_split='test' is not a split" in str(info.value)
  assert "['train']" in str(info.value)


def test_an_old_config_json_is_read_as_it_was_meant(workdir):
  """Version 1 files (no 'version') stored loss.gp_weight=10 for every
  loss, read by wgan_gp only: any other loss reads it as None (its own
  default, no penalty); wgan_gp keeps it."""
  path = os.path.join(workdir, 'config.json')
  with open(path) as f:
    saved = json.load(f)
  saved.pop('version', None)
  for name, want in (('ns', None), ('wgan_gp', 10.0)):
    saved['loss'].update(name=name, gp_weight=10.0)
    with open(path, 'w') as f:
      json.dump(saved, f)
    config = workdir_lib.load_config(workdir)
    assert config.loss.gp_weight == want
    assert config.version == config_lib.VERSION


def test_an_old_config_json_reads_the_former_model_names(workdir):
  """Version 2 files named the seed documents' models 'seed000', ...:
  they are read under today's names."""
  path = os.path.join(workdir, 'config.json')
  with open(path) as f:
    saved = json.load(f)
  saved['version'] = 2
  for old, new in (('seed000', 'tf_report_mnist'),
                   ('seed002', 'slides_dcgan'),
                   ('seed004_svhn_baseline', 'keras_svhn_baseline')):
    saved['model']['generator'] = {'name': 'mlp'}
    saved['model']['discriminator'] = {'name': old}
    if old != 'seed004_svhn_baseline':
      saved['model']['generator'] = {'name': old, 'hidden': 8}
    with open(path, 'w') as f:
      json.dump(saved, f)
    config = workdir_lib.load_config(workdir)
    assert config.model.discriminator.name == new
    if old != 'seed004_svhn_baseline':
      assert config.model.generator.to_dict() == {'name': new, 'hidden': 8}
    assert config.version == config_lib.VERSION
