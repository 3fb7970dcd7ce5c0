"""Orbax checkpoints of the whole ``GANState`` and resume.

Checkpoints hold one unreplicated copy of the state (plain arrays), so a
run saved on 8 devices restores on 1 and the other way round. The data
stream needs no checkpoint of its own: the batch of step ``s`` is a function
of ``(seed, s)`` (see ``ganjax.data``), so restoring the step restores it.
"""

from __future__ import annotations

import os

import flax.serialization
import jax
import orbax.checkpoint as ocp
from absl import logging

from ganjax import errors
from ganjax.state import GANState


class Checkpoints:
  """``workdir/checkpoints``: save every so often, restore the latest."""

  def __init__(self, directory: str, max_to_keep: int = 3):
    self.directory = os.path.abspath(directory)
    self.manager = ocp.CheckpointManager(
        self.directory,
        options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep,
                                             create=True))

  def latest_step(self) -> int | None:
    return self.manager.latest_step()

  def save(self, state: GANState) -> None:
    """Saves a host (unreplicated) state under its step; asynchronous."""
    step = int(jax.device_get(state.step))
    if step in self.manager.all_steps():
      return
    self.manager.save(step, args=ocp.args.StandardSave(
        flax.serialization.to_state_dict(state)))
    logging.info('Saving checkpoint of step %d to %s.', step, self.directory)

  def restore(self, template: GANState, step: int | None = None) -> GANState:
    """The state saved at ``step`` (default: the latest), shaped as
    ``template``."""
    step = self.latest_step() if step is None else step
    if step is None:
      raise errors.CheckpointError(f'no checkpoint in {self.directory}.')
    target = flax.serialization.to_state_dict(template)
    restored = self.manager.restore(step,
                                    args=ocp.args.StandardRestore(target))
    logging.info('Restored checkpoint of step %d from %s.', step,
                 self.directory)
    return flax.serialization.from_state_dict(template, restored)

  def wait(self) -> None:
    self.manager.wait_until_finished()

  def close(self) -> None:
    self.manager.wait_until_finished()
    self.manager.close()
