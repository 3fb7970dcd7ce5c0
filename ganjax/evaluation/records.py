"""Recording evaluations: ``workdir/metrics.jsonl`` (one JSON object per
evaluation, with ``step``) and TensorBoard scalars under ``eval/<metric>``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import jax
import numpy as np

METRICS_FILE = 'metrics.jsonl'


def _json_value(value: float) -> float | None:
  """Strict JSON has no NaN or Infinity: non-finite values become null."""
  value = float(value)
  return value if np.isfinite(value) else None


def record(step: int, results: dict[str, float], workdir: str | None,
           writer: Any = None) -> None:
  """Appends ``{"step": step, metric: value, ...}`` to
  ``workdir/metrics.jsonl`` (non-finite values as null; process 0 only, and
  only when ``workdir`` is given) and writes the scalars to ``writer`` (a
  clu metric writer) under ``eval/<metric>``, apart from the training
  scalars of the same name (``d_real``, ``d_fake``)."""
  if workdir is not None and jax.process_index() == 0:
    os.makedirs(workdir, exist_ok=True)
    line = json.dumps({'step': step, **{k: _json_value(v)
                                        for k, v in results.items()}},
                      allow_nan=False)
    with open(os.path.join(workdir, METRICS_FILE), 'a') as f:
      f.write(line + '\n')
  if writer is not None and results:
    writer.write_scalars(step, {f'eval/{k}': v for k, v in results.items()})
    writer.flush()


def read_metrics(workdir: str) -> list[dict[str, Any]]:
  """The records of ``workdir/metrics.jsonl``, oldest first."""
  path = os.path.join(workdir, METRICS_FILE)
  if not os.path.exists(path):
    return []
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]
