"""TFDS image datasets through tf.data, batched for the training step.

Sources (``open_builder``):

* the TFDS catalogue datasets of ``DOWNLOAD_HOSTS`` (``mnist``,
  ``fashion_mnist``, ``svhn_cropped``, ``cifar10``), prepared in ``data_dir``
  or downloaded there when the network reaches their host;
* ``digits`` (``ganjax.data.digits``): prepared from scikit-learn's bundled
  array, never needs the network;
* ``image_folder``: ``config.data.path`` is either a prepared TFDS directory
  (it holds ``dataset_info.json``; read with ``tfds.builder_from_directory``)
  or a folder ``path/<split>/<class>/<image>.{jpg,jpeg,png}`` read with
  ``tfds.folder_dataset.ImageFolder`` (the class folders become the labels,
  in sorted order).

Every source goes through the same ``source_dataset``: this process's shard
of the split, each image converted to the configured channels and size and
stored as uint8 in an in-memory cache. ``image_stream`` shuffles, repeats and
batches it for training; ``load_arrays`` reads it whole for
``config.data.on_device``.

TensorFlow only feeds data here: it is made to see no GPU, so JAX keeps all
accelerator memory.

Under ``tfds.testing.mock_data`` a catalogue builder reports
``is_prepared() == False`` and its ``download_and_prepare`` is a no-op that
makes ``as_dataset`` serve random examples; ``open_builder`` recognises the
mock and skips the network probe there (and only there).
"""

from __future__ import annotations

import os
import socket
from typing import Iterator, Sequence

import numpy as np

from ganjax import errors

# Where each dataset downloads from: probed (a few seconds at most) before
# TFDS tries, because without a network TFDS retries for minutes.
DOWNLOAD_HOSTS = {
    'mnist': 'storage.googleapis.com',
    'fashion_mnist': 'fashion-mnist.s3-website.eu-central-1.amazonaws.com',
    'svhn_cropped': 'ufldl.stanford.edu',
    'cifar10': 'www.cs.toronto.edu',
}
OFFLINE_DATASETS = ('digits',)  # Prepared from local data, no download.
FOLDER = 'image_folder'
IMAGE_DATASETS = tuple(DOWNLOAD_HOSTS) + OFFLINE_DATASETS + (FOLDER,)
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png')  # What ImageFolder reads.


def _tf():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  try:
    tf.config.set_visible_devices([], 'GPU')
  except RuntimeError:  # already initialized; it saw no GPU then either.
    pass
  return tf


def _network_reaches(host: str, timeout: float = 3.0) -> bool:
  try:
    with socket.create_connection((host, 443), timeout=timeout):
      return True
  except OSError:
    return False


def _tfds_is_mocked() -> bool:
  """True inside ``tfds.testing.mock_data`` (it swaps in a no-op
  ``download_and_prepare`` defined in ``mock_data``)."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  fn = tfds.core.DatasetBuilder.download_and_prepare
  return getattr(fn, '__qualname__', '').startswith('mock_data.')


def _catalogue_builder(name: str, data_dir: str | None):
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  if name in OFFLINE_DATASETS:
    from ganjax.data import digits  # pylint: disable=g-import-not-at-top,unused-import # Registers it.
  builder = tfds.builder(name, data_dir=data_dir)
  if builder.is_prepared():
    return builder
  where = data_dir or os.path.expanduser('~/tensorflow_datasets')
  if name in OFFLINE_DATASETS or _tfds_is_mocked():
    builder.download_and_prepare()  # Local data only: no network needed.
    return builder
  host = DOWNLOAD_HOSTS.get(name, 'storage.googleapis.com')
  if not _network_reaches(host):
    raise errors.DataError(
        f'dataset {name!r} is not prepared in {where} and cannot be '
        f'downloaded here (no connection to {host}); on a machine with '
        f'internet run `python -c "import tensorflow_datasets as tfds; '
        f"tfds.builder('{name}').download_and_prepare()\"` and copy "
        f'~/tensorflow_datasets/{name} into {where} (or set '
        f'config.data.data_dir).')
  builder.download_and_prepare()
  return builder


def _folder_builder(path: str | None):
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  if not path:
    raise errors.ConfigError(
        "config.data.path is not set: config.data.name='image_folder' needs "
        'the folder path/<split>/<class>/<image>.png (or a prepared TFDS '
        'directory); set --config.data.path=/path/to/images.')
  path = os.path.abspath(os.path.expanduser(path))
  if not os.path.isdir(path):
    raise errors.DataError(f'config.data.path={path} is not a folder.')
  if os.path.exists(os.path.join(path, 'dataset_info.json')):
    return tfds.builder_from_directory(path)
  builder = tfds.folder_dataset.ImageFolder(path)
  if not sum(s.num_examples for s in builder.info.splits.values()):
    loose = [f for f in sorted(os.listdir(path))
             if f.lower().endswith(IMAGE_EXTENSIONS)]
    found = (f'; it holds {len(loose)} image file(s) directly (e.g. '
             f'{loose[0]}): '
             f'move them into {os.path.join(path, "train", "all")}/'
             if loose else '')
    raise errors.DataError(
        f'image folder {path} holds no images in the layout '
        f'<path>/<split>/<class>/<image>{{{",".join(IMAGE_EXTENSIONS)}}} '
        f'(e.g. {os.path.join(path, "train", "cats", "0001.png")}){found}.')
  return builder


def open_builder(name: str, data_dir: str | None = None,
                 path: str | None = None):
  """The TFDS builder of ``name``, prepared (or a clear error why not)."""
  if name == FOLDER:
    return _folder_builder(path)
  return _catalogue_builder(name, data_dir)


def native_shape(builder) -> tuple:
  """The ``(H, W, C)`` of the builder's images (None where they vary)."""
  features = builder.info.features
  if 'image' not in features:
    raise errors.DataError(
        f'dataset {builder.name!r} has no feature named "image" (it has '
        f'{sorted(features)}); ganjax reads image datasets only.')
  return tuple(features['image'].shape)


def _check_split(builder, split: str) -> None:
  splits = builder.info.splits or {}
  if not splits or not split.isidentifier():
    return  # Unknown (mocked) splits, or a slice TFDS itself checks.
  if split not in splits:
    raise errors.ConfigError(
        f'config.data.split={split!r} is not a split of {builder.name!r}; '
        f'choose one of {list(splits)}.')
  if not splits[split].num_examples:
    raise errors.DataError(f'split {split!r} of {builder.name!r} has no '
                           'examples.')


def _check_folder_images(builder, split: str) -> None:
  """Decodes every image of an ImageFolder split once; names the first file
  that does not decode."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  tf = _tf()
  raw = builder.as_dataset(split=split,
                           decoders={'image': tfds.decode.SkipDecoding()})
  shapes = raw.map(lambda e: tf.shape(tf.io.decode_image(
      e['image'], channels=3, expand_animations=False)),
                   num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  count = 0
  try:
    for _ in shapes:
      count += 1
    return
  except tf.errors.OpError:
    pass
  # Elements arrive in order, so the bad one is number ``count``; confirm
  # it, or look at each file in turn.
  names = [n.decode() for n in raw.map(
      lambda e: e['image/filename']).as_numpy_iterator()]
  order = [count] + [i for i in range(len(names)) if i != count]
  for i in order:
    try:
      tf.io.decode_image(tf.io.read_file(names[i]), channels=3,
                         expand_animations=False)
    except (tf.errors.OpError, ValueError):
      raise errors.DataError(
          f'image folder file {names[i]} cannot be read as an image (JPEG or '
          'PNG); remove or replace it.') from None


def source_dataset(builder, split: str, image_shape: Sequence[int],
                   process_index: int = 0, process_count: int = 1):
  """This process's shard of ``split`` as ``{'image': uint8 [H, W, C],
  'label': int32}`` examples in a fixed order, cached in memory after the
  first pass.

  Images are converted to ``image_shape``: RGB -> grayscale with
  ``tf.image.rgb_to_grayscale`` (as seed 004), gray -> RGB by repetition,
  resized with antialiasing where the size differs, rounded back to uint8.
  """
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  tf = _tf()
  _check_split(builder, split)
  h, w, c = image_shape
  source_channels = native_shape(builder)[-1]
  read_config = tfds.ReadConfig(try_autocache=False)  # Cached below.
  if isinstance(builder, tfds.folder_dataset.ImageFolder):
    # ImageFolder reads whole splits only (no 'train[:50%]'): shard here.
    _check_folder_images(builder, split)
    ds = builder.as_dataset(split=split, shuffle_files=False,
                            read_config=read_config)
    if process_count > 1:
      ds = ds.shard(process_count, process_index)
  else:
    ds = builder.as_dataset(
        split=tfds.split_for_jax_process(split, process_index=process_index,
                                         process_count=process_count),
        shuffle_files=False, read_config=read_config)

  def preprocess(example):
    image = example['image']
    if c == 1 and source_channels == 3:
      image = tf.image.rgb_to_grayscale(tf.cast(image, tf.float32))
    elif c == 3 and source_channels == 1:
      image = tf.image.grayscale_to_rgb(image)
    resize = image.shape[0] != h or image.shape[1] != w
    if resize:
      image = tf.image.resize(tf.cast(image, tf.float32), (h, w),
                              antialias=True)
    if image.dtype != tf.uint8:
      image = tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)
    image = tf.ensure_shape(image, (h, w, c))
    label = example['label'] if 'label' in example else tf.constant(0)
    return {'image': image, 'label': tf.cast(label, tf.int32)}

  options = tf.data.Options()
  options.deterministic = True
  ds = ds.with_options(options)
  return ds.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE).cache()


def _pixel_formula(value_range: Sequence[float]):
  lo, hi = (np.float32(v) for v in value_range)
  return np.float32((float(hi) - float(lo)) / 255.0), lo, hi


def pixel_values(value_range: Sequence[float]) -> np.ndarray:
  """float32 ``[256]``: the value of each uint8 level in ``value_range``,
  ``clip(float32(level) * scale + lo, lo, hi)`` in float32 arithmetic: what
  ``to_float`` computes on the host, as a table for the device paths."""
  scale, lo, hi = _pixel_formula(value_range)
  return np.clip(np.arange(256, dtype=np.float32) * scale + lo, lo, hi)


def to_float(images, value_range: Sequence[float]):
  """uint8 images (a tf tensor) -> float32 in ``value_range``, equal to
  ``pixel_values(value_range)[images]`` (a multiply-add is twice as fast as
  a table look-up in tf.data)."""
  tf = _tf()
  scale, lo, hi = _pixel_formula(value_range)
  return tf.clip_by_value(tf.cast(images, tf.float32) * scale + lo, lo, hi)


def image_stream(builder, split: str, image_shape: Sequence[int],
                 value_range: Sequence[float], batch_shape: Sequence[int],
                 seed: int, start_step: int = 0, shuffle_buffer: int = 10_000,
                 process_index: int = 0,
                 process_count: int = 1) -> Iterator[dict[str, np.ndarray]]:
  """Yields ``{'x': float32 [*batch_shape, H, W, C], 'label': int32
  [*batch_shape]}``, one per step, as numpy arrays.

  The examples of this process's shard are shuffled with a
  ``shuffle_buffer`` window seeded by ``seed`` and reshuffled every epoch
  (``reshuffle_each_iteration=True``: epoch e's order is fixed by ``seed``
  and e), repeated without end and cut into batches of
  ``prod(batch_shape)``. The order does not depend on timing
  (``deterministic=True`` everywhere), so the same seed gives the same
  batches.

  Resume: ``start_step`` skips ``start_step * prod(batch_shape)`` examples
  of that infinite stream before batching, so a stream started at step N
  yields exactly batches N, N+1, ... of a stream started at 0 (the shuffle's
  per-epoch seeds are drawn in sequence from ``seed``, so they line up only
  if the skipped epochs are replayed). Cost: the skipped examples still pass
  through the cached, shuffled stream, though they are never batched or
  converted: time linear in ``N * prod(batch_shape)``, measured at ~0.8M
  examples/s (28x28 images, 2 busy CPU cores), i.e. ~8 s to resume at step
  100,000 with batch 64, plus the first pass that decodes and caches the
  dataset, which any start pays. ``config.data.on_device`` resumes in O(1).
  """
  tf = _tf()
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  h, w, c = image_shape
  per_step = int(np.prod(batch_shape))
  ds = source_dataset(builder, split, image_shape, process_index,
                      process_count)
  ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
  ds = ds.repeat()
  if start_step:
    ds = ds.skip(int(start_step) * per_step)
  ds = ds.batch(per_step, drop_remainder=True)

  def finish(batch):
    x = to_float(batch['image'], value_range)
    return {'x': tf.reshape(x, tuple(batch_shape) + (h, w, c)),
            'label': tf.reshape(batch['label'], tuple(batch_shape))}

  ds = ds.map(finish, num_parallel_calls=tf.data.AUTOTUNE)
  ds = ds.prefetch(tf.data.AUTOTUNE)
  return iter(tfds.as_numpy(ds))


def load_arrays(builder, split: str, image_shape: Sequence[int],
                process_index: int = 0,
                process_count: int = 1) -> tuple[np.ndarray, np.ndarray]:
  """This process's whole shard: uint8 images ``[N, H, W, C]`` and int32
  labels ``[N]``, in the dataset's fixed order."""
  ds = source_dataset(builder, split, image_shape, process_index,
                      process_count).batch(4096)
  parts = [(b['image'], b['label']) for b in ds.as_numpy_iterator()]
  if not parts:
    raise errors.DataError(f'split {split!r} of {builder.name!r} is empty '
                           f'for process {process_index}.')
  return (np.concatenate([p[0] for p in parts]),
          np.concatenate([p[1] for p in parts]).astype(np.int32))
