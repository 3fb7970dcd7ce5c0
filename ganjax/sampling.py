"""The one room for sampling: latents, class labels, the compiled generate
function and the pictures. Training (``ganjax.loop``), the evaluators,
``launch.py --mode=sample``, ``ganjax.sample`` and the per-class pictures
all draw through it, for any family (``ganjax.families``).

* ``generate(spec, state, num, seed)``: ``num`` samples, z drawn at once
  from ``PRNGKey(seed)`` (truncated when ``model.jacobian_truncation`` >
  0, ``ganjax.truncation``), class labels balanced and cycling for a
  conditional model, generated in batches by one compiled function per
  spec (``generate_fn``).
* ``fixed_latents(spec, config, state)``: the z (and labels) of every
  training picture, the same each time so progress shows.
* ``per_class(spec, state, per_class, seed)``: class-major samples for the
  per-class picture.
* ``interpolation(spec, state, num, seed)``: samples along a path between
  two latents.
* ``save_picture``: the picture that suits the data: an image grid (one
  row per class when labelled; small images enlarged,
  ``visualize.readable_grid``), a 2D scatter over the true modes (coloured
  by class), a 1D histogram over the target density.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax
import ml_collections
import numpy as np

from ganjax import data, families, truncation, visualize
from ganjax.models import conditional

# Key offsets of the training pictures and of the per-class pictures.
PICTURE_KEY = 0x5A4D
CLASS_PICTURE_KEY = 0xC1A55
INTERPOLATION_KEY = 0x1E4F


def cycling_labels(num_classes: int, num: int) -> np.ndarray | None:
  """0, 1, ..., C-1, 0, 1, ... (balanced) int32 ``[num]``; None when the
  model is unconditional (``num_classes`` 0)."""
  if not num_classes:
    return None
  return np.asarray(conditional.cycled_labels(num, num_classes))


@functools.lru_cache(maxsize=16)
def generate_fn(spec: Any) -> Callable:
  """``(state, z, labels) -> samples`` of ``spec``'s family, compiled once
  per spec (a spec hashes by identity)."""
  family = families.of(spec)
  return jax.jit(lambda s, z, y: family.generate(spec, s, z, y))


def map_batches(fn: Callable[..., Any], batch_size: int,
                *arrays: np.ndarray | None) -> np.ndarray:
  """``fn`` over batches of equal size (the last padded, so one compiled
  shape serves all), concatenated on the host."""
  n = len(arrays[0])
  batch_size = max(1, min(batch_size, n))
  out = []
  for start in range(0, n, batch_size):
    chunk = []
    for a in arrays:
      if a is None:
        chunk.append(None)
        continue
      part = np.asarray(a[start:start + batch_size])
      pad = batch_size - len(part)
      if pad:
        part = np.concatenate([part, np.repeat(part[-1:], pad, 0)])
      chunk.append(part)
    result = np.asarray(jax.device_get(fn(*chunk)))
    out.append(result[:min(batch_size, n - start)])
  return np.concatenate(out)


def on_device(spec: Any, state: Any) -> Any:
  """What sampling reads of ``state`` (no optimizer states), on the device
  once for all the batches of a draw."""
  return jax.device_put(families.of(spec).for_sampling(spec, state))


def generate(spec: Any, state: Any, num: int, seed: int,
             batch_size: int = 500,
             labels: np.ndarray | None = None) -> np.ndarray:
  """``num`` samples, z drawn at once from ``PRNGKey(seed)`` (so the result
  does not depend on ``batch_size``); a conditional model is asked for
  ``labels`` [num] (default: ``cycling_labels``)."""
  if spec.num_classes:
    labels = (cycling_labels(spec.num_classes, num) if labels is None else
              np.asarray(labels, np.int32).reshape(num))
  else:
    labels = None
  state = on_device(spec, state)
  z = truncation.latents(spec, state, jax.random.PRNGKey(seed), num, labels)
  fn = generate_fn(spec)
  return map_batches(lambda zz, yy: fn(state, zz, yy), batch_size, z, labels)


def fixed_latents(spec: Any, config: ml_collections.ConfigDict, state: Any):
  """The z and labels (row by row through the classes, when conditional)
  of every training picture: the same each time, so progress shows (with
  ``model.jacobian_truncation``, the same key, and the rejected latents
  redrawn for ``state``'s generator)."""
  key = jax.random.fold_in(jax.random.PRNGKey(config.seed), PICTURE_KEY)
  num = config.train.num_samples
  labels = cycling_labels(spec.num_classes, num)
  return truncation.latents(spec, state, key, num, labels), labels


def picture_samples(spec: Any, config: ml_collections.ConfigDict,
                    state: Any) -> np.ndarray:
  """The samples of a training picture (``fixed_latents``)."""
  state = on_device(spec, state)
  z, labels = fixed_latents(spec, config, state)
  return np.asarray(generate_fn(spec)(state, z, labels))


def per_class(spec: Any, state: Any, per_class_num: int,
              seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
  """``(samples [num_classes * per_class_num, ...], labels)``,
  class-major, z fixed by ``seed``."""
  if not spec.num_classes:
    raise ValueError('per-class samples need a conditional model '
                     '(config.model.num_classes > 0).')
  labels = visualize.class_labels(spec.num_classes, per_class_num)
  state = on_device(spec, state)
  key = jax.random.fold_in(jax.random.PRNGKey(seed), CLASS_PICTURE_KEY)
  z = truncation.latents(spec, state, key, labels.size, labels)
  return np.asarray(generate_fn(spec)(state, z, labels)), labels


def interpolation(spec: Any, state: Any, num: int, seed: int = 0,
                  label: int = 0) -> np.ndarray:
  """``num`` samples ``[num, *data_shape]`` along the path between two
  latents drawn from ``seed``: the great circle between them for Gaussian
  latents (so every point keeps a typical norm; White 2016, "Sampling
  generative networks"), the straight line for uniform ones. A conditional
  model draws every one as class ``label``. Jacobian truncation does not
  apply: the path is the point."""
  key = jax.random.fold_in(jax.random.PRNGKey(seed), INTERPOLATION_KEY)
  a, b = np.asarray(spec.sample_latent(key, 2), np.float64)
  t = np.linspace(0.0, 1.0, num)[:, None]
  cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
  omega = float(np.arccos(np.clip(cos, -1.0, 1.0)))
  if getattr(spec, 'latent_dist', 'normal') == 'normal' and omega > 1e-6:
    z = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
  else:
    z = (1 - t) * a + t * b
  labels = np.full(num, label, np.int32) if spec.num_classes else None
  return np.asarray(generate_fn(spec)(on_device(spec, state),
                                      z.astype(np.float32), labels))


def save_family_picture(config: ml_collections.ConfigDict, spec: Any,
                        state: Any, path: str, title: str = '') -> None:
  """The family's own picture (``Family.picture``: its latents and rows),
  drawn from ``state`` and saved to ``path``, one row per row label."""
  z, rows, num_rows, caption = families.of(spec).picture(config, spec)
  samples = np.asarray(generate_fn(spec)(on_device(spec, state), z, None))
  save_picture(config, samples, path, f'{title}: {caption}',
               labels=np.asarray(rows), num_classes=num_rows)


def save_picture(config: ml_collections.ConfigDict, samples: np.ndarray,
                 path: str, title: str = '', labels: np.ndarray | None = None,
                 num_classes: int = 0) -> None:
  """The picture that suits the data: an image grid (with ``labels`` of a
  conditional model in ``visualize.class_labels`` order: one row per
  class; images of 16 pixels or fewer enlarged,
  ``visualize.readable_grid``), a 2D scatter over the true modes (coloured
  by ``labels``) or a 1D histogram."""
  samples = np.asarray(samples)
  if data.is_image(config):
    visualize.save_image(path, visualize.readable_grid(
        samples, tuple(config.data.value_range),
        num_classes if labels is not None else 0))
    return
  dist = data.toy_distribution(config)
  if dist.dim == 1:
    visualize.histogram_1d(path, samples, float(dist.means[0, 0]),
                           dist.std, title)
  elif labels is not None:
    visualize.scatter_2d_by_class(path, samples, labels, dist.means, title)
  else:
    visualize.scatter_2d(path, samples, dist.means, title)


def save_class_picture(config: ml_collections.ConfigDict, spec: Any,
                       state: Any, path: str, per_class_num: int | None = None,
                       title: str = '') -> None:
  """The per-class picture of a conditional model: one row of images per
  class (10 each), or a 2D scatter of 200 per class coloured by class."""
  image = data.is_image(config)
  if not image and data.toy_distribution(config).dim != 2:
    raise ValueError(f'no per-class picture for '
                     f'{data.toy_distribution(config).dim}D data.')
  samples, labels = per_class(spec, state, per_class_num or
                              (10 if image else 200), config.seed)
  save_picture(config, samples, path, title, labels, spec.num_classes)
