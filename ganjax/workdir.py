"""The training workdir: made usable, locked, and its config kept.

* ``prepare(workdir)``: creates the workdir and proves that it, and its
  ``checkpoints/`` and ``samples/``, take a real write (bytes, synced: an
  empty file needs no disk block, so it would not find a full disk).
* ``TrainingLock``: one training run per workdir. Each process of a run
  holds an exclusive ``flock`` on ``.ganjax_train_<process>.lock``; the
  kernel drops it when the process ends, however it ends, so a crashed
  run leaves no stale lock. A second training run stops at once, naming
  the holder (host, pid, since when). Sampling and evaluation take no lock.
* ``load_config(workdir)``: ``config.json`` back as a ConfigDict, with the
  fields added since the run was written at their defaults (the one place
  old config files are backfilled).
* ``check_resume(config, workdir)``: a resume may change only the fields
  that extend or observe the run (``RESUMABLE``); any other difference from
  the workdir's ``config.json`` is refused in one line.
* ``record_config(config, workdir, step)``: writes ``config.json`` (the
  latest) and appends to ``config_history.json`` (every start or resume,
  with its step), both atomically.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import tempfile
import time
from typing import Any

import ml_collections

from ganjax import config_lib, errors

CONFIG = 'config.json'
HISTORY = 'config_history.json'

# Fields a resume may change: they extend the run or only observe it.
# Everything else changes what is learned.
RESUMABLE = ('parallel', 'train.steps', 'train.log_every',
             'train.checkpoint_every', 'train.sample_every',
             'train.num_samples', 'train.max_checkpoints',
             'train.steps_per_dispatch', 'eval', 'data.data_dir',
             'model.jacobian_truncation')


def _probe(directory: str) -> None:
  """Writes, syncs and deletes a small file in ``directory``."""
  fd, path = tempfile.mkstemp(dir=directory, prefix='.ganjax_write_test')
  try:
    os.write(fd, b'\0' * 4096)
    os.fsync(fd)
  finally:
    os.close(fd)
    os.unlink(path)


def prepare(workdir: str) -> str:
  """Creates ``workdir`` (and ``checkpoints/``, ``samples/``) and proves
  them writable, or says in one line why not. Returns the absolute path."""
  workdir = os.path.abspath(os.path.expanduser(workdir))
  try:
    os.makedirs(workdir, exist_ok=True)
    _probe(workdir)  # A file of its own: processes of one run probe at once.
  except OSError as e:
    raise errors.WorkdirError(
        f'workdir {workdir} is not writable ({e.strerror}); choose another '
        'with --workdir (or free space).') from None
  for sub in ('checkpoints', 'samples'):
    path = os.path.join(workdir, sub)
    try:
      os.makedirs(path, exist_ok=True)
      _probe(path)
    except OSError as e:
      what = ('is not a directory' if os.path.exists(path) and
              not os.path.isdir(path) else f'is not writable ({e.strerror})')
      raise errors.WorkdirError(
          f'{path} {what}; move it away or choose another --workdir.'
      ) from None
  return workdir


class TrainingLock:
  """An exclusive lock on ``workdir`` for one process of a training run."""

  def __init__(self, workdir: str, process: int = 0):
    self.path = os.path.join(workdir, f'.ganjax_train_{process}.lock')
    self._fd = None

  def __enter__(self):
    fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
      holder = os.pread(fd, 4096, 0).decode(errors='replace')
      os.close(fd)
      if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
        raise
      try:
        who = json.loads(holder)
        who = (f"host {who['host']}, pid {who['pid']}, since "
               f"{who['since']}")
      except (ValueError, KeyError, TypeError):
        who = 'unknown holder'
      raise errors.WorkdirError(
          f'workdir {os.path.dirname(self.path)} is in use by another '
          f'training run ({who}); wait for it to end, stop it, or use '
          'another --workdir.') from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps({
        'host': socket.gethostname(), 'pid': os.getpid(),
        'since': time.strftime('%Y-%m-%d %H:%M:%S')}).encode(), 0)
    self._fd = fd
    return self

  def __exit__(self, *exc):
    if self._fd is not None:
      os.ftruncate(self._fd, 0)
      fcntl.flock(self._fd, fcntl.LOCK_UN)
      os.close(self._fd)
      self._fd = None


def _fill_defaults(loaded: ml_collections.ConfigDict,
                   defaults: ml_collections.ConfigDict) -> None:
  """Adds the fields of ``defaults`` missing from ``loaded``; keeps every
  loaded value (the model dicts are the module's own, never filled)."""
  for key in defaults.keys():
    value = defaults[key]
    if key not in loaded:
      loaded[key] = (ml_collections.ConfigDict(value.to_dict())
                     if isinstance(value, ml_collections.ConfigDict)
                     else value)
    elif (isinstance(value, ml_collections.ConfigDict) and
          isinstance(loaded[key], ml_collections.ConfigDict) and
          key not in ('generator', 'discriminator')):
      _fill_defaults(loaded[key], value)


def _migrate(loaded: dict) -> None:
  """An older ``config.json`` read as that code meant it: the one place
  old files are brought up to ``config_lib.VERSION``."""
  version = loaded.get('version', 1)
  if version < 2 and loaded['loss'].get('name') != 'wgan_gp':
    # Version 1 read loss.gp_weight (10.0 in every file) for wgan_gp only.
    loaded['loss']['gp_weight'] = None
  if version < 3:
    # Before version 3 the seed documents' models were 'seed000', ... .
    from ganjax import models  # pylint: disable=g-import-not-at-top
    for net in ('generator', 'discriminator'):
      spec = loaded['model'].get(net)
      if isinstance(spec, dict) and spec.get('name') in models.RENAMED:
        spec['name'] = models.RENAMED[spec['name']]
  if version < 4:
    # Before version 4 the evaluators' options were flat in ``eval``.
    e = loaded.get('eval', {})
    for old, (section, new) in _EVAL_MOVED.items():
      if old in e:
        e.setdefault(section, {})[new] = e.pop(old)
  loaded['version'] = config_lib.VERSION


# Version 3's flat ``eval`` options -> (evaluator, option) of version 4.
_EVAL_MOVED = {
    'hq_threshold': ('mixture', 'hq_threshold'),
    'num_real': ('classifier', 'num_real'),
    'classifier_steps': ('classifier', 'steps'),
    'classifier_batch_size': ('classifier', 'batch_size'),
    'classifier_learning_rate': ('classifier', 'learning_rate'),
    'cache_dir': ('classifier', 'cache_dir'),
}


def load_config(workdir: str) -> ml_collections.ConfigDict:
  """``workdir/config.json`` as a ConfigDict, fields added since the run
  was written set to their defaults; one line when it is missing, corrupt
  or not a ganjax config."""
  path = os.path.join(os.path.expanduser(workdir), CONFIG)
  if not os.path.exists(path):
    raise errors.WorkdirError(
        f'{os.path.abspath(workdir)} holds no {CONFIG}: it is not a ganjax '
        'workdir (train one first with launch.py).')
  try:
    with open(path) as f:
      loaded = json.load(f)
    if not (isinstance(loaded, dict) and
            all(isinstance(loaded.get(k), dict)
                for k in ('data', 'model', 'train'))):
      raise ValueError('no data, model and train sections')
    if not isinstance(loaded.get('loss', {}), dict):
      raise ValueError('loss is not a section')
    loaded.setdefault('loss', {})
    _migrate(loaded)
    config = ml_collections.ConfigDict(loaded)
    _fill_defaults(config, config_lib.base_config())
  except (OSError, ValueError, TypeError, AttributeError) as e:
    reason = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
    raise errors.WorkdirError(
        f'{os.path.abspath(path)} is not a readable ganjax config ({reason}); '
        'restore it, or move it away and train again with the same config '
        '(the checkpoints stay), or use another --workdir.') from None
  return config


def _flatten(tree: Any, prefix: str = '') -> dict[str, Any]:
  if isinstance(tree, dict):
    out = {}
    for key, value in tree.items():
      out.update(_flatten(value, f'{prefix}{key}.'))
    return out
  return {prefix[:-1]: tree}


def _plain(config: ml_collections.ConfigDict) -> dict:
  """The config as its JSON file holds it (tuples as lists, and so on)."""
  return json.loads(config.to_json_best_effort())


def _resumable(field: str) -> bool:
  return any(field == f or field.startswith(f + '.') for f in RESUMABLE)


def changed_fields(config: ml_collections.ConfigDict,
                   saved: ml_collections.ConfigDict) -> list[str]:
  """``'field: saved -> new'`` for every field outside ``RESUMABLE`` whose
  value differs."""
  new, old = _flatten(_plain(config)), _flatten(_plain(saved))
  absent = '(absent)'
  return [f'{k}: {json.dumps(old.get(k, absent))} -> '
          f'{json.dumps(new.get(k, absent))}'
          for k in sorted(set(new) | set(old))
          if not _resumable(k) and new.get(k, absent) != old.get(k, absent)]


def check_resume(config: ml_collections.ConfigDict, workdir: str) -> None:
  """Refuses to resume ``workdir`` with a config that learns something
  else than the one it was trained with (see ``RESUMABLE``)."""
  saved = load_config(workdir)
  changed = changed_fields(config, saved)
  if changed:
    raise errors.ConfigError(
        f'this config differs from the one {workdir} was trained with in '
        f'fields that change what is learned ({"; ".join(changed)}); resume '
        'with the workdir\'s values, or train this config in another '
        '--workdir. A resume may change only: ' + ', '.join(RESUMABLE) + '.')


def _write_atomically(path: str, text: str) -> None:
  directory = os.path.dirname(path)
  fd, tmp = tempfile.mkstemp(dir=directory, prefix=f'.{os.path.basename(path)}')
  os.fchmod(fd, 0o644)
  try:
    with os.fdopen(fd, 'w') as f:
      f.write(text)
      f.flush()
      os.fsync(f.fileno())
    os.replace(tmp, path)
  except BaseException:
    if os.path.exists(tmp):
      os.unlink(tmp)
    raise


def record_config(config: ml_collections.ConfigDict, workdir: str,
                  start_step: int) -> None:
  """``config.json`` := ``config``; ``config_history.json`` gains
  ``{start_step, time, host, config}``. Both replaced atomically."""
  history_path = os.path.join(workdir, HISTORY)
  history = []
  if os.path.exists(history_path):
    try:
      with open(history_path) as f:
        history = json.load(f)
    except ValueError:  # Unreadable: kept aside, never lost.
      os.replace(history_path, f'{history_path}.unreadable-{int(time.time())}')
      history = []
  history.append({'start_step': int(start_step),
                  'time': time.strftime('%Y-%m-%d %H:%M:%S'),
                  'host': socket.gethostname(), 'config': _plain(config)})
  _write_atomically(history_path, json.dumps(history, indent=1))
  _write_atomically(os.path.join(workdir, CONFIG),
                    config.to_json_best_effort(indent=2, sort_keys=True))
