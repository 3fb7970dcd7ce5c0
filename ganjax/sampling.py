"""Pictures of samples: the one place that decides which picture suits the
data (an image grid, a 2D scatter over the true modes, a 1D histogram over
the target density). Training, ``--mode=sample`` and the API draw with it.

The start of issue 17's "one room for sampling"; the fixed latents, class
labels and the compiled generate function are still in ``ganjax.loop``,
``ganjax.class_samples`` and ``ganjax.evaluation``.
"""

from __future__ import annotations

import ml_collections
import numpy as np

from ganjax import data, visualize


def save_picture(config: ml_collections.ConfigDict, samples: np.ndarray,
                 path: str, title: str = '') -> None:
  """The picture that suits the data: grid, 2D scatter or 1D histogram."""
  samples = np.asarray(samples)
  if data.is_image(config):
    grid = visualize.image_grid(samples, config.data.value_range)
    visualize.save_image(path, grid)
  else:
    dist = data.toy_distribution(config)
    if dist.dim == 1:
      visualize.histogram_1d(path, samples, float(dist.means[0, 0]),
                             dist.std, title)
    else:
      visualize.scatter_2d(path, samples, dist.means, title)
