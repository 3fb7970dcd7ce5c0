"""Real examples for the evaluators, read once and kept (``RealData``).

Images come from the config's TFDS dataset (held out: ``config.eval.
test_split``); toy data is drawn fresh from a seed no training batch uses.
"""

from __future__ import annotations

import copy

import ml_collections
import numpy as np

from ganjax import data

# Toy data for held-out draws comes from this offset of ``config.seed``:
# fresh draws that no training batch of the same run (seeded by
# ``[config.seed, step, process]``) repeats.
HELDOUT_SEED_OFFSET = 1_000_003


def _with_split(config: ml_collections.ConfigDict,
                split: str) -> ml_collections.ConfigDict:
  config = copy.deepcopy(config)
  config.data.split = split
  return config


def builder_info(config: ml_collections.ConfigDict):
  """The TFDS ``DatasetInfo`` of the config's image dataset, or None."""
  try:
    from ganjax.data import images  # pylint: disable=g-import-not-at-top
    d = config.data
    return images.open_builder(d.name, d.data_dir,
                               d.path).info
  except Exception:  # pylint: disable=broad-except
    return None


def split_size(config: ml_collections.ConfigDict, split: str) -> int | None:
  """Examples in a TFDS split, when TFDS knows (None under mocks)."""
  try:
    return int(builder_info(config).splits[split].num_examples) or None
  except Exception:  # pylint: disable=broad-except
    return None


def num_classes(config: ml_collections.ConfigDict) -> int | None:
  try:
    return int(builder_info(config).features['label'].num_classes)
  except Exception:  # pylint: disable=broad-except
    return None


class RealData:
  """Real examples for the evaluators, read once and kept.

  * ``heldout(num)``: images: the first ``num`` examples (at most the whole
    split) of ``config.eval.test_split`` shuffled with ``config.eval.seed``;
    toy data: ``num`` fresh draws with seed ``config.seed +
    HELDOUT_SEED_OFFSET``.
  * ``training(num)``: ``num`` examples (at most the whole split) of the
    training split (``config.data.split``) shuffled with ``config.eval.seed
    + 1``.
  """

  def __init__(self, config: ml_collections.ConfigDict):
    self.config = config
    self.is_image = data.is_image(config)
    self._cache: dict[tuple[str, int], dict[str, np.ndarray]] = {}

  def heldout_size(self, num: int) -> int:
    if not self.is_image:
      return num
    size = split_size(self.config, self.config.eval.test_split)
    return num if size is None else min(num, size)

  def heldout(self, num: int) -> dict[str, np.ndarray]:
    num = self.heldout_size(num)
    key = ('heldout', num)
    if key not in self._cache:
      if self.is_image:
        cfg = _with_split(self.config, self.config.eval.test_split)
        seed = self.config.eval.seed
      else:
        cfg, seed = self.config, self.config.seed + HELDOUT_SEED_OFFSET
      self._cache[key] = data.sample_real(cfg, num, seed=seed)
    return self._cache[key]

  def training(self, num: int) -> dict[str, np.ndarray]:
    if self.is_image:
      size = split_size(self.config, self.config.data.split)
      num = num if size is None else min(num, size)
    key = ('training', num)
    if key not in self._cache:
      self._cache[key] = data.sample_real(self.config, num,
                                          seed=self.config.eval.seed + 1)
    return self._cache[key]
