"""Orbax checkpoints of the whole ``GANState``, and safe resume.

Checkpoints hold one unreplicated copy of the state (plain arrays), so a
run saved on 8 devices restores on 1 and the other way round. The data
stream needs no checkpoint of its own: the batch of step ``s`` is a function
of ``(seed, s)`` (see ``ganjax.data``), so restoring the step restores it.

Resume is careful about what it finds in ``workdir/checkpoints``:

* Orbax writes each checkpoint into a temporary directory and renames it
  when complete, so a process killed mid-save leaves no half checkpoint
  that could be read.
* Each checkpoint carries the SHA-256 digest of its arrays (Orbax's
  ``custom_metadata``), computed from the state being saved and checked
  against the restored arrays, so flipped bytes that still decode are found.
* A checkpoint that cannot be read (truncated or garbage files, a digest
  that does not match, non-finite values) is skipped with a warning naming
  it, and the previous one is used; training moves the unreadable one to
  ``workdir/checkpoints_unreadable/`` (never deleted), so a new save of
  that step can take its place. When no checkpoint is readable the run
  stops with an error instead of starting over.
* An error that may pass (an I/O error, out of memory) stops with one line
  and changes nothing: it says nothing about the checkpoint.
* Reading commands (sampling, evaluation, ``ganjax.load``) open the
  directory read-only: they never create, move or delete anything.
* A checkpoint of another architecture (different parameter names or
  shapes, another optimizer) stops the run before training, naming the
  first difference; nothing is overwritten.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import time

import flax.serialization
import jax
import numpy as np
import orbax.checkpoint as ocp
from absl import logging

from ganjax import errors
from ganjax.state import GANState


def _shapes(tree) -> dict[str, tuple[int, ...]]:
  """``{path: shape}`` of every array-like leaf of a (metadata) tree."""
  leaves = jax.tree_util.tree_flatten_with_path(
      tree, is_leaf=lambda x: hasattr(x, 'shape'))[0]
  return {'/'.join(str(getattr(k, 'key', getattr(k, 'idx', k))) for k in path):
          tuple(leaf.shape) for path, leaf in leaves if hasattr(leaf, 'shape')}


_ORDER = ('g_params', 'd_params', 'g_batch_stats', 'd_batch_stats')


def _priority(path: str):
  """Parameters first: the most telling difference is named."""
  head = path.split('/')[0]
  return (_ORDER.index(head) if head in _ORDER else len(_ORDER), path)


def _first_line(error: BaseException) -> str:
  text = str(error)
  return text.splitlines()[0][:200] if text else ''


def describe_mismatch(saved: dict, expected: dict) -> str | None:
  """The first difference between two ``{path: shape}`` maps, or None."""
  for path in sorted(expected, key=_priority):
    if path not in saved:
      return f'this config has {path} {expected[path]} but the checkpoint not'
    if saved[path] != expected[path]:
      return (f'{path} has shape {saved[path]} in the checkpoint but '
              f'{expected[path]} in this config')
  for path in sorted(saved, key=_priority):
    if path not in expected:
      return f'the checkpoint has {path} {saved[path]} but this config not'
  return None


# Top-level state fields that are empty unless an option is on (the GAN's
# ``augment``, ADA's p): left out of the checkpoint when empty, so that
# checkpoints written before the field existed restore as they are.
OPTIONAL = ('augment',)


def _saved_tree(state) -> dict:
  """The state dict that is saved: ``state`` without empty OPTIONAL
  fields."""
  tree = flax.serialization.to_state_dict(state)
  return {k: v for k, v in tree.items() if not (k in OPTIONAL and not v)}


def digest(state: GANState) -> str:
  """SHA-256 over every array of ``state`` (path, dtype, shape and bytes)."""
  h = hashlib.sha256()
  leaves = jax.tree_util.tree_flatten_with_path(
      flax.serialization.to_state_dict(state))[0]
  for path, leaf in leaves:
    a = np.ascontiguousarray(np.asarray(leaf))
    h.update(f'{jax.tree_util.keystr(path)}:{a.dtype}:{a.shape};'.encode())
    h.update(a.tobytes())
  return h.hexdigest()


def is_finite(state: GANState) -> bool:
  """Whether every floating-point array of ``state`` is finite."""
  return all(np.all(np.isfinite(x)) for x in jax.tree.leaves(state)
             if np.issubdtype(np.asarray(x).dtype, np.floating))


_TRANSIENT_ERRNOS = (errno.EIO, errno.ENOMEM, errno.EAGAIN, errno.EINTR,
                     errno.ETIMEDOUT, errno.EBUSY, errno.ESTALE)
_TRANSIENT_TEXT = ('RESOURCE_EXHAUSTED', 'Out of memory', 'out of memory',
                   'Input/output error', 'DEADLINE_EXCEEDED', 'UNAVAILABLE')


def _is_transient(error: BaseException) -> bool:
  """An error that says nothing about the checkpoint's bytes."""
  seen = error
  while seen is not None:
    if isinstance(seen, MemoryError) or (
        isinstance(seen, OSError) and seen.errno in _TRANSIENT_ERRNOS):
      return True
    if any(t in str(seen) for t in _TRANSIENT_TEXT):
      return True
    seen = seen.__cause__ or seen.__context__
  return False


class Checkpoints:
  """``workdir/checkpoints``: save every so often, restore the latest.

  ``read_only=True`` (sampling, evaluation) never creates, moves or writes
  anything; a missing directory reads as no checkpoint.
  """

  def __init__(self, directory: str, max_to_keep: int = 3,
               read_only: bool = False):
    self.directory = os.path.abspath(directory)
    self.max_to_keep = max_to_keep
    self.read_only = read_only
    self._open()

  def _open(self):
    if self.read_only:
      options = ocp.CheckpointManagerOptions(read_only=True, create=False)
    else:
      options = ocp.CheckpointManagerOptions(max_to_keep=self.max_to_keep,
                                             create=True)
    self.manager = ocp.CheckpointManager(
        self.directory, options=options,
        item_handlers=ocp.StandardCheckpointHandler())

  def latest_step(self) -> int | None:
    return self.manager.latest_step()

  def all_steps(self) -> list[int]:
    return sorted(self.manager.all_steps())

  def path(self, step: int) -> str:
    return os.path.join(self.directory, str(step))

  def save(self, state: GANState) -> bool:
    """Saves a host (unreplicated) state under its step; asynchronous.

    Returns False (and saves nothing) when that step is already saved.
    """
    step = int(jax.device_get(state.step))
    if step in self.manager.all_steps():
      return False
    self.manager.save(step, args=ocp.args.StandardSave(
        _saved_tree(state)),
                      custom_metadata={'sha256': digest(state)})
    logging.info('Saving checkpoint of step %d to %s.', step, self.directory)
    return True

  def check_compatible(self, template: GANState, step: int) -> None:
    """Raises ``CheckpointError`` if checkpoint ``step`` is of another
    architecture than ``template``. Unreadable metadata raises as is."""
    metadata = self.manager.item_metadata(step)
    tree = getattr(metadata, 'tree', metadata)
    if tree is None:
      raise ValueError(f'no metadata in {self.path(step)}')
    mismatch = describe_mismatch(_shapes(tree),
                                 _shapes(_saved_tree(template)))
    if mismatch:
      raise errors.CheckpointError(
          f'the checkpoint {self.path(step)} does not fit this config: '
          f'{mismatch}; use another --workdir for this config (nothing was '
          'changed).')

  def restore(self, template: GANState, step: int | None = None) -> GANState:
    """The state saved at ``step`` (default: the latest), shaped as
    ``template``; no fallback."""
    step = self.latest_step() if step is None else step
    if step is None:
      raise errors.CheckpointError(f'no checkpoint in {self.directory}.')
    self.check_compatible(template, step)
    target = _saved_tree(template)
    restored = self.manager.restore(step,
                                    args=ocp.args.StandardRestore(target))
    full = flax.serialization.to_state_dict(template)
    restored = {**{k: full[k] for k in OPTIONAL if k in full and
                   k not in restored}, **restored}
    state = flax.serialization.from_state_dict(template, restored)
    expected = (self.manager.metadata(step).custom_metadata or {}).get(
        'sha256')
    if expected is not None and digest(state) != expected:
      raise ValueError(f'the arrays of {self.path(step)} do not match the '
                       'digest saved with them')
    if not is_finite(state):
      raise ValueError(f'non-finite values in {self.path(step)}')
    logging.info('Restored checkpoint of step %d from %s.', step,
                 self.directory)
    return state

  def restore_latest_good(self, template: GANState) -> GANState | None:
    """The newest readable checkpoint, skipping unreadable ones (see the
    module docstring); None when the directory holds no checkpoint."""
    steps = self.all_steps()
    unreadable = []
    for step in reversed(steps):
      try:
        state = self.restore(template, step)
      except errors.CheckpointError:
        raise
      except Exception as e:  # pylint: disable=broad-except
        if _is_transient(e):
          raise errors.CheckpointError(
              f'reading {self.path(step)} failed with an error that may pass '
              f'({type(e).__name__}: {_first_line(e)}); nothing was changed: '
              'run the same command again.') from None
        logging.warning('Checkpoint %s is unreadable (%s: %s); trying the '
                        'previous one.', self.path(step), type(e).__name__,
                        _first_line(e))
        unreadable.append(step)
        continue
      if unreadable and not self.read_only:
        self._set_aside(unreadable)
      return state
    if steps:
      raise errors.CheckpointError(
          f'no readable checkpoint in {self.directory} (steps {steps} are '
          'all unreadable); nothing was changed: move that directory away '
          'to start over, or use another --workdir.')
    return None

  def _set_aside(self, steps: list[int]) -> None:
    """Moves unreadable checkpoints out of Orbax's way, keeping them."""
    self.manager.close()
    keep = os.path.join(os.path.dirname(self.directory),
                        'checkpoints_unreadable')
    os.makedirs(keep, exist_ok=True)
    for step in steps:
      dest = os.path.join(keep, f'{step}-{int(time.time())}')
      shutil.move(self.path(step), dest)
      logging.warning('Moved unreadable checkpoint of step %d to %s.', step,
                      dest)
    self._open()

  def wait(self) -> None:
    self.manager.wait_until_finished()

  def close(self) -> None:
    self.manager.wait_until_finished()
    self.manager.close()
