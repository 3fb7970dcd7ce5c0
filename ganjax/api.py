"""The programmatic API, for notebooks and scripts.

    import ganjax
    config = ganjax.get_config('default', **{'train.steps': 2000})
    result = ganjax.train(config, 'runs/nb')      # progress bar
    images = ganjax.sample(result, num=64)         # numpy [64, *data_shape]
    again = ganjax.load('runs/nb')                 # a trained workdir back
    metrics = ganjax.evaluate(again)               # {'step', 'fid', ...}
    frames = ganjax.interpolate(again, num=10)     # [10, *data_shape]
"""

from __future__ import annotations

import copy
import dataclasses
import os
from typing import Any

import ml_collections
import numpy as np

from ganjax import evaluation as evaluate_lib
from ganjax import data, errors, families, sampling, truncation
from ganjax import loop as train_lib
from ganjax.config_lib import get_config

__all__ = ['Trained', 'get_config', 'train', 'load', 'sample', 'evaluate',
           'interpolate']


@dataclasses.dataclass
class Trained:
  """A trained model: its config, its family's static spec
  (``ganjax.families``), host state and workdir."""
  config: ml_collections.ConfigDict
  spec: Any
  state: Any
  workdir: str | None = None

  @property
  def step(self) -> int:
    return int(self.state.step)

  @property
  def gan(self) -> Any:
    """The spec under its older name (notebooks written for GANs only)."""
    return self.spec


def _progress_bar(total: int):
  from tqdm.auto import tqdm  # pylint: disable=g-import-not-at-top
  bar = tqdm(total=total, unit='step')

  def update(step, total, scalars):
    bar.n = step
    bar.set_postfix({k: f'{v:.3g}' for k, v in scalars.items()
                     if k in ('d_loss', 'g_loss')})
    bar.refresh()
    if step >= total:
      bar.close()
  return update


def _live_picture():
  """``(step, path) -> None`` that shows the picture at ``path`` in the
  notebook, in place of the one it showed before."""
  try:
    from IPython import display  # pylint: disable=g-import-not-at-top
  except ImportError:
    raise errors.ConfigError(
        'show_samples=True shows the pictures in a notebook, and IPython is '
        'not installed here; leave it False and open the workdir\'s '
        'samples/*.png.') from None
  handle = None

  def show(step, path):
    del step
    nonlocal handle
    image = display.Image(filename=path)
    if handle is None:
      handle = display.display(image, display_id=True)
    else:
      handle.update(image)
  return show


def train(config: ml_collections.ConfigDict, workdir: str,
          progress: bool = True, show_samples: bool = False) -> Trained:
  """Trains ``config`` in ``workdir`` (resuming from its last checkpoint).

  Args:
    config: e.g. ``ganjax.get_config('default')``.
    workdir: where checkpoints, samples, TensorBoard events go.
    progress: show a tqdm progress bar (notebook-aware), updated at every
      log point.
    show_samples: in a notebook, show the sample picture inline, replaced
      by the new one every ``train.sample_every`` steps (IPython's display).

  Returns:
    ``Trained``: pass it to ``ganjax.sample``.
  """
  callback = _progress_bar(config.train.steps) if progress else None
  state = train_lib.train_and_evaluate(
      config, workdir, progress=callback,
      on_picture=_live_picture() if show_samples else None)
  # The spec only: a fresh state would be built (and compiled) for nothing.
  spec = families.build_spec(config, data.data_shape(config))
  return Trained(config, spec, state, os.path.abspath(workdir))


def load(workdir: str, step: int | None = None) -> Trained:
  """The model trained in ``workdir``, at its latest readable (or the given)
  checkpoint."""
  config, gan, state = evaluate_lib.load_workdir(workdir, step)
  return Trained(config, gan, state, os.path.abspath(workdir))


def evaluate(trained: Trained | str, write: bool = False,
             evaluators: str | None = None) -> dict:
  """Runs the config's evaluators (``config.eval``) on a trained GAN or a
  workdir's latest checkpoint; returns ``{'step': ..., metric: value}``.

  ``write=True`` also appends the record to ``workdir/metrics.jsonl``;
  ``evaluators`` (e.g. 'classifier,inception') replaces the config's
  ``eval.evaluators``.
  """
  if isinstance(trained, str):
    return evaluate_lib.evaluate_workdir(trained, write=write,
                                         evaluators=evaluators)
  config = trained.config
  if evaluators is not None:
    config = copy.deepcopy(config)
    config.eval.evaluators = evaluators
  built = evaluate_lib.build_evaluators(config, trained.workdir)
  return evaluate_lib.run_evaluators(
      built, trained.spec, trained.state, trained.step,
      trained.workdir if write else None)


def interpolate(trained: Trained, num: int = 10, seed: int = 0,
                label: int = 0) -> np.ndarray:
  """``num`` samples ``[num, *data_shape]`` along the path between two
  latents drawn from ``seed`` (spherical for Gaussian latents;
  ``ganjax.sampling.interpolation``), all of class ``label`` for a
  conditional model."""
  evaluate_lib.check_num(num)
  classes = trained.spec.num_classes
  if classes and not (isinstance(label, int) and 0 <= label < classes):
    raise errors.ConfigError(f'label={label!r} is not allowed: use a class '
                             f'in [0, {classes}).')
  return sampling.interpolation(trained.spec, trained.state, num, seed, label)


def sample(trained: Trained, num: int = 64, seed: int = 0,
           labels: np.ndarray | None = None,
           jacobian_truncation: float | None = None) -> np.ndarray:
  """``num`` samples ``[num, *data_shape]`` from the model
  (``ganjax.sampling.generate``; its z from ``PRNGKey(seed)``).

  For a class-conditional GAN, ``labels`` [num] picks the classes (default:
  cycling through all classes). With ``config.model.jacobian_truncation``
  the latents are drawn by ``ganjax.truncation``; ``jacobian_truncation``
  overrides it for this call (e.g. 0.0: every latent kept).
  """
  evaluate_lib.check_num(num)
  spec = truncation.with_fraction(trained.spec, jacobian_truncation)
  return sampling.generate(spec, trained.state, num, seed, labels=labels)
