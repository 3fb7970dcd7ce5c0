r"""Writes the offline digits as an unlabelled image folder of PNGs.

    python benchmarks/digits_folder.py --out runs/digits_folder
    python launch.py --config=configs/digits_wgan_gp.py \
        --workdir=runs/digits_folder_wgan_gp \
        --config.data.name=image_folder --config.data.path=runs/digits_folder \
        --config.data.image_size=8 --config.data.channels=1

``<out>/train/all/<i>.png`` (the 1,437 images of the ``digits`` training
split) and ``<out>/test/all/<i>.png`` (its 360 test images): the same
pixels as the ``digits`` TFDS dataset (``ganjax.data.digits.to_uint8``),
with one class folder, so ganjax reads them as unlabelled and
``eval.evaluators='auto'`` picks ``selfsup`` (docs/EVALUATION.md) instead
of the classifier. The second command trains on them; its
``metrics.jsonl`` holds the unlabelled metrics beside their floors.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
  sys.path.insert(0, ROOT)


def write_folder(out: str) -> dict[str, int]:
  """Writes the PNGs; returns the number of images per split."""
  from sklearn.datasets import load_digits  # pylint: disable=g-import-not-at-top
  from ganjax.data import digits  # pylint: disable=g-import-not-at-top
  images = digits.to_uint8(load_digits().images)
  counts = {}
  for split, indices in digits.split_indices().items():
    folder = os.path.join(out, split, 'all')
    os.makedirs(folder, exist_ok=True)
    for i, index in enumerate(indices):
      Image.fromarray(np.asarray(images[index]).reshape(8, 8)).save(
          os.path.join(folder, f'{i:04d}.png'))
    counts[split] = len(indices)
  return counts


def main():
  p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  p.add_argument('--out', default=os.path.join('runs', 'digits_folder'))
  args = p.parse_args()
  print(write_folder(args.out), '->', os.path.abspath(args.out))


if __name__ == '__main__':
  main()
