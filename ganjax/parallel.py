"""Placing the step on devices: ``jax.pmap`` over all local devices, or
``jax.jit`` on one.

``config.parallel``: ``'auto'`` (pmap when there is more than one device in
the run, else jit), ``'pmap'`` or ``'jit'``. In a multi-process run
``'auto'`` is pmap even with one device per process (one GPU per task, as
``srun`` starts them): pmap maps over the local devices and its collectives
span every process's devices, so gradients are averaged over all of them;
``'jit'`` is refused there, since each process would train a model of its
own. The same ``steps.train_step`` compiles under both; only the state's
and batch's layout differ:

* jit: state as is, batch ``[n_critic, batch, ...]``;
* pmap: state replicated with a leading device axis, batch
  ``[devices, n_critic, batch / devices, ...]``.
"""

from __future__ import annotations

import collections
import functools
import itertools
from typing import Any, Callable, Iterator

import flax.jax_utils
import jax
import jax.numpy as jnp
from jax.experimental import multihost_utils
import numpy as np
import orbax.checkpoint as ocp

from ganjax import errors, families

State = Any  # A family's state pytree (ganjax.families).

AXIS = 'devices'
MODES = ('auto', 'pmap', 'jit')


def initialize_distributed(coordinator_address: str | None = None,
                           num_processes: int | None = None,
                           process_id: int | None = None) -> None:
  """Joins a multi-process run (``jax.distributed.initialize``).

  With no arguments JAX reads the cluster's environment (SLURM, Open MPI,
  TPU pods, ...). On CPU, cross-process collectives use gloo. Call before
  any other JAX work.
  """
  jax.config.update('jax_cpu_collectives_implementation', 'gloo')
  jax.distributed.initialize(coordinator_address=coordinator_address,
                             num_processes=num_processes,
                             process_id=process_id)


def sync_processes(name: str, timeout_s: int = 600) -> None:
  """Brings all processes of a multi-process run in step; no-op for one.

  A barrier of the coordination service (waits up to ``timeout_s``, so a
  process that is slower to start or compile does not fail the run), then
  one collective that sets up the cross-process communicators (gloo on CPU)
  while every process is there: their set-up times out after 30 s, which a
  loaded machine can exceed. Later barriers (Orbax saves) may then wait as
  long as the chief takes to draw pictures or evaluate.
  """
  if jax.process_count() == 1:
    return
  ocp.multihost.get_barrier_sync_fn()(key=name, timeout_ms=timeout_s * 1000)
  multihost_utils.sync_global_devices(name)


def resolve_mode(mode: str) -> str:
  """``'pmap'`` or ``'jit'`` for ``config.parallel``, decided on the whole
  run: several processes always mean pmap (see the module docstring)."""
  if mode not in MODES:
    raise errors.ConfigError(f'config.parallel={mode!r} is not allowed; '
                             f'choose one of {list(MODES)}.')
  processes = jax.process_count()
  if processes > 1 and mode == 'jit':
    raise errors.ConfigError(
        f"config.parallel='jit' cannot be used in a run of {processes} "
        "processes: jit runs on this process's devices alone, so each "
        "process would train a model of its own; use 'auto' or 'pmap'.")
  if mode == 'auto':
    return 'pmap' if processes > 1 or jax.local_device_count() > 1 else 'jit'
  return mode


def axis_name(mode: str) -> str | None:
  return AXIS if mode == 'pmap' else None


def compile_step(spec: Any, mode: str) -> Callable[[State, Any], Any]:
  """The family's train step, compiled once for ``mode``; the state is
  donated."""
  fn = functools.partial(families.of(spec).train_step, spec)
  if mode == 'pmap':
    return jax.pmap(fn, axis_name=AXIS, donate_argnums=(0,))
  return jax.jit(fn, donate_argnums=(0,))


def place_state(state: State, mode: str) -> State:
  """The state on the devices. Under jit with one device it is committed
  there, where the step's outputs and on-device batches live: an
  uncommitted first state would make the step's second call (committed
  inputs) compile the whole program again. With several devices it stays
  uncommitted, for jit to place beside batches spread over them."""
  if mode == 'pmap':
    return flax.jax_utils.replicate(state)
  if jax.local_device_count() == 1:
    return jax.device_put(state, jax.local_devices()[0])
  return jax.device_put(state)


def first_replica(tree: Any, mode: str) -> Any:
  """The copy on this process's first device of a replicated (pmap) tree.

  Reads that device's buffer directly (``addressable_data``): indexing
  ``x[0]`` would be a computation over all processes' devices, which in a
  multi-process run blocks unless every process does the same.
  """
  if mode != 'pmap':
    return tree
  return jax.tree.map(lambda x: x.addressable_data(0).reshape(x.shape[1:]),
                      tree)


def host_state(state: State, mode: str) -> State:
  """The state as one unreplicated copy on the host (for checkpoints)."""
  return jax.device_get(first_replica(state, mode))


def shard(batch: Any, mode: str, batch_axis: int = 1) -> Any:
  """Each array ``[..., batch, ...]`` (batch at ``batch_axis``; 1 for a
  step's ``[n_critic, batch, ...]``) -> ``[devices, ..., batch/devices,
  ...]`` under pmap; unchanged under jit."""
  if mode != 'pmap':
    return batch
  devices = jax.local_device_count()

  def split(x):
    if isinstance(x, jax.Array):
      return _shard_on_device(x, batch_axis)
    b = x.shape[batch_axis]
    x = x.reshape(x.shape[:batch_axis] + (devices, b // devices) +
                  x.shape[batch_axis + 1:])
    return np.moveaxis(x, batch_axis, 0)
  return jax.tree.map(split, batch)


def _shard_on_device(x: jax.Array, batch_axis: int) -> jax.Array:
  """The pmap layout of a device array whose batch axis is already split
  over the local devices (``data.on_device``): no copy, each device keeps
  its own slice."""
  devices = jax.local_devices()
  pieces = {s.device: s.data for s in x.addressable_shards}
  local = x.shape[batch_axis] // len(devices)
  if (set(pieces) != set(devices) or
      any(p.shape[batch_axis] != local for p in pieces.values())):
    raise ValueError(f'an on-device batch of shape {x.shape} is not split '
                     f'over the {len(devices)} local devices along axis '
                     f'{batch_axis}.')
  shape = ((len(devices),) + x.shape[:batch_axis] + (local,) +
           x.shape[batch_axis + 1:])
  mesh = jax.sharding.Mesh(np.array(devices), (AXIS,))
  return jax.make_array_from_single_device_arrays(
      shape, jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(AXIS)),
      [pieces[d][None] for d in devices])


def compile_multi_step(spec: Any, mode: str) -> Callable[[State, Any], Any]:
  """K train steps in one dispatch (``lax.scan``); the state is donated.

  Takes batches stacked as ``[K, n_critic, batch, ...]`` (per device under
  pmap) and returns the new state and each metric summed over the K steps.
  The same K steps as K calls of ``compile_step``, with one host round trip.
  """
  train_step = families.of(spec).train_step

  def multi(state, batches):
    state, metrics = jax.lax.scan(
        lambda s, b: train_step(spec, s, b), state, batches)
    return state, jax.tree.map(lambda m: m.sum(0), metrics)
  if mode == 'pmap':
    return jax.pmap(multi, axis_name=AXIS, donate_argnums=(0,))
  return jax.jit(multi, donate_argnums=(0,))


def dispatch_plan(start: int, total: int, per_dispatch: int,
                  intervals: Iterator[int]) -> Iterator[int]:
  """How many steps each dispatch runs: at most ``per_dispatch``, and never
  past a multiple of any interval (log, checkpoint, sample, eval) or the
  end, so every periodic action happens at exactly its step."""
  intervals = [i for i in intervals if i and i > 0]
  step = start
  while step < total:
    boundary = min([total] + [(step // i + 1) * i for i in intervals])
    size = min(per_dispatch, boundary - step)
    yield size
    step += size


def group_steps(stream: Iterator[Any], sizes: Iterator[int]) -> Iterator[Any]:
  """Stacks the next ``size`` per-step batches for each planned dispatch."""
  def stack(*xs):  # Device arrays (data.on_device) stay on the device.
    return jnp.stack(xs) if isinstance(xs[0], jax.Array) else np.stack(xs)
  for size in sizes:
    items = [next(stream) for _ in range(size)]
    yield jax.tree.map(stack, *items)


def device_stream(stream: Iterator[Any], mode: str, size: int = 2,
                  batch_axis: int = 1) -> Iterator[Any]:
  """Shards each batch and keeps ``size`` batches in flight to the devices."""
  stream = iter(stream)
  first = next(stream, None)
  if first is None:  # Nothing left to train.
    return iter(())
  on_device = all(isinstance(x, jax.Array) for x in jax.tree.leaves(first))
  sharded = (shard(b, mode, batch_axis)
             for b in itertools.chain([first], stream))
  if on_device:  # Already where the step needs it.
    return sharded
  if mode == 'pmap':
    return flax.jax_utils.prefetch_to_device(sharded, size)
  queue = collections.deque()

  def enqueue(n):
    for b in itertools.islice(sharded, n):
      queue.append(jax.device_put(b))

  def gen():
    enqueue(size)
    while queue:
      yield queue.popleft()
      enqueue(1)
  return gen()
