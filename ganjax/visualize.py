"""Pictures of samples: image grids, 2D scatters over the true modes, 1D
histograms against the target density. All written as PNG with matplotlib's
non-interactive backend.

Small images are unreadable at one screen pixel per pixel (an 8x8 digit is
a speck), so ``readable_grid``, the grid of every picture a run, ``launch.py
--mode=sample`` and TensorBoard show, enlarges images of at most half
``READABLE_SIZE`` (32) pixels by the largest integer factor that keeps
them at most that size (x4 for 8x8, x2 for 16x16), nearest neighbour
(each pixel a square block: nothing invented), keeping a one-pixel border
between cells; the samples themselves (``.npy``) stay raw.
"""

from __future__ import annotations

import math
import os
from typing import Sequence

import matplotlib
import matplotlib.image
from matplotlib.figure import Figure
import numpy as np


# Images at most half this size (in pixels, the shorter side) are enlarged in
# pictures by the largest integer factor that keeps them at most this size:
# 8x8 -> 32x32 (x4), 16x16 -> 32x32 (x2); 28x28 and larger stay as they are.
READABLE_SIZE = 32


def enlargement(height: int, width: int,
                readable_size: int = READABLE_SIZE) -> int:
  """The integer factor ``readable_grid`` enlarges ``height x width``
  images by: ``readable_size // min(height, width)``, at least 1."""
  return max(1, readable_size // max(1, min(height, width)))


def image_grid(images: np.ndarray, value_range: Sequence[float] = (-1, 1),
               columns: int | None = None, pad: int = 1,
               scale: int = 1) -> np.ndarray:
  """``[N, H, W, C]`` images in ``value_range`` -> one uint8 grid image,
  each image enlarged ``scale`` times (nearest neighbour).

  Returns ``[rows*(s*H+pad)+pad, cols*(s*W+pad)+pad, C]``, C being 1 or 3.
  """
  images = np.asarray(images, np.float32)
  if scale > 1:
    images = images.repeat(scale, axis=1).repeat(scale, axis=2)
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


def readable_grid(images: np.ndarray,
                  value_range: Sequence[float] = (-1, 1),
                  num_classes: int = 0,
                  columns: int | None = None) -> np.ndarray:
  """What pictures show: ``image_grid`` (``class_grid`` when
  ``num_classes``: one row per class) with images smaller than
  half ``READABLE_SIZE`` or less enlarged by ``enlargement``."""
  images = np.asarray(images)
  scale = enlargement(*images.shape[1:3])
  if num_classes:
    return class_grid(images, num_classes, value_range, scale=scale)
  return image_grid(images, value_range, columns, scale=scale)


def save_image(path: str, image: np.ndarray) -> None:
  """Writes a uint8 ``[H, W, 1 or 3]`` image as PNG, pixel for pixel."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  if image.shape[-1] == 1:
    matplotlib.image.imsave(path, image[..., 0], cmap='gray', vmin=0, vmax=255)
  else:
    matplotlib.image.imsave(path, image)


def _subplots(*args, figsize, **kwargs):
  """A figure outside pyplot: no global backend is touched, so a notebook's
  inline plots keep working, and nothing needs closing."""
  fig = Figure(figsize=figsize)
  return fig, fig.subplots(*args, **kwargs)


def _save_figure(fig, path: str) -> None:
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  fig.savefig(path, dpi=100)


def scatter_2d(path: str, samples: np.ndarray, means: np.ndarray | None = None,
               title: str = '') -> None:
  """Generated 2D samples (blue) over the true modes (red crosses)."""
  fig, ax = _subplots(figsize=(5, 5))
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
  fig, ax = _subplots(figsize=(6, 4))
  ax.hist(samples, bins=60, density=True, alpha=0.6, label='generated')
  xs = np.linspace(mean - 5 * std, mean + 5 * std, 400)
  pdf = np.exp(-0.5 * ((xs - mean) / std)**2) / (std * math.sqrt(2 * math.pi))
  ax.plot(xs, pdf, 'r-', label=f'target N({mean:g}, {std:g})')
  ax.legend(fontsize=8)
  ax.set_title(title)
  _save_figure(fig, path)


def class_labels(num_classes: int, per_class: int) -> np.ndarray:
  """``[0]*per_class + [1]*per_class + ...``: int32 ``[num_classes *
  per_class]``, the label order ``class_grid`` expects."""
  return np.repeat(np.arange(num_classes, dtype=np.int32), per_class)


def class_grid(images: np.ndarray, num_classes: int,
               value_range: Sequence[float] = (-1, 1),
               pad: int = 1, scale: int = 1) -> np.ndarray:
  """Class-major ``[num_classes * per_class, H, W, C]`` images (labels from
  ``class_labels``) -> one uint8 grid, row ``i`` = class ``i``."""
  images = np.asarray(images)
  if images.shape[0] % num_classes:
    raise ValueError(f'{images.shape[0]} images cannot be split into '
                     f'{num_classes} rows of equal length.')
  return image_grid(images, value_range,
                    columns=images.shape[0] // num_classes, pad=pad,
                    scale=scale)


def scatter_2d_by_class(path: str, samples: np.ndarray, labels: np.ndarray,
                        means: np.ndarray | None = None,
                        title: str = '') -> None:
  """Generated 2D samples coloured by the class they were asked for, over
  the true modes (crosses in the same colour: mode ``i`` is class ``i``)."""
  samples, labels = np.asarray(samples), np.asarray(labels)
  num_classes = int(labels.max()) + 1 if labels.size else 1
  if means is not None:
    num_classes = max(num_classes, len(means))
  cmap = matplotlib.colormaps[
      'tab10' if num_classes <= 10 else 'turbo'].resampled(num_classes)
  fig, ax = _subplots(figsize=(5, 5))
  ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.5, c=labels,
             cmap=cmap, vmin=-0.5, vmax=num_classes - 0.5)
  if means is not None:
    ax.scatter(means[:, 0], means[:, 1], marker='x', s=40,
               c=np.arange(len(means)), cmap=cmap, vmin=-0.5,
               vmax=num_classes - 0.5)
    span = np.abs(means).max() * 1.5 + 0.5
    ax.set_xlim(-span, span)
    ax.set_ylim(-span, span)
  ax.set_aspect('equal')
  ax.set_title(title)
  _save_figure(fig, path)


def _history_series(history, key: str) -> tuple[np.ndarray, np.ndarray]:
  """Steps and values of ``key`` in ``history``: ``(step, scalars)`` pairs
  or dicts with a ``'step'`` (e.g. the lines of ``metrics.jsonl``); entries
  without ``key`` or with a None / non-finite value are skipped."""
  steps, values = [], []
  for entry in history:
    if isinstance(entry, dict):
      step, scalars = entry['step'], entry
    else:
      step, scalars = entry
    value = scalars.get(key)
    if value is None:
      continue
    value = float(value)
    if math.isfinite(value):
      steps.append(int(step))
      values.append(value)
  return np.asarray(steps), np.asarray(values)


def loss_curves(path: str, history, keys: Sequence[str] = ('d_loss',
                                                           'g_loss'),
                title: str = 'losses') -> None:
  """The D and G losses against the training step, as an 800x400 PNG.

  Args:
    path: the PNG to write.
    history: ``(step, scalars)`` pairs or dicts with ``'step'``, in any
      order (sorted by step here).
    keys: the scalars to draw, one line each.
    title: the figure's title.
  """
  fig, ax = _subplots(figsize=(8, 4))
  for key in keys:
    steps, values = _history_series(history, key)
    order = np.argsort(steps, kind='stable')
    ax.plot(steps[order], values[order], label=key)
  ax.set_xlabel('step')
  ax.set_ylabel('loss')
  ax.grid(alpha=0.3)
  if keys:
    ax.legend(fontsize=8)
  ax.set_title(title)
  _save_figure(fig, path)


def metric_curves(path: str, history, keys: Sequence[str],
                  title: str = '') -> None:
  """One small panel per metric against the step (e.g. the records of
  ``metrics.jsonl``): 4 x 3 inches (400x300 pixels) per panel, at most 3
  panels a row, so ``ceil(k / 3) * 300`` pixels high and
  ``min(k, 3) * 400`` wide for ``k`` keys."""
  keys = list(keys)
  if not keys:
    raise ValueError('metric_curves needs at least one key.')
  cols = min(len(keys), 3)
  rows = int(math.ceil(len(keys) / cols))
  fig, axes = _subplots(rows, cols, figsize=(4 * cols, 3 * rows),
                           squeeze=False)
  for i, ax in enumerate(axes.reshape(-1)):
    if i >= len(keys):
      ax.set_axis_off()
      continue
    steps, values = _history_series(history, keys[i])
    order = np.argsort(steps, kind='stable')
    ax.plot(steps[order], values[order], marker='.')
    ax.set_title(keys[i], fontsize=9)
    ax.set_xlabel('step', fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
  if title:
    fig.suptitle(title)
  fig.tight_layout()
  _save_figure(fig, path)
