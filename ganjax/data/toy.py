"""Toy distributions, generated from a seed and streamed without end.

* ``gaussian1d``: N(4, 1.25), the target of seed 003.
* ``ring8``: 8 Gaussians with means (cos 2 pi i/8, sin 2 pi i/8), std 0.01.
* ``grid25``: 25 Gaussians with means {-4, -2, 0, 2, 4}^2, std 0.05.

Ring and grid follow the PacGAN protocol so published tables compare. The
batch for training step ``s`` depends only on ``(seed, s, process)``, so a
resumed run reads exactly the stream an uninterrupted run would have read.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator

import numpy as np


@dataclasses.dataclass(frozen=True)
class ToyDistribution:
  """A mixture of isotropic Gaussians with equal weights."""
  name: str
  means: np.ndarray  # [modes, dim]
  std: float

  @property
  def dim(self) -> int:
    return self.means.shape[1]

  @property
  def num_modes(self) -> int:
    return self.means.shape[0]

  def sample(self, rng: np.random.Generator,
             num: int) -> tuple[np.ndarray, np.ndarray]:
    """``num`` samples ``[num, dim]`` and the index of each one's mode."""
    modes = rng.integers(0, len(self.means), size=num)
    noise = rng.standard_normal((num, self.dim))
    x = (self.means[modes] + self.std * noise).astype(np.float32)
    return x, modes.astype(np.int32)


def _ring(num_modes: int = 8, radius: float = 1.0) -> np.ndarray:
  angles = 2 * np.pi * np.arange(num_modes) / num_modes
  return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _grid(values=(-4.0, -2.0, 0.0, 2.0, 4.0)) -> np.ndarray:
  return np.array([(x, y) for x in values for y in values], np.float64)


TOY = {
    'gaussian1d': ToyDistribution('gaussian1d', np.array([[4.0]]), 1.25),
    'ring8': ToyDistribution('ring8', _ring(), 0.01),
    'grid25': ToyDistribution('grid25', _grid(), 0.05),
}


def toy_stream(dist: ToyDistribution, batch_shape: tuple[int, ...], seed: int,
               start_step: int = 0,
               process_index: int = 0) -> Iterator[dict[str, np.ndarray]]:
  """Yields ``{'x': [*batch_shape, dim], 'label': [*batch_shape]}`` (the
  label is the mode index), one per training step."""
  num = int(np.prod(batch_shape))
  step = start_step
  while True:
    rng = np.random.default_rng([seed, step, process_index])
    x, modes = dist.sample(rng, num)
    yield {'x': x.reshape(tuple(batch_shape) + (dist.dim,)),
           'label': modes.reshape(tuple(batch_shape))}
    step += 1
