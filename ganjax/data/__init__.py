"""Data by name from ``config.data``: toy distributions and TFDS images.

``config.data`` fields:

* ``name``: one of ``DATASETS``.
* ``split``: the TFDS split to train on (images only), e.g. ``'train'``.
* ``image_size``: output height = width; 0 keeps the dataset's own size.
* ``channels``: 1 (grayscale, converting RGB as seed 004 does) or 3; 0 keeps
  the dataset's own.
* ``value_range``: pixel range, ``(-1, 1)`` for tanh generators, ``(0, 1)``
  for sigmoid ones.
* ``data_dir``: where TFDS keeps prepared datasets (None: its default).
* ``shuffle_buffer``: tf.data shuffle buffer, in examples.

Every stream yields, per training step, a dict of numpy arrays
``{'x': [n_critic, per_process_batch, *shape], 'label': [n_critic,
per_process_batch]}``: the real batch of each critic update and its class
labels (the mode index for toy mixtures).
"""

from __future__ import annotations

from typing import Iterator, Sequence

import jax
import ml_collections
import numpy as np

from ganjax import errors
from ganjax.data import images, toy

NATIVE_SHAPES = {
    'mnist': (28, 28, 1),
    'fashion_mnist': (28, 28, 1),
    'svhn_cropped': (32, 32, 3),
    'cifar10': (32, 32, 3),
}
DATASETS = tuple(toy.TOY) + images.IMAGE_DATASETS


def _check_name(name: str) -> None:
  if name not in DATASETS:
    raise errors.ConfigError(
        f'config.data.name={name!r} is not a known dataset; choose one of '
        f'{list(DATASETS)}.')


def is_image(config: ml_collections.ConfigDict) -> bool:
  _check_name(config.data.name)
  return config.data.name in NATIVE_SHAPES


def data_shape(config: ml_collections.ConfigDict) -> tuple[int, ...]:
  """The shape of one example: ``(dim,)`` for toy data, ``(H, W, C)``."""
  d = config.data
  _check_name(d.name)
  if d.name in toy.TOY:
    return (toy.TOY[d.name].dim,)
  h, w, c = NATIVE_SHAPES[d.name]
  size = d.get('image_size', 0) or 0
  channels = d.get('channels', 0) or 0
  if size < 0 or channels not in (0, 1, 3):
    raise errors.ConfigError(
        f'config.data.image_size={size} / config.data.channels={channels} '
        'are not allowed; use a positive size (or 0 for the native one) and '
        '1 or 3 channels (or 0 for the native ones).')
  return (size or h, size or w, channels or c)


def toy_distribution(config: ml_collections.ConfigDict) -> toy.ToyDistribution:
  return toy.TOY[config.data.name]


def per_process_batch(config: ml_collections.ConfigDict) -> int:
  """``config.train.batch_size`` is global: this process's share."""
  batch = config.train.batch_size
  processes = jax.process_count()
  devices = jax.device_count()
  if batch <= 0 or batch % devices:
    raise errors.ConfigError(
        f'config.train.batch_size={batch} must be a positive multiple of the '
        f'{devices} devices in use; e.g. '
        f'--config.train.batch_size={max(devices, batch // devices * devices)}.')
  return batch // processes


def make_stream(config: ml_collections.ConfigDict, start_step: int = 0, *,
                batch_shape: Sequence[int] | None = None,
                seed: int | None = None) -> Iterator[dict[str, np.ndarray]]:
  """The training stream: one ``{'x', 'label'}`` batch per step.

  ``batch_shape`` and ``seed`` default to the training ones
  (``(n_critic, per-process batch)`` and ``config.seed``).
  """
  d = config.data
  if batch_shape is None:
    batch_shape = (config.train.n_critic, per_process_batch(config))
  seed = config.seed if seed is None else seed
  if d.name in toy.TOY:
    return toy.toy_stream(toy.TOY[d.name], tuple(batch_shape), seed,
                          start_step, jax.process_index())
  return images.image_stream(
      d.name, d.get('split', 'train'), data_shape(config),
      tuple(d.get('value_range', (-1.0, 1.0))), tuple(batch_shape), seed,
      start_step=start_step, data_dir=d.get('data_dir', None),
      shuffle_buffer=d.get('shuffle_buffer', 10_000))


def sample_real(config: ml_collections.ConfigDict, num: int,
                seed: int = 0) -> dict[str, np.ndarray]:
  """``num`` real examples ``{'x': [num, *shape], 'label': [num]}``."""
  return next(make_stream(config, batch_shape=(num,), seed=seed))
