"""Evaluators by name: which apply, building them from ``config.eval``,
running them.

``config.eval.evaluators`` is ``'auto'`` (every registered evaluator that
applies to the data and family: labelled images -> classifier, an image
folder of one class (unlabelled) -> selfsup, 1D -> gaussian1d, 2D
mixtures -> mixture, and equilibrium when the family has a discriminator;
``inception`` only when named), ``'none'``, or a comma-separated list of names.
"""

from __future__ import annotations

from typing import Any

import ml_collections

from ganjax import config_lib
from ganjax.evaluation import records
from ganjax.evaluation.base import REGISTRY, Evaluator, fail
from ganjax.evaluation.real_data import RealData


def auto_evaluators(config: ml_collections.ConfigDict) -> list[str]:
  """The registered evaluators that apply to ``config``."""
  return [name for name, cls in REGISTRY.items()
          if cls.chosen_by_auto(config)]


def evaluator_names(config: ml_collections.ConfigDict) -> list[str]:
  """``config.eval.evaluators`` as a list: 'auto', a comma-separated string
  or a list of names; '' or 'none' for no evaluators."""
  value = config.eval.evaluators
  if isinstance(value, str):
    names = [v.strip() for v in value.split(',') if v.strip()]
  else:
    names = [str(v).strip() for v in value]
  if names == ['auto']:
    return auto_evaluators(config)
  if names in ([], ['none']):
    return []
  return names


def validate(config: ml_collections.ConfigDict) -> None:
  """Raises ``ConfigError`` naming the first bad ``config.eval`` field."""
  e = config.eval
  for field, low in (('every', 0), ('num_samples', 2), ('batch_size', 1),
                     ('kid_subsets', 1), ('kid_subset_size', 2),
                     ('nearest_k', 1)):
    value = e[field]
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
      fail(field, value, f'use an integer >= {low}')
  if not isinstance(e.at_end, bool):
    fail('at_end', e.at_end, 'use True (evaluate after the last step too) '
         'or False')
  for cls in REGISTRY.values():
    cls.check(config)
  for name in evaluator_names(config):
    if name not in REGISTRY:
      fail('evaluators', e.evaluators,
           f'{name!r} is not an evaluator; use "auto", "none" or a '
           f'comma-separated list of {list(REGISTRY)}')
    if not REGISTRY[name].applies(config):
      fail('evaluators', e.evaluators,
           f'{name!r} does not apply to data {config.data.name!r} and '
           f'family {config.family!r}; "auto" picks '
           f'{auto_evaluators(config)}')


def build_evaluators(config: ml_collections.ConfigDict,
                     workdir: str | None = None) -> list[Evaluator]:
  """The evaluators ``config.eval.evaluators`` names, validated now.

  ``workdir`` is accepted for evaluators that keep files next to the run;
  the classifier cache lives in ``config.eval.classifier.cache_dir`` so
  that it is trained once per dataset, not once per run.
  """
  del workdir  # No evaluator keeps per-run files yet.
  config_lib.check_complete(config)
  validate(config)
  real = RealData(config)
  return [REGISTRY[name](config, real) for name in evaluator_names(config)]


def run_evaluators(evaluators: list[Evaluator], spec: Any, state: Any,
                   step: int, workdir: str | None, writer: Any = None,
                   seed: int | None = None) -> dict[str, float]:
  """Runs every evaluator on the host ``state`` and records the result
  (``records.record``: ``workdir/metrics.jsonl`` and ``writer``).

  Args:
    evaluators: from ``build_evaluators``.
    spec: the family's static spec.
    state: a host (unreplicated) state.
    step: the training step the state is at.
    workdir: the run's directory, or None to write no file.
    writer: optional ``clu.metric_writers`` writer.
    seed: the latent seed of every evaluator (default: each one's
      ``config.eval.seed``, the same z at every evaluation).

  Returns:
    ``{'step': step, **metrics}`` (floats, non-finite ones kept).
  """
  step = int(step)
  results: dict[str, float] = {}
  for ev in evaluators:
    out = ev.evaluate(spec, state, ev.seed if seed is None else seed)
    results.update({k: float(v) for k, v in out.items()})
  records.record(step, results, workdir, writer)
  return {'step': step, **results}
