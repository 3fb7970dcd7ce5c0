"""``train_and_evaluate(config, workdir)``: the training loop, top to bottom.

config -> data stream -> the family's spec and state (``ganjax.families``) (restored if the workdir has a
checkpoint) -> one compiled step -> loop: metrics every ``log_every`` steps
(the only host reads), samples every ``sample_every``, checkpoints every
``checkpoint_every`` and at the end.

Evaluators (``ganjax.evaluation``, chosen by ``config.eval``) run every
``eval.every`` steps and at the end (unless ``eval.at_end`` is False).

Workdir layout: ``checkpoints/`` (Orbax), ``samples/step_<N>.png``,
TensorBoard event files, ``metrics.jsonl`` (one JSON object per evaluation,
with ``step``), ``loss_curves.png`` (D and G losses),
``train_metrics.jsonl`` (the training scalars of every log point),
``config.json`` (the resolved config) and ``config_history.json`` (every
start and resume; ``ganjax.workdir``). A run holds the workdir's lock, and
a resume must learn what the workdir's config learns.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from typing import Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import logging
from clu import metric_writers, parameter_overview, periodic_actions
from jax.experimental import multihost_utils

from ganjax import (checkpoint, config_lib, data, errors, evaluation,
                    families, parallel, sampling, state as state_lib,
                    visualize)
from ganjax import workdir as workdir_lib


def build(config: ml_collections.ConfigDict, mode: str = 'jit'):
  """The family's spec and a fresh state for ``config``, laid out for
  ``mode`` (no data is read)."""
  return families.build(config, parallel.axis_name(mode))


def _log_parameter_overview(spec, state) -> None:
  """Each named network's parameters, as Keras' ``model.summary()`` counts
  them (so they compare with the tables of the seed documents)."""
  for label, (module, variables) in families.of(spec).networks(
      spec, state).items():
    counts = state_lib.count_parameters(variables['params'],
                                        variables['batch_stats'])
    logging.info('%s (%s):\n%s\nTotal params: %s  Trainable: %s  '
                 'Non-trainable (BatchNorm statistics): %s', label,
                 type(module).__name__,
                 parameter_overview.get_parameter_overview(variables),
                 f"{counts['total']:,}", f"{counts['trainable']:,}",
                 f"{counts['non_trainable']:,}")


TRAIN_METRICS = 'train_metrics.jsonl'


def _append_jsonl(path: str, record: dict) -> None:
  with open(path, 'a') as f:
    f.write(json.dumps(record) + '\n')


def plot_loss_curves(workdir: str, title: str = '',
                     keys: tuple[str, ...] = ('d_loss', 'g_loss')
                     ) -> str | None:
  """``workdir/loss_curves.png`` from every logged step of the run.

  After a resume from an earlier checkpoint some steps were logged twice;
  the later record of a step wins.
  """
  path = os.path.join(workdir, TRAIN_METRICS)
  if not os.path.exists(path):
    return None
  by_step, malformed = {}, 0
  with open(path) as f:
    for line in f:
      if line.strip():
        try:
          record = json.loads(line)
          by_step[int(record['step'])] = record
        except (ValueError, KeyError, TypeError):
          malformed += 1
  if malformed:
    logging.warning('Skipped %d malformed line(s) of %s in the loss curves.',
                    malformed, path)
  if not by_step:
    return None
  out = os.path.join(workdir, 'loss_curves.png')
  visualize.loss_curves(out, list(by_step.values()), keys, title=title)
  return out


class NonFiniteError(errors.GanjaxError, FloatingPointError):
  """Training produced NaN or Inf."""


class Interrupted(errors.GanjaxError):
  """SIGTERM or SIGINT arrived; a checkpoint of the current step was saved."""

  def __init__(self, message: str, signum: int):
    super().__init__(message)
    self.signum = signum


class _StopSignals:
  """Turns SIGTERM (preemption) and SIGINT (Ctrl-C) into a stop that the
  loop asks for once after each dispatch (``now()``), so it can save before
  exiting; ``signum`` is then the signal to report. A second signal while
  saving is handled as usual (the process stops).

  A multi-process run must stop every process after the same dispatch: one
  that stops alone waits for ever in the save's barrier, the others in the
  step's next collective. There ``now()`` asks JAX's preemption sync point
  (``multihost_utils.reached_preemption_sync_point``, a local check: no
  device read, no message): JAX's own SIGTERM handler, installed by
  ``jax.distributed.initialize`` and so left in place here, tells the
  coordination service, which sets the stop one step after the furthest
  process, the same on all. SIGINT is passed on to it as a SIGTERM of this
  process. Every process then reports SIGTERM (exit status 143), but one
  that had a SIGINT itself (130); further SIGTERMs are ignored there (a
  process killed while saving would leave the others waiting).

  The sync point's ids are the step numbers, each step of a dispatch in
  turn (they must grow by 1 a call): Orbax asks it too, with the step it
  saves, which is then the last id already given.
  """

  SIGNALS = (signal.SIGTERM, signal.SIGINT)

  def __init__(self):
    self.signum = None  # Set by now() when the loop is to stop.
    self._received = None  # The signal this process caught.
    self._agree = False  # Stop where all processes agree (JAX's sync point).
    self._first = True
    self._previous = {}

  def _handle(self, signum, frame):
    del frame
    self._received = signum
    for sig, handler in self._previous.items():
      signal.signal(sig, handler)
    if self._agree:  # A SIGINT: a preemption notice for JAX's handler.
      os.kill(os.getpid(), signal.SIGTERM)

  def now(self, step: int, size: int) -> bool:
    """Whether to save and stop after the dispatch of steps ``step - size +
    1 .. step``. Ask exactly once per dispatch, on every process."""
    if self._agree:
      ids = list(range(step - size + 1, step + 1))
      if self._first and ids[0] > 1:
        # A notice before any process asked sets the sync point at 1.
        ids.insert(0, 1)
      self._first = False
      reached = [multihost_utils.reached_preemption_sync_point(i)
                 for i in ids]  # Every id, in turn.
      if any(reached):
        self.signum = self._received or signal.SIGTERM
    elif self._received is not None:
      self.signum = self._received
    return self.signum is not None

  def __enter__(self):
    signals = self.SIGNALS
    if jax.process_count() > 1:
      try:  # Raises if the service is off (0: no id asked yet).
        multihost_utils.reached_preemption_sync_point(0)
        self._agree, signals = True, (signal.SIGINT,)
      except RuntimeError:
        logging.warning('jax_enable_preemption_service is off: a SIGTERM or '
                        'SIGINT that does not reach every process at the '
                        'same step can hang the run.')
    if threading.current_thread() is threading.main_thread():
      for sig in signals:
        self._previous[sig] = signal.signal(sig, self._handle)
    return self

  def __exit__(self, *exc):
    for sig, handler in self._previous.items():
      signal.signal(sig, handler)
    self._previous = {}


def _non_finite(what: str, step: int, ckpts: checkpoint.Checkpoints):
  ckpts.wait()
  return NonFiniteError(
      f'non-finite {what} by step {step}; stopped without saving it. The '
      f'last good checkpoint is step {ckpts.latest_step()} in '
      f'{ckpts.directory}; lower the learning rates or check the data.')


def _check_finite(scalars: dict, step: int, ckpts: checkpoint.Checkpoints):
  if not all(np.isfinite(v) for v in scalars.values()):
    bad = sorted(k for k, v in scalars.items() if not np.isfinite(v))
    raise _non_finite(', '.join(bad), step, ckpts)


def _save(ckpts: checkpoint.Checkpoints, host, step: int) -> None:
  """Saves ``host`` unless it holds a NaN or Inf (the losses read before
  an update cannot tell)."""
  if not checkpoint.is_finite(host):
    raise _non_finite('parameters or statistics', step, ckpts)
  ckpts.save(host)


def _io_error(e: OSError, workdir: str, step: int,
              ckpts: checkpoint.Checkpoints) -> errors.WorkdirError:
  try:
    ckpts.wait()
  except Exception:  # pylint: disable=broad-except
    pass  # The save of this step failed too; the latest complete one counts.
  where = f': {e.filename}' if e.filename else ''
  return errors.WorkdirError(
      f'writing in {workdir} failed at step {step} ({e.strerror}{where}); '
      f'the last checkpoint is step {ckpts.latest_step()} in '
      f'{ckpts.directory}: free space or fix permissions, then run the same '
      'command to resume.')


def _quietly(fn: Callable, *args) -> None:
  """Runs a last, optional write (loss curves) without masking the error
  or exit status of the run."""
  try:
    fn(*args)
  except Exception as e:  # pylint: disable=broad-except
    logging.warning('%s failed: %s: %s', getattr(fn, '__name__', fn),
                    type(e).__name__, e)


def train_and_evaluate(
    config: ml_collections.ConfigDict, workdir: str,
    progress: Callable[[int, int, dict], None] | None = None,
    on_picture: Callable[[int, str], None] | None = None):
  """Trains ``config`` in ``workdir``, resuming from its latest checkpoint.

  Args:
    config: a config from ``configs/`` (see ``ganjax.config_lib``).
    workdir: where checkpoints, samples, logs and the config go.
    progress: optional callback ``(step, total, metrics)`` at each log point
      (the notebook API uses it for a progress bar).
    on_picture: optional callback ``(step, path)`` after each sample
      picture ``samples/step_<N>.png`` is written (the notebook API shows
      it inline).

  Returns:
    The final state (the pytree of ``config.family``), unreplicated, on the
    host.

  Raises:
    ganjax.errors.GanjaxError: for anything the user can fix (bad config,
      missing data, unusable workdir or checkpoint), ``NonFiniteError`` when
      training diverges, ``Interrupted`` after SIGTERM/SIGINT (with the
      current step saved).
  """
  config_lib.validate(config)
  mode = parallel.resolve_mode(config.parallel)
  shape = data.data_shape(config)
  data.per_process_batch(config)  # Fails early on an indivisible batch.
  workdir = workdir_lib.prepare(workdir)
  with workdir_lib.TrainingLock(workdir, jax.process_index()):
    return _train_locked(config, workdir, mode, shape, progress, on_picture)


def _train_locked(config: ml_collections.ConfigDict, workdir: str, mode: str,
                  shape: tuple[int, ...],
                  progress: Callable[[int, int, dict], None] | None,
                  on_picture: Callable[[int, str], None] | None):
  """``train_and_evaluate`` once the workdir is this run's."""
  is_chief = jax.process_index() == 0
  spec = families.build_spec(config, shape, parallel.axis_name(mode))
  family = families.of(spec)
  state = family.create_state(spec, config.seed)
  parallel.sync_processes('ganjax: training starts')
  ckpts = checkpoint.Checkpoints(os.path.join(workdir, 'checkpoints'),
                                 config.train.max_checkpoints)
  if ckpts.all_steps():  # A resume: the same run, or nothing.
    if os.path.exists(os.path.join(workdir, workdir_lib.CONFIG)):
      workdir_lib.check_resume(config, workdir)
    else:
      logging.warning('%s has checkpoints but no %s: only the shapes of '
                      'the state can be checked.', workdir, workdir_lib.CONFIG)
  state = ckpts.restore_latest_good(state) or state
  start = int(state.step)
  total = config.train.steps
  every = config.eval.every if config.eval.evaluators != 'none' else 0
  plan = list(parallel.dispatch_plan(
      start, total, config.train.steps_per_dispatch,
      (config.train.log_every, config.train.checkpoint_every,
       config.train.sample_every, every)))
  # Opening the data stream first: missing data fails before anything else.
  batches = parallel.device_stream(
      parallel.group_steps(data.make_stream(config, start), plan), mode,
      batch_axis=2)
  # Built before compiling, so a bad eval config fails early.
  evaluators = evaluation.build_evaluators(config, workdir) if is_chief else []
  if is_chief:
    workdir_lib.record_config(config, workdir, start)
    _log_parameter_overview(spec, state)
  logging.info('Training %s from step %d to %d on %d device(s) with %s.',
               config.data.name, start, total, jax.local_device_count(), mode)

  writer = metric_writers.create_default_writer(workdir,
                                                just_logging=not is_chief)
  train_steps = parallel.compile_multi_step(spec, mode)
  device_state = parallel.place_state(state, mode)
  hooks = [periodic_actions.ReportProgress(
      num_train_steps=total, writer=writer,
      every_steps=config.train.log_every)] if is_chief else []

  one_copy = lambda tree: parallel.first_replica(tree, mode)

  sums, count = None, 0
  with _StopSignals() as stop:
    step = start
    try:
      for size in plan:
        step += size
        with jax.profiler.StepTraceAnnotation('train', step_num=step):
          device_state, metrics = train_steps(device_state, next(batches))
        # Summed on the device; the host reads them only at log points.
        sums = metrics if sums is None else jax.tree.map(jnp.add, sums,
                                                          metrics)
        count += size
        for hook in hooks:  # clu's actions expect to see every step.
          for done in range(step - size + 1, step + 1):
            hook(done)
        last = step == total
        checkpoint_now = (stop.now(step, size)  # First: asked every time.
                          or step % config.train.checkpoint_every == 0 or last)
        # Metrics are also read before every checkpoint: a run that
        # diverged stops there.
        if step % config.train.log_every == 0 or checkpoint_now:
          scalars = {k: float(v) / count
                     for k, v in jax.device_get(one_copy(sums)).items()}
          sums, count = None, 0
          _check_finite(scalars, step, ckpts)
          writer.write_scalars(step, scalars)
          if is_chief:
            _append_jsonl(os.path.join(workdir, TRAIN_METRICS),
                          {'step': step, **scalars})
          if progress is not None:
            progress(step, total, scalars)
        evaluate_now = evaluators and ((every and step % every == 0) or
                                       (last and config.eval.at_end))
        # The checkpoint first: a picture or evaluation that fails loses
        # nothing trained.
        if checkpoint_now or evaluate_now:
          host = parallel.host_state(device_state, mode)
          if checkpoint_now:
            _save(ckpts, host, step)
        if is_chief and (step % config.train.sample_every == 0 or last):
          host_state = one_copy(device_state)
          title = f'{config.data.name}, step {step}'
          samples = sampling.picture_samples(spec, config, host_state)
          picture = os.path.join(workdir, 'samples', f'step_{step:07d}.png')
          sampling.save_picture(config, samples, picture, title=title)
          if on_picture is not None:
            on_picture(step, picture)
          if data.is_image(config):
            writer.write_images(step, {'samples': visualize.readable_grid(
                samples, config.data.value_range)[None] / 255.0})
          if spec.num_classes:  # One row (or colour) per class.
            sampling.save_class_picture(
                config, spec, host_state, os.path.join(
                    workdir, 'samples', f'classes_{step:07d}.png'),
                title=title)
          if family.picture is not None:  # The family's own.
            sampling.save_family_picture(
                config, spec, host_state, os.path.join(
                    workdir, 'samples', f'{family.name}_{step:07d}.png'),
                title)
        if evaluate_now:
          evaluation.run_evaluators(evaluators, spec, host, step, workdir,
                                    writer)
        if stop.signum is not None:
          ckpts.wait()
          name = signal.Signals(stop.signum).name
          raise Interrupted(
              f'{name} received: saved a checkpoint of step {step} in '
              f'{ckpts.directory}; run the same command again to resume.',
              stop.signum)
    except errors.GanjaxError:
      raise
    except OSError as e:
      raise _io_error(e, workdir, step, ckpts) from None
    finally:
      _quietly(writer.flush)
      ckpts.close()
      if is_chief:
        _quietly(plot_loss_curves, workdir, config.data.name, family.curves)

  if start >= total:
    logging.info('Nothing to train: the checkpoint is at step %d >= '
                 'train.steps=%d.', start, total)
  return parallel.host_state(device_state, mode)
