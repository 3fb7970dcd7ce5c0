"""``train_and_evaluate(config, workdir)``: the training loop, top to bottom.

config -> data stream -> GAN spec and state (restored if the workdir has a
checkpoint) -> one compiled step -> loop: metrics every ``log_every`` steps
(the only host reads), samples every ``sample_every``, checkpoints every
``checkpoint_every`` and at the end.

Evaluators (``ganjax.evaluate``, chosen by ``config.eval``) run every
``eval.every`` steps and at the end.

Workdir layout: ``checkpoints/`` (Orbax), ``samples/step_<N>.png``,
TensorBoard event files, ``metrics.jsonl`` (one JSON object per evaluation,
with ``step``), ``loss_curves.png`` (D and G losses),
``train_metrics.jsonl`` (the training scalars of every log point),
``config.json`` (the resolved config).
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import threading
from typing import Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import logging
from clu import metric_writers, parameter_overview, periodic_actions

from ganjax import (checkpoint, class_samples, config_lib, data, errors,
                    evaluate, parallel, state as state_lib, steps, truncation,
                    visualize)
from ganjax.state import GAN, GANState


def prepare_workdir(workdir: str) -> str:
  """Creates ``workdir`` and proves it writable, or says why it is not."""
  workdir = os.path.abspath(workdir)
  try:
    os.makedirs(workdir, exist_ok=True)
    # A file of its own, so processes of one run can probe at once.
    with tempfile.TemporaryFile(dir=workdir, prefix='.ganjax_write_test'):
      pass
  except OSError as e:
    raise errors.WorkdirError(
        f'workdir {workdir} is not writable ({e.strerror}); choose another '
        f'with --workdir.') from None
  return workdir


def write_config(config: ml_collections.ConfigDict, workdir: str) -> None:
  with open(os.path.join(workdir, 'config.json'), 'w') as f:
    f.write(config.to_json_best_effort(indent=2, sort_keys=True))


def build(config: ml_collections.ConfigDict, mode: str = 'jit'):
  """The GAN spec and a fresh state for ``config`` (no data is read)."""
  config_lib.validate(config)
  gan = state_lib.build_gan(config, data.data_shape(config),
                            parallel.axis_name(mode))
  return gan, state_lib.create_state(gan, config.seed)


def fixed_latents(gan: GAN, config: ml_collections.ConfigDict,
                  state: GANState):
  """The z (and, when conditional, the labels: row by row through the
  classes) of every sample picture: the same each time, so progress shows
  (with ``model.jacobian_truncation``, the same key, and the rejected
  latents redrawn for ``state``'s generator)."""
  key = jax.random.fold_in(jax.random.PRNGKey(config.seed), 0x5A4D)
  num = config.train.num_samples
  labels = None
  if gan.num_classes:
    labels = np.arange(num, dtype=np.int32) % gan.num_classes
  return truncation.latents(gan, state, key, num, labels), labels


def save_samples(config: ml_collections.ConfigDict, samples: np.ndarray,
                 path: str, title: str = '') -> None:
  """The picture that suits the data: grid, 2D scatter or 1D histogram."""
  samples = np.asarray(samples)
  if data.is_image(config):
    grid = visualize.image_grid(samples, config.data.value_range)
    visualize.save_image(path, grid)
  else:
    dist = data.toy_distribution(config)
    if dist.dim == 1:
      visualize.histogram_1d(path, samples, float(dist.means[0, 0]),
                             dist.std, title)
    else:
      visualize.scatter_2d(path, samples, dist.means, title)


def _log_parameter_overview(gan: GAN, state: GANState) -> None:
  for label, params, stats in (
      ('Generator', state.g_params, state.g_batch_stats),
      ('Discriminator', state.d_params, state.d_batch_stats)):
    counts = state_lib.count_parameters(params, stats)
    logging.info('%s (%s):\n%s\nTotal params: %s  Trainable: %s  '
                 'Non-trainable (BatchNorm statistics): %s', label,
                 type(gan.generator if label == 'Generator' else
                      gan.discriminator).__name__,
                 parameter_overview.get_parameter_overview(
                     {'params': params, 'batch_stats': stats}),
                 f"{counts['total']:,}", f"{counts['trainable']:,}",
                 f"{counts['non_trainable']:,}")


TRAIN_METRICS = 'train_metrics.jsonl'


def _append_jsonl(path: str, record: dict) -> None:
  with open(path, 'a') as f:
    f.write(json.dumps(record) + '\n')


def plot_loss_curves(workdir: str, title: str = '') -> str | None:
  """``workdir/loss_curves.png`` from every logged step of the run.

  After a resume from an earlier checkpoint some steps were logged twice;
  the later record of a step wins.
  """
  path = os.path.join(workdir, TRAIN_METRICS)
  if not os.path.exists(path):
    return None
  by_step = {}
  with open(path) as f:
    for line in f:
      if line.strip():
        record = json.loads(line)
        by_step[record['step']] = record
  if not by_step:
    return None
  out = os.path.join(workdir, 'loss_curves.png')
  visualize.loss_curves(out, list(by_step.values()), title=title)
  return out


class NonFiniteError(errors.GanjaxError, FloatingPointError):
  """Training produced NaN or Inf."""


class Interrupted(errors.GanjaxError):
  """SIGTERM or SIGINT arrived; a checkpoint of the current step was saved."""

  def __init__(self, message: str, signum: int):
    super().__init__(message)
    self.signum = signum


class _StopSignals:
  """Turns SIGTERM (preemption) and SIGINT (Ctrl-C) into a flag that the
  loop reads after each step, so it can save before exiting. A second
  signal while saving is handled as usual (the process stops)."""

  SIGNALS = (signal.SIGTERM, signal.SIGINT)

  def __init__(self):
    self.signum = None
    self._previous = {}

  def _handle(self, signum, frame):
    del frame
    self.signum = signum
    for sig, handler in self._previous.items():
      signal.signal(sig, handler)

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():
      for sig in self.SIGNALS:
        self._previous[sig] = signal.signal(sig, self._handle)
    return self

  def __exit__(self, *exc):
    for sig, handler in self._previous.items():
      signal.signal(sig, handler)
    self._previous = {}


def _check_finite(scalars: dict, step: int, ckpts: checkpoint.Checkpoints):
  if not all(np.isfinite(v) for v in scalars.values()):
    bad = sorted(k for k, v in scalars.items() if not np.isfinite(v))
    ckpts.wait()
    raise NonFiniteError(
        f'non-finite {", ".join(bad)} by step {step}; stopped without saving '
        f'it. The last good checkpoint is step {ckpts.latest_step()} in '
        f'{ckpts.directory}; lower the learning rates or check the data.')


def train_and_evaluate(
    config: ml_collections.ConfigDict, workdir: str,
    progress: Callable[[int, int, dict], None] | None = None) -> GANState:
  """Trains ``config`` in ``workdir``, resuming from its latest checkpoint.

  Args:
    config: a config from ``configs/`` (see ``ganjax.config_lib``).
    workdir: where checkpoints, samples, logs and the config go.
    progress: optional callback ``(step, total, metrics)`` at each log point
      (the notebook API uses it for a progress bar).

  Returns:
    The final state, unreplicated, on the host.

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
  workdir = prepare_workdir(workdir)
  is_chief = jax.process_index() == 0

  gan = state_lib.build_gan(config, shape, parallel.axis_name(mode))
  state = state_lib.create_state(gan, config.seed)
  parallel.sync_processes('ganjax: training starts')
  ckpts = checkpoint.Checkpoints(os.path.join(workdir, 'checkpoints'),
                                 config.train.max_checkpoints)
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
  if is_chief:
    write_config(config, workdir)
    _log_parameter_overview(gan, state)
  logging.info('Training %s from step %d to %d on %d device(s) with %s.',
               config.data.name, start, total, jax.local_device_count(), mode)

  # Built before compiling, so a bad eval config fails early.
  evaluators = evaluate.build_evaluators(config, workdir) if is_chief else []
  writer = metric_writers.create_default_writer(workdir,
                                                just_logging=not is_chief)
  train_steps = parallel.compile_multi_step(gan, mode)
  generate = jax.jit(lambda s, z, y: steps.generate(gan, s, z, y))
  device_state = parallel.place_state(state, mode)
  hooks = [periodic_actions.ReportProgress(
      num_train_steps=total, writer=writer,
      every_steps=config.train.log_every)] if is_chief else []

  one_copy = lambda tree: parallel.first_replica(tree, mode)

  sums, count = None, 0
  with _StopSignals() as stop:
    try:
      step = start
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
        checkpoint_now = (step % config.train.checkpoint_every == 0 or last
                          or stop.signum is not None)
        # Metrics are also read before every checkpoint: a non-finite
        # state is never saved.
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
        if is_chief and (step % config.train.sample_every == 0 or last):
          host_state = one_copy(device_state)
          z_fixed, y_fixed = fixed_latents(gan, config, host_state)
          samples = np.asarray(generate(host_state, z_fixed, y_fixed))
          save_samples(config, samples, os.path.join(
              workdir, 'samples', f'step_{step:07d}.png'),
                       title=f'{config.data.name}, step {step}')
          if data.is_image(config):
            writer.write_images(step, {'samples': visualize.image_grid(
                samples, config.data.value_range)[None] / 255.0})
          if gan.num_classes:  # One row (or colour) per class.
            class_samples.save(config, gan, one_copy(device_state),
                               os.path.join(workdir, 'samples',
                                            f'classes_{step:07d}.png'),
                               title=f'{config.data.name}, step {step}')
        evaluate_now = evaluators and ((every and step % every == 0) or last)
        if checkpoint_now or evaluate_now:
          host = parallel.host_state(device_state, mode)
          if checkpoint_now:
            ckpts.save(host)
          if evaluate_now:
            evaluate.run_evaluators(evaluators, gan, host, step, workdir,
                                    writer)
        if stop.signum is not None:
          ckpts.wait()
          name = signal.Signals(stop.signum).name
          raise Interrupted(
              f'{name} received: saved a checkpoint of step {step} in '
              f'{ckpts.directory}; run the same command again to resume.',
              stop.signum)
    finally:
      writer.flush()
      ckpts.close()
      if is_chief:
        plot_loss_curves(workdir, config.data.name)

  if start >= total:
    logging.info('Nothing to train: the checkpoint is at step %d >= '
                 'train.steps=%d.', start, total)
  return parallel.host_state(device_state, mode)
