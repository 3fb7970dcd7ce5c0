"""Data by name from ``config.data``: toy distributions and TFDS images.

``config.data`` fields:

* ``name``: one of ``DATASETS``: the toy distributions ``gaussian1d``,
  ``ring8``, ``grid25`` (``ganjax.data.toy``); the TFDS datasets ``mnist``,
  ``fashion_mnist``, ``svhn_cropped``, ``cifar10``; ``digits``
  (scikit-learn's 8x8 digits, prepared offline, ``ganjax.data.digits``);
  ``image_folder`` (``config.data.path``).
* ``split``: the TFDS split to train on (images only), e.g. ``'train'``.
* ``image_size``: output height = width; 0 keeps the dataset's own size
  (an image folder needs one: its images may differ in size).
* ``channels``: 1 (grayscale, converting RGB as seed 004 does) or 3; 0 keeps
  the dataset's own.
* ``value_range``: pixel range, ``(-1, 1)`` for tanh generators, ``(0, 1)``
  for sigmoid ones.
* ``data_dir``: where TFDS keeps prepared datasets (None: its default,
  ``~/tensorflow_datasets``); ``digits`` is prepared there on first use.
* ``path``: for ``image_folder``: a folder ``path/<split>/<class>/<image>``
  (jpg, jpeg, png; the class folders become labels) or a prepared TFDS
  directory (the one holding ``dataset_info.json``).
* ``shuffle_buffer``: tf.data shuffle buffer, in examples.
* ``on_device``: keep the whole split on the device(s) and draw batches there
  (``ganjax.data.on_device``), for datasets that fit in device memory.

Every stream yields, per training step, a dict
``{'x': float32 [n_critic, per_process_batch, *shape], 'label': int32
[n_critic, per_process_batch]}``: the real batch of each critic update and
its class labels (the mode index for toy mixtures; 0 for unlabelled
images). The arrays are numpy arrays, or ``jax.Array`` already on the
device(s) with ``on_device``.

Determinism: the batches of step ``s`` depend only on the seed, the process
and ``s`` (and the data), so the same seed gives the same batches and
``make_stream(config, start_step=N)`` yields exactly batches N, N+1, ... of
an uninterrupted stream: a resumed run continues where it stopped. The
tf.data path gets there by skipping the examples of steps 0..N-1 (time
linear in N, see ``images.image_stream``); toy and on-device streams compute
step N directly.
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
    'digits': (8, 8, 1),
}
DATASETS = tuple(toy.TOY) + images.IMAGE_DATASETS


def _check_name(name: str) -> None:
  if name not in DATASETS:
    raise errors.ConfigError(
        f'config.data.name={name!r} is not a known dataset; choose one of '
        f'{list(DATASETS)}.')


def is_image(config: ml_collections.ConfigDict) -> bool:
  _check_name(config.data.name)
  return config.data.name in images.IMAGE_DATASETS


def _native_shape(d: ml_collections.ConfigDict) -> tuple:
  if d.name in NATIVE_SHAPES:
    return NATIVE_SHAPES[d.name]
  return images.native_shape(images.open_builder(d.name, path=d.path))


def data_shape(config: ml_collections.ConfigDict) -> tuple[int, ...]:
  """The shape of one example: ``(dim,)`` for toy data, ``(H, W, C)``."""
  d = config.data
  _check_name(d.name)
  if d.name in toy.TOY:
    return (toy.TOY[d.name].dim,)
  size = d.image_size or 0
  channels = d.channels or 0
  if size < 0 or channels not in (0, 1, 3):
    raise errors.ConfigError(
        f'config.data.image_size={size} / config.data.channels={channels} '
        'are not allowed; use a positive size (or 0 for the native one) and '
        '1 or 3 channels (or 0 for the native ones).')
  h, w, c = _native_shape(d)
  if not size and (h is None or w is None):
    raise errors.ConfigError(
        f'config.data.image_size=0 is not allowed for {d.name!r}: its images '
        'differ in size; set the size to resize them to, e.g. '
        '--config.data.image_size=64.')
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
                seed: int | None = None,
                on_device: bool | None = None) -> Iterator[dict]:
  """The training stream: one ``{'x', 'label'}`` batch per step, from step
  ``start_step`` on.

  ``batch_shape``, ``seed`` and ``on_device`` default to the training ones
  (``(n_critic, per-process batch)``, ``config.seed`` and
  ``config.data.on_device``). Everything that can be wrong with the data
  (not prepared, unreadable files, bad split) fails here, before the caller
  compiles anything.
  """
  d = config.data
  _check_name(d.name)
  if batch_shape is None:
    batch_shape = (config.train.n_critic, per_process_batch(config))
  batch_shape = tuple(int(b) for b in batch_shape)
  seed = config.seed if seed is None else seed
  if on_device is None:
    on_device = bool(d.on_device)
  process, processes = jax.process_index(), jax.process_count()
  if d.name in toy.TOY:
    return toy.toy_stream(toy.TOY[d.name], batch_shape, seed, start_step,
                          process)
  shape = data_shape(config)
  builder = images.open_builder(d.name, d.data_dir,
                                d.path)
  split = d.split
  value_range = tuple(d.value_range)
  if on_device:
    from ganjax.data import on_device as on_device_lib  # pylint: disable=g-import-not-at-top
    x, labels = images.load_arrays(builder, split, shape, process, processes)
    return on_device_lib.OnDeviceStream(x, labels, batch_shape, value_range,
                                        seed, start_step, process)
  return images.image_stream(
      builder, split, shape, value_range, batch_shape, seed,
      start_step=start_step, shuffle_buffer=d.shuffle_buffer,
      process_index=process, process_count=processes)


def sample_real(config: ml_collections.ConfigDict, num: int,
                seed: int = 0) -> dict[str, np.ndarray]:
  """``num`` real examples ``{'x': [num, *shape], 'label': [num]}`` (numpy,
  read on the host whatever ``config.data.on_device`` says)."""
  return next(make_stream(config, batch_shape=(num,), seed=seed,
                          on_device=False))
