"""A small CNN classifier: the offline stand-in for Inception.

Trained once per dataset on its own training split, as TF-GAN's MNIST score
does; its penultimate layer is the feature space of ``fid`` and its
predictions give ``class_coverage`` and ``class_kl``.

Architecture (any H x W x C, so the same code serves the 8x8 digits, MNIST
and SVHN): Conv 32 3x3 -> ReLU -> Conv 64 3x3 stride 2 -> ReLU -> Conv 64
3x3 stride 2 -> ReLU -> flatten -> Dense 128 -> ReLU (the features) ->
Dense num_classes (the logits). Trained with Adam on softmax cross-entropy.

Deterministic: parameters from ``PRNGKey(seed)``, batches from a seeded
stream, and the cached file is keyed by everything that changes the result
(dataset, split, shape, value range, steps, batch size, learning rate,
seed). Saved with ``flax.serialization`` msgpack (no pickle), written
atomically.
"""

from __future__ import annotations

import functools
import json
import os
import re
from typing import Any, Callable, Iterator, Sequence

import flax.linen as nn
import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax

VERSION = 1  # Bump when the architecture or training changes.


class Classifier(nn.Module):
  """images [N, H, W, C] -> (logits [N, num_classes], features [N, hidden])."""
  num_classes: int
  channels: Sequence[int] = (32, 64, 64)
  hidden: int = 128

  @nn.compact
  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    for i, ch in enumerate(self.channels):
      stride = 1 if i == 0 else 2
      x = nn.relu(nn.Conv(ch, (3, 3), strides=(stride, stride),
                          padding='SAME')(x))
    x = x.reshape((x.shape[0], -1))
    features = nn.relu(nn.Dense(self.hidden)(x))
    return nn.Dense(self.num_classes)(features), features


def array_batches(images: np.ndarray, labels: np.ndarray, batch_size: int,
                  seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
  """Endless shuffled ``(images, labels)`` batches from in-memory arrays."""
  rng = np.random.default_rng(seed)
  n = len(images)
  while True:
    order = rng.permutation(n)
    for start in range(0, n - batch_size + 1, batch_size):
      idx = order[start:start + batch_size]
      yield images[idx], labels[idx]


def train_classifier(batches: Iterator[tuple[np.ndarray, np.ndarray]],
                     num_classes: int, steps: int, learning_rate: float = 1e-3,
                     seed: int = 0,
                     progress: str | None = None) -> tuple[Classifier, Any]:
  """Trains a ``Classifier`` for ``steps`` Adam steps on ``batches``.

  ``progress``: the label of a tqdm progress bar (notebook-aware; on a
  terminal, on stderr) over the steps; None shows none.

  Returns the module and its parameters (a pytree of numpy arrays).
  """
  model = Classifier(num_classes)
  first_x, first_y = next(batches)
  # Compiled: op by op, the initialization compiles each small op alone.
  params = jax.jit(model.init)(jax.random.PRNGKey(seed),
                               jnp.asarray(first_x))['params']
  opt_state = optax.adam(learning_rate).init(params)
  x, y = first_x, first_y
  bar = None
  if progress is not None:
    from tqdm.auto import tqdm  # pylint: disable=g-import-not-at-top
    bar = tqdm(total=steps, desc=progress, unit='step')
  for i in range(steps):
    if i:
      x, y = next(batches)
    params, opt_state = _train_step(model, float(learning_rate), params,
                                    opt_state, jnp.asarray(x, jnp.float32),
                                    jnp.asarray(y, jnp.int32))
    if bar is not None:
      bar.update(1)
  params = jax.device_get(params)
  if bar is not None:
    bar.close()
  return model, params


@functools.partial(jax.jit, static_argnums=(0, 1))
def _train_step(model: Classifier, learning_rate: float, params: Any,
                opt_state: Any, x: jax.Array, y: jax.Array):
  """One Adam step on softmax cross-entropy (compiled once per model,
  learning rate and batch shape)."""
  tx = optax.adam(learning_rate)

  def loss_fn(p):
    logits, _ = model.apply({'params': p}, x)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

  grads = jax.grad(loss_fn)(params)
  updates, opt_state = tx.update(grads, opt_state, params)
  return optax.apply_updates(params, updates), opt_state


@functools.partial(jax.jit, static_argnums=0)
def _apply(model: Classifier, params: Any, x: jax.Array):
  return model.apply({'params': params}, x)


def in_batches(fn: Callable[[np.ndarray], tuple[Any, ...]],
               images: np.ndarray, batch_size: int
               ) -> tuple[np.ndarray, ...]:
  """``fn`` (images [B, ...] -> a tuple of arrays [B, ...]) over ``images``
  in batches of a fixed size (the last one padded, so one compilation
  serves all); its outputs concatenated, as float64."""
  images = np.asarray(images, np.float32)
  n = len(images)
  batch_size = max(1, min(batch_size, n))
  outputs = []
  for start in range(0, n, batch_size):
    chunk = images[start:start + batch_size]
    pad = batch_size - len(chunk)
    if pad:
      chunk = np.concatenate([chunk, np.repeat(chunk[-1:], pad, 0)])
    outputs.append([o[:batch_size - pad] for o in jax.device_get(fn(chunk))])
  return tuple(np.concatenate(parts).astype(np.float64)
               for parts in zip(*outputs))


def predict(model: Classifier, params: Any, images: np.ndarray,
            batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
  """Logits [N, classes] and features [N, hidden] (float64), in batches of
  a fixed size (``in_batches``)."""
  return in_batches(lambda x: _apply(model, params, x), images, batch_size)


def accuracy(model: Classifier, params: Any, images: np.ndarray,
             labels: np.ndarray, batch_size: int = 500) -> float:
  logits, _ = predict(model, params, images, batch_size)
  return float(np.mean(np.argmax(logits, -1) == np.asarray(labels)))


def cache_key(dataset: str, split: str, shape: Sequence[int],
              value_range: Sequence[float], steps: int, batch_size: int,
              learning_rate: float, seed: int, task: str = '') -> str:
  """A file-name-safe key of everything that changes the trained weights
  (``task``: what it learned when not the labels, e.g. 'rotation')."""
  h, w, c = shape
  lo, hi = value_range
  task = f'-{task}' if task else ''
  key = (f'{dataset}-{split}-{h}x{w}x{c}-range{lo:g}_{hi:g}-steps{steps}-'
         f'bs{batch_size}-lr{learning_rate:g}-seed{seed}{task}-v{VERSION}')
  return re.sub(r'[^A-Za-z0-9_.+-]', '_', key)


def save(path: str, params: Any, num_classes: int,
         metadata: dict[str, Any]) -> None:
  """Writes ``path`` (msgpack) and ``path.json`` (metadata) atomically."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  blob = flax.serialization.msgpack_serialize(
      {'params': jax.device_get(params), 'num_classes': int(num_classes),
       'version': VERSION})
  tmp = f'{path}.tmp{os.getpid()}'
  with open(tmp, 'wb') as f:
    f.write(blob)
  os.replace(tmp, path)
  with open(tmp, 'w') as f:
    json.dump({'num_classes': int(num_classes), 'version': VERSION,
               **metadata}, f, indent=2, sort_keys=True)
  os.replace(tmp, f'{path}.json')


def load(path: str) -> tuple[Classifier, Any, dict[str, Any]]:
  """The module, parameters and metadata saved by ``save``."""
  with open(path, 'rb') as f:
    restored = flax.serialization.msgpack_restore(f.read())
  metadata = {}
  if os.path.exists(f'{path}.json'):
    with open(f'{path}.json') as f:
      metadata = json.load(f)
  return (Classifier(int(restored['num_classes'])), restored['params'],
          metadata)
