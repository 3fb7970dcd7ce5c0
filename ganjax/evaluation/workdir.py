"""A trained workdir back: its config, GAN and latest checkpoint; samples and
metrics from it (what ``launch.py --mode=sample`` / ``--mode=eval`` run).
"""

from __future__ import annotations

import os
from typing import Any

import jax
import ml_collections
import numpy as np

from ganjax import (checkpoint, errors, families, sampling, truncation,
                    visualize)
from ganjax.workdir import load_config
from ganjax.evaluation import registry


def load_workdir(workdir: str, step: int | None = None
                 ) -> tuple[ml_collections.ConfigDict, Any, Any]:
  """The config, the family's spec and host state of ``workdir`` at its latest (or
  the given) checkpoint. Reads only: nothing in ``workdir`` is created,
  moved or changed."""
  workdir = os.path.expanduser(workdir)
  config = load_config(workdir)
  gan, template = families.build(config)
  directory = os.path.join(workdir, 'checkpoints')
  if not os.path.isdir(directory):
    raise errors.CheckpointError(
        f'{os.path.abspath(workdir)} has no checkpoint yet: train first.')
  ckpts = checkpoint.Checkpoints(directory, read_only=True)
  try:
    if step is None:  # The newest readable one.
      state = ckpts.restore_latest_good(template)
      if state is None:
        raise errors.CheckpointError(
            f'{os.path.abspath(workdir)} has no checkpoint yet: train first.')
    else:
      state = ckpts.restore(template, step)
    state = jax.device_get(state)
  finally:
    ckpts.close()
  return config, gan, state


def sample_from_workdir(workdir: str, num: int = 64, seed: int = 0,
                        npy: bool = False, step: int | None = None,
                        path: str | None = None,
                        jacobian_truncation: float | None = None) -> str:
  """Writes ``num`` samples of the latest checkpoint as a picture.

  Images: a grid; 2D toy data: a scatter over the true modes; 1D: a
  histogram against the target density. A class-conditional GAN draws
  ``ceil(num / classes)`` samples of every class (``num`` is rounded up to
  a multiple of the classes): grid row c, or scatter colour c, is class c.
  With ``npy`` the samples ``[num, *data_shape]`` are also saved next to
  the PNG with the same name and ``.npy``. ``jacobian_truncation``
  overrides the run's ``config.model.jacobian_truncation`` (e.g. 0.0: every
  latent kept; ``ganjax.truncation``).

  Returns:
    The PNG's path: ``path`` or
    ``workdir/samples/sample_step_<step>_seed_<seed>_num_<num>.png``
    (``..._num_<num>_truncation_<fraction>.png`` when the latents are
    truncated, so the two never overwrite each other).
  """
  check_num(num)
  workdir = os.path.expanduser(workdir)
  config, gan, state = load_workdir(workdir, step)
  gan = truncation.with_fraction(gan, jacobian_truncation)
  labels = None
  if gan.num_classes:
    per_class = -(-num // gan.num_classes)
    labels = visualize.class_labels(gan.num_classes, per_class)
    num = len(labels)
  samples = sampling.generate(gan, state, num, seed, labels=labels)
  at = int(state.step)
  if path is None:
    path = os.path.join(workdir, 'samples',
                        f'sample_step_{at:07d}_seed_{seed}_num_{num}'
                        + (f'_truncation_{gan.jacobian_truncation:g}'
                           if gan.jacobian_truncation else '') + '.png')
  title = f'{config.data.name}, step {at}'
  try:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    sampling.save_picture(config, samples, path, title, labels,
                          gan.num_classes)
    if npy:
      np.save(os.path.splitext(path)[0] + '.npy', samples)
  except OSError as e:
    raise errors.WorkdirError(
        f'cannot write the picture {os.path.abspath(path)} ({e.strerror}); '
        'write it elsewhere with --output=PATH (ganjax.evaluation.'
        'sample_from_workdir(..., path=PATH)).') from None
  return path


def check_num(num) -> None:
  """``num`` samples: a positive integer, or one line saying so."""
  if isinstance(num, bool) or not isinstance(num, int) or num < 1:
    raise errors.ConfigError(f'num={num!r} is not allowed: use a positive '
                             'integer.')


def evaluate_workdir(workdir: str, step: int | None = None,
                     write: bool = False, seed: int | None = None,
                     evaluators: str | None = None) -> dict[str, float]:
  """Runs the evaluators of the workdir's config on its latest (or the
  given) checkpoint.

  Args:
    workdir: a trained workdir.
    step: the checkpoint (default: the latest).
    write: also append the record to ``workdir/metrics.jsonl``.
    seed: latent seed (default ``config.eval.seed``, as during training).
    evaluators: instead of the config's ``eval.evaluators`` (the same
      syntax, e.g. 'classifier,inception').

  Returns:
    ``{'step': step, metric: value, ...}``.
  """
  workdir = os.path.expanduser(workdir)
  config, gan, state = load_workdir(workdir, step)
  if evaluators is not None:
    config.eval.evaluators = evaluators
  built = registry.build_evaluators(config, workdir)
  return registry.run_evaluators(built, gan, state,
                                       int(state.step),
                                       workdir if write else None,
                                       seed=seed)
