"""Per-class samples of a class-conditional GAN (``config.model.num_classes
> 0``): one row of images per class, or a 2D scatter coloured by class.

    from ganjax import class_samples
    class_samples.save(config, gan, state, 'samples/classes_0001000.png')

``state`` is one unreplicated ``GANState`` (e.g. ``one_copy(device_state)``
in ``ganjax.loop``). The z are fixed by ``config.seed``, so successive
pictures show the same latents; ``per_class`` defaults to 10 for images
(a 10x10 grid for MNIST) and 200 for toy data.
"""

from __future__ import annotations

import functools

import jax
import ml_collections
import numpy as np

from ganjax import data, steps, truncation, visualize
from ganjax.state import GAN, GANState


def generate_per_class(gan: GAN, state: GANState, per_class: int,
                       seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
  """``(samples [num_classes * per_class, ...], labels)``, class-major."""
  if not gan.num_classes:
    raise ValueError('per-class samples need a conditional GAN '
                     '(config.model.num_classes > 0).')
  labels = visualize.class_labels(gan.num_classes, per_class)
  key = jax.random.fold_in(jax.random.PRNGKey(seed), 0xC1A55)
  z = truncation.latents(gan, state, key, labels.size, labels)
  samples = _generate_fn(gan)(state, z, labels)
  return np.asarray(samples), labels


@functools.lru_cache(maxsize=8)
def _generate_fn(gan: GAN):
  """G(z, y) compiled once per GAN spec (a GAN hashes by identity)."""
  return jax.jit(lambda s, z, y: steps.generate(gan, s, z, y))


def save(config: ml_collections.ConfigDict, gan: GAN, state: GANState,
         path: str, per_class: int | None = None, title: str = '') -> None:
  """Writes the per-class picture of ``state``'s generator to ``path``."""
  image = data.is_image(config)
  per_class = per_class or (10 if image else 200)
  samples, labels = generate_per_class(gan, state, per_class, config.seed)
  if image:
    visualize.save_image(path, visualize.class_grid(
        samples, gan.num_classes, config.data.value_range))
    return
  dist = data.toy_distribution(config)
  if dist.dim == 2:
    visualize.scatter_2d_by_class(path, samples, labels, dist.means, title)
  else:
    raise ValueError(f'no per-class picture for {dist.dim}D data.')
