"""Pictures of samples: image grids, 2D scatters over the true modes, 1D
histograms against the target density. All written as PNG with matplotlib's
non-interactive backend."""

from __future__ import annotations

import math
import os
from typing import Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np


def image_grid(images: np.ndarray, value_range: Sequence[float] = (-1, 1),
               columns: int | None = None, pad: int = 1) -> np.ndarray:
  """``[N, H, W, C]`` images in ``value_range`` -> one uint8 grid image.

  Returns ``[rows*(H+pad)+pad, cols*(W+pad)+pad, C]``, C being 1 or 3.
  """
  images = np.asarray(images, np.float32)
  n, h, w, c = images.shape
  lo, hi = value_range
  images = np.clip((images - lo) / (hi - lo), 0.0, 1.0)
  cols = columns or int(math.ceil(math.sqrt(n)))
  rows = int(math.ceil(n / cols))
  grid = np.ones((rows * (h + pad) + pad, cols * (w + pad) + pad, c),
                 np.float32)
  for i in range(n):
    r, col = divmod(i, cols)
    y, x = pad + r * (h + pad), pad + col * (w + pad)
    grid[y:y + h, x:x + w] = images[i]
  return (grid * 255).round().astype(np.uint8)


def save_image(path: str, image: np.ndarray) -> None:
  """Writes a uint8 ``[H, W, 1 or 3]`` image as PNG, pixel for pixel."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  if image.shape[-1] == 1:
    plt.imsave(path, image[..., 0], cmap='gray', vmin=0, vmax=255)
  else:
    plt.imsave(path, image)


def _save_figure(fig, path: str) -> None:
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  fig.savefig(path, dpi=100)
  plt.close(fig)


def scatter_2d(path: str, samples: np.ndarray, means: np.ndarray | None = None,
               title: str = '') -> None:
  """Generated 2D samples (blue) over the true modes (red crosses)."""
  fig, ax = plt.subplots(figsize=(5, 5))
  ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.5, label='generated')
  if means is not None:
    ax.scatter(means[:, 0], means[:, 1], marker='x', c='red', s=40,
               label='true modes')
    span = np.abs(means).max() * 1.5 + 0.5
    ax.set_xlim(-span, span)
    ax.set_ylim(-span, span)
  ax.set_aspect('equal')
  ax.legend(loc='upper right', fontsize=8)
  ax.set_title(title)
  _save_figure(fig, path)


def histogram_1d(path: str, samples: np.ndarray, mean: float, std: float,
                 title: str = '') -> None:
  """Histogram of generated values against the target normal density."""
  samples = np.asarray(samples).reshape(-1)
  fig, ax = plt.subplots(figsize=(6, 4))
  ax.hist(samples, bins=60, density=True, alpha=0.6, label='generated')
  xs = np.linspace(mean - 5 * std, mean + 5 * std, 400)
  pdf = np.exp(-0.5 * ((xs - mean) / std)**2) / (std * math.sqrt(2 * math.pi))
  ax.plot(xs, pdf, 'r-', label=f'target N({mean:g}, {std:g})')
  ax.legend(fontsize=8)
  ax.set_title(title)
  _save_figure(fig, path)
