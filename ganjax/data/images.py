"""TFDS image datasets through tf.data, batched for the training step.

TensorFlow only feeds data here: it is made to see no GPU, so JAX keeps all
accelerator memory.
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
IMAGE_DATASETS = tuple(DOWNLOAD_HOSTS)


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


def _builder(name: str, data_dir: str | None):
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  builder = tfds.builder(name, data_dir=data_dir)
  if builder.is_prepared():
    return builder
  where = data_dir or os.path.expanduser('~/tensorflow_datasets')
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


def image_stream(name: str, split: str, image_shape: Sequence[int],
                 value_range: Sequence[float], batch_shape: Sequence[int],
                 seed: int, start_step: int = 0, data_dir: str | None = None,
                 shuffle_buffer: int = 10_000) -> Iterator[dict[str, np.ndarray]]:
  """Yields ``{'x': float32 [*batch_shape, H, W, C], 'label': int32
  [*batch_shape]}``, one per step.

  The stream is shuffled with ``seed``, repeats without end, and each
  process reads its own shard of ``split``
  (``tfds.split_for_jax_process``). ``start_step`` skips the batches of the
  steps already trained, so a resumed run continues the same stream.
  """
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  tf = _tf()
  builder = _builder(name, data_dir)
  h, w, c = image_shape
  lo, hi = value_range
  source_channels = builder.info.features['image'].shape[-1]

  def preprocess(example):
    image = tf.cast(example['image'], tf.float32)
    if c == 1 and source_channels == 3:
      image = tf.image.rgb_to_grayscale(image)
    elif c == 3 and source_channels == 1:
      image = tf.image.grayscale_to_rgb(image)
    if image.shape[0] != h or image.shape[1] != w:
      image = tf.image.resize(image, (h, w), antialias=True)
    return {'x': image / 255.0 * (hi - lo) + lo,
            'label': tf.cast(example.get('label', 0), tf.int32)}

  per_step = int(np.prod(batch_shape))
  ds = builder.as_dataset(split=tfds.split_for_jax_process(split),
                          shuffle_files=False)
  options = tf.data.Options()
  options.deterministic = True
  ds = ds.with_options(options)
  ds = ds.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE).cache()
  ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
  ds = ds.repeat().batch(per_step, drop_remainder=True)
  ds = ds.map(lambda b: {
      'x': tf.reshape(b['x'], tuple(batch_shape) + (h, w, c)),
      'label': tf.reshape(b['label'], tuple(batch_shape))})
  if start_step:
    ds = ds.skip(start_step)
  ds = ds.prefetch(tf.data.AUTOTUNE)
  return tfds.as_numpy(ds)
