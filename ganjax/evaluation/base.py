"""The evaluator base class and the registry.

An evaluator is a small class registered under its ``name``: it knows when
it applies (``applies(config)``), checks its own options
(``config.eval.<name>``, when it has any) and turns a model's samples into
metrics (``evaluate(spec, state, rng_seed) -> {metric: float}``, on a host
state of any family). Adding one is one file that defines a subclass with
``@register`` and its options in ``config_lib.base_config()``; the file is
imported by ``ganjax/evaluation/__init__.py``.
"""

from __future__ import annotations

from typing import Any

import ml_collections
import numpy as np

from ganjax import errors, families, sampling
from ganjax.evaluation.real_data import RealData

REGISTRY: dict[str, type[Evaluator]] = {}


def register(cls: type[Evaluator]) -> type[Evaluator]:
  """Adds ``cls`` to the registry under ``cls.name``."""
  if cls.name in REGISTRY:
    raise ValueError(f'two evaluators are called {cls.name!r}.')
  REGISTRY[cls.name] = cls
  return cls


def fail(field: str, value, allowed: str) -> None:
  """One line naming a ``config.eval`` field, its value and what is
  allowed."""
  raise errors.ConfigError(f'config.eval.{field}={value!r} is not allowed: '
                           f'{allowed}.')


def has_discriminator(config: ml_collections.ConfigDict) -> bool:
  return families.get(config.family).discriminate is not None


class Evaluator:
  """Base: ``evaluate(spec, state, rng_seed) -> {metric: float}``.

  ``rng_seed`` picks the latent vectors, so the same seed evaluates every
  checkpoint on the same z. Shared options: ``config.eval.num_samples``,
  ``eval.seed``, ``eval.batch_size``.
  """
  name = ''
  metric_names: tuple[str, ...] = ()
  auto = True  # Chosen by eval.evaluators='auto' where it applies.

  def __init__(self, config: ml_collections.ConfigDict, real: RealData):
    self.config = config
    self.real = real
    self.seed = int(config.eval.seed)
    self.num_samples = int(config.eval.num_samples)
    self.batch_size = int(config.eval.batch_size)

  @classmethod
  def applies(cls, config: ml_collections.ConfigDict) -> bool:
    """Whether this evaluator can score ``config``'s data and family."""
    raise NotImplementedError

  @classmethod
  def chosen_by_auto(cls, config: ml_collections.ConfigDict) -> bool:
    """Whether ``eval.evaluators='auto'`` picks this evaluator."""
    return cls.auto and cls.applies(config)

  @classmethod
  def check(cls, config: ml_collections.ConfigDict) -> None:
    """Raises ``ConfigError`` on a bad ``config.eval.<name>`` option."""
    del config

  def samples(self, spec: Any, state: Any, rng_seed: int) -> np.ndarray:
    return sampling.generate(spec, state, self.num_samples, rng_seed,
                             self.batch_size)

  def evaluate(self, spec: Any, state: Any,
               rng_seed: int) -> dict[str, float]:
    raise NotImplementedError

  def __repr__(self):
    return f'{type(self).__name__}(num_samples={self.num_samples})'
