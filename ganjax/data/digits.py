"""``digits``: scikit-learn's bundled 8x8 handwritten digits as a TFDS dataset.

1,797 grayscale 8x8 images of the digits 0-9 (``sklearn.datasets.load_digits``,
the UCI optical-recognition test set), shipped inside scikit-learn, so the
dataset is prepared with no network: ``download_and_prepare`` reads the
bundled array and writes ordinary TFDS files (TFRecord shards and
``dataset_info.json``) into ``data_dir/digits/1.0.0``. From then on it is
read like any other TFDS dataset (``tfds.builder('digits').as_dataset``).

Pixels: scikit-learn gives counts 0..16 per pixel; they are stored as uint8
``round(v * 255 / 16)``, so 0 -> 0 and 16 -> 255 like any 8-bit image.

Splits (stratified by class, fixed, ``random_state=0``):

* ``train``: 1,437 images;
* ``test``: 360 images (35 to 37 per class).

Importing this module registers the builder with TFDS under the name
``digits``.
"""

from __future__ import annotations

import numpy as np
import tensorflow_datasets as tfds

NUM_TRAIN = 1437
NUM_TEST = 360
NUM_CLASSES = 10


def split_indices() -> dict[str, np.ndarray]:
  """The indices into ``load_digits()`` of each split (stratified, fixed)."""
  from sklearn import datasets, model_selection  # pylint: disable=g-import-not-at-top
  target = datasets.load_digits().target
  train, test = model_selection.train_test_split(
      np.arange(len(target)), test_size=NUM_TEST, stratify=target,
      random_state=0)
  return {'train': np.sort(train), 'test': np.sort(test)}


def to_uint8(images: np.ndarray) -> np.ndarray:
  """scikit-learn's [n, 8, 8] counts 0..16 -> uint8 [n, 8, 8, 1] in 0..255."""
  scaled = np.rint(np.asarray(images, np.float64) * (255.0 / 16.0))
  return np.clip(scaled, 0, 255).astype(np.uint8)[..., None]


class Digits(tfds.core.GeneratorBasedBuilder):
  """scikit-learn's 8x8 handwritten digits (offline, no download)."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'From sklearn.datasets.load_digits.'}

  def _info(self) -> tfds.core.DatasetInfo:
    return self.dataset_info_from_configs(
        description=(
            "scikit-learn's bundled 8x8 handwritten digits (1,797 images, "
            '10 classes), stored as uint8 0..255.'),
        features=tfds.features.FeaturesDict({
            'image': tfds.features.Image(shape=(8, 8, 1)),
            'label': tfds.features.ClassLabel(num_classes=NUM_CLASSES),
        }),
        supervised_keys=('image', 'label'),
        homepage='https://scikit-learn.org/stable/datasets/toy_dataset.html',
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # Nothing to download: the data ships with scikit-learn.
    return {name: self._generate_examples(indices)
            for name, indices in split_indices().items()}

  def _generate_examples(self, indices):
    from sklearn import datasets  # pylint: disable=g-import-not-at-top
    digits = datasets.load_digits()
    images = to_uint8(digits.images)
    for i in indices:
      yield int(i), {'image': images[i], 'label': int(digits.target[i])}
