"""``config.data.on_device``: the whole dataset in device memory, batches
drawn there.

For small datasets (digits, MNIST: 47 MB as uint8, CIFAR-10: 150 MB) the
host's tf.data pipeline and the host-to-device copy of every batch can be
removed from the step: the images of this process's shard are put on each
local device once, as uint8, and each step's batch is gathered on the
device by a jitted function, converted to float32 there.

Order: the examples are visited epoch by epoch, each epoch a full random
permutation (no replacement within an epoch, like the tf.data path with a
shuffle buffer as large as the dataset). Step ``s`` takes positions
``[s * B, (s + 1) * B)`` of the concatenated epochs ``perm_0, perm_1, ...``
where ``B = prod(batch_shape)`` and ``perm_e = permutation(fold_in(key, e))``
with ``key = fold_in(PRNGKey(seed), process_index)``. So the batch of step
``s`` depends only on ``(seed, process, s)``: the same seed gives the same
batches, and a stream started at step N (resume) yields exactly what an
uninterrupted stream yields from step N, at no cost. The permutation of an
epoch is computed once, when the stream first needs it.

Layout: each yielded ``{'x', 'label'}`` is a ``jax.Array`` of the usual
shape ``[*batch_shape, ...]``. On one device it lives there; with several
local devices the dataset is replicated on each and the batch axis (the last
of ``batch_shape``) is sharded across them, each device gathering its own
slice.
"""

from __future__ import annotations

import functools
from typing import Iterator, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ganjax import errors

# Refuse datasets larger than this fraction of one device's memory.
MAX_MEMORY_FRACTION = 0.5


def _check_fits(nbytes: int, device: jax.Device) -> None:
  try:
    limit = (device.memory_stats() or {}).get('bytes_limit')
  except Exception:  # pylint: disable=broad-except  # Not reported (CPU).
    limit = None
  if limit and nbytes > MAX_MEMORY_FRACTION * limit:
    raise errors.ConfigError(
        f'config.data.on_device=True: the dataset takes {nbytes / 2**20:.0f} '
        f'MiB, more than {MAX_MEMORY_FRACTION:.0%} of the '
        f'{limit / 2**20:.0f} MiB of {device}; set '
        'config.data.on_device=False to stream it from the host.')


@functools.partial(jax.jit, static_argnums=(0,))
def _permutation(n: int, key: jax.Array, epoch: jax.Array) -> jax.Array:
  return jax.random.permutation(jax.random.fold_in(key, epoch), n)


@functools.partial(jax.jit, static_argnums=(5, 6))
def _draw(images, labels, values, perms, offset, batch_shape, sharding):
  """The batch at ``offset`` of the epochs ``perms`` (consecutive)."""
  per_step = int(np.prod(batch_shape))
  window = jnp.concatenate(perms)
  index = jax.lax.dynamic_slice_in_dim(window, offset, per_step)
  batch = {
      'x': values[images[index].astype(jnp.int32)].reshape(
          batch_shape + images.shape[1:]),
      'label': labels[index].reshape(batch_shape)}
  if sharding is not None:
    batch = jax.lax.with_sharding_constraint(batch, sharding)
  return batch


class OnDeviceStream(Iterator[dict]):
  """Iterator of ``{'x': float32 [*batch_shape, *shape], 'label': int32
  [*batch_shape]}`` device arrays, one per step, from ``start_step`` on."""

  def __init__(self, images: np.ndarray, labels: np.ndarray,
               batch_shape: Sequence[int], value_range: Sequence[float],
               seed: int, start_step: int = 0, process_index: int = 0,
               devices: Sequence[jax.Device] | None = None):
    from ganjax.data import images as images_lib  # pylint: disable=g-import-not-at-top
    if images.dtype != np.uint8 or len(images) != len(labels) or not len(
        images):
      raise ValueError('images must be a non-empty uint8 array with one '
                       'label each.')
    devices = list(devices or jax.local_devices())
    _check_fits(images.nbytes + labels.nbytes, devices[0])
    self.batch_shape = tuple(int(b) for b in batch_shape)
    self.num_examples = n = len(images)
    self.per_step = per_step = int(np.prod(self.batch_shape))
    self.step = int(start_step)
    if len(devices) == 1:
      replicated = batch_sharding = jax.sharding.SingleDeviceSharding(
          devices[0])
    else:
      mesh = jax.sharding.Mesh(np.array(devices), ('batch',))
      P = jax.sharding.PartitionSpec  # pylint: disable=invalid-name
      replicated = jax.sharding.NamedSharding(mesh, P())
      axes = (None,) * (len(self.batch_shape) - 1) + ('batch',)
      if self.batch_shape[-1] % len(devices):
        axes = ()  # Cannot split evenly: every device holds the whole batch.
      batch_sharding = jax.sharding.NamedSharding(mesh, P(*axes))
    put = lambda a: jax.device_put(a, replicated)
    self._images = put(images)
    self._labels = put(np.asarray(labels, np.int32))
    self._values = put(images_lib.pixel_values(value_range))
    self._key = put(jax.random.fold_in(jax.random.PRNGKey(seed),
                                       process_index))
    self._perms: dict[int, jax.Array] = {}
    # Epochs one step can touch: its first position's, and the following
    # ones its batch reaches into.
    self._epochs_per_step = (n - 1 + per_step - 1) // n + 1
    self._sharding = None if len(devices) == 1 else batch_sharding

  def _perm(self, epoch: int) -> jax.Array:
    if epoch not in self._perms:
      self._perms[epoch] = _permutation(self.num_examples, self._key,
                                        np.uint32(epoch))
    return self._perms[epoch]

  def __iter__(self):
    return self

  def __next__(self) -> dict[str, jax.Array]:
    epoch, offset = divmod(self.step * self.per_step, self.num_examples)
    for old in [e for e in self._perms if e < epoch]:
      del self._perms[old]
    perms = tuple(self._perm(epoch + k) for k in range(self._epochs_per_step))
    self.step += 1
    return _draw(self._images, self._labels, self._values, perms,
                 np.int32(offset), self.batch_shape, self._sharding)
