r"""Input pipeline throughput next to the train step's consumption rate.

    python benchmarks/input_pipeline.py                       # digits -> 28x28
    python benchmarks/input_pipeline.py --data=mnist --mock   # MNIST shapes
    python benchmarks/input_pipeline.py --batch=64 --steps=5  # CPU-sized
    python benchmarks/input_pipeline.py --pipeline_only       # no train step

Uses the DCGAN of ``configs/mnist_dcgan.py`` (the TensorFlow tutorial's,
28x28x1) on real offline data (``digits``, upscaled to 28x28, prepared into
``--data_dir`` on first use) or on MNIST under ``tfds.testing.mock_data``
(random images of MNIST's shape, same pipeline code). It prints:

* pipeline: batches/s of ``ganjax.data.make_stream`` alone (host, numpy),
  and through ``ganjax.parallel.device_stream`` (to the device);
* step: steps/s of ``ganjax.parallel.compile_step`` on one fixed
  device-resident batch (the ceiling: no input at all), with the real
  pipeline through ``device_stream`` (what ``train.py`` does), and with
  ``config.data.on_device=True``;
* the ratio of each to the fixed-batch rate (target: >= 95%).

Each rate is the median of ``--repeats`` timed runs of ``--steps`` steps,
after a warm-up that compiles and fills the queues; runs of the three step
variants alternate, so a machine shared with other work hurts all alike.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402  pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # noqa: E402  pylint: disable=g-import-not-at-top,wrong-import-position


def parse_args(argv=None):
  p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  p.add_argument('--data', default='digits', choices=('digits', 'mnist'))
  p.add_argument('--mock', action='store_true',
                 help='serve --data from tfds.testing.mock_data')
  p.add_argument('--data_dir', default=None,
                 help='TFDS data_dir (default: a temporary folder for digits)')
  p.add_argument('--batch', type=int, default=256, help='global batch')
  p.add_argument('--n_critic', type=int, default=1)
  p.add_argument('--steps', type=int, default=50, help='steps per timed run')
  p.add_argument('--repeats', type=int, default=3)
  p.add_argument('--warmup', type=int, default=3,
                 help='untimed steps per variant (compiles, fills queues)')
  p.add_argument('--pipeline_only', action='store_true',
                 help='time the pipeline only, not the train step')
  p.add_argument('--pipeline_batches', type=int, default=500,
                 help='batches per pipeline-only timing')
  return p.parse_args(argv)


def make_config(args):
  from ganjax import config_lib  # pylint: disable=g-import-not-at-top
  config = config_lib.get_config('mnist_dcgan')
  config.data.name = args.data
  if args.data == 'digits':
    config.data.image_size = 28
    config.data.data_dir = args.data_dir or os.path.join(
        tempfile.gettempdir(), 'ganjax_benchmark_tfds')
  elif args.data_dir:
    config.data.data_dir = args.data_dir
  config.train.batch_size = args.batch
  config.train.n_critic = args.n_critic
  return config


def rate(fn, count: int) -> float:
  """``count`` calls of ``fn`` per second (``fn`` blocks at its end)."""
  start = time.perf_counter()
  fn(count)
  return count / (time.perf_counter() - start)


def pipeline_rates(config, args) -> dict[str, float]:
  from ganjax import data, parallel  # pylint: disable=g-import-not-at-top
  mode = parallel.resolve_mode(config.parallel)
  out = {}
  stream = data.make_stream(config)
  for _ in range(20):  # First pass decodes and caches; let it fill.
    next(stream)

  def host(n):
    for _ in range(n):
      next(stream)
  out['pipeline (host numpy)'] = rate(host, args.pipeline_batches)
  to_device = parallel.device_stream(data.make_stream(config), mode)
  for _ in range(20):
    next(to_device)

  def device(n):
    for _ in range(n):
      b = next(to_device)
    jax.block_until_ready(b)
  out['pipeline -> device_stream'] = rate(device, args.pipeline_batches)
  return out


def step_rates(config, args) -> dict[str, list[float]]:
  from ganjax import data, parallel, loop as train  # pylint: disable=g-import-not-at-top
  mode = parallel.resolve_mode(config.parallel)
  gan, state = train.build(config, mode)
  step = parallel.compile_step(gan, mode)
  state = parallel.place_state(state, mode)
  fixed = jax.device_put(parallel.shard(next(data.make_stream(config)), mode))
  streams = {
      'fixed device batch': None,
      'tf.data pipeline + device_stream': parallel.device_stream(
          data.make_stream(config), mode),
      'on_device=True': parallel.device_stream(
          data.make_stream(config, on_device=True), mode),
  }

  def run(name, n):
    nonlocal state
    batches = streams[name]
    for _ in range(n):
      state, metrics = step(state, fixed if batches is None else next(batches))
    jax.block_until_ready((state, metrics))

  for name in streams:  # Warm up: compile, fill caches and queues.
    run(name, args.warmup)
  rates = {name: [] for name in streams}
  for _ in range(args.repeats):
    for name in streams:
      rates[name].append(rate(lambda n, name=name: run(name, n), args.steps))
  return rates


def main(argv=None):
  args = parse_args(argv)
  import contextlib  # pylint: disable=g-import-not-at-top
  context = contextlib.nullcontext()
  if args.mock:
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
    context = tfds.testing.mock_data(num_examples=10_000)
  config = make_config(args)
  from ganjax import data  # pylint: disable=g-import-not-at-top
  with context:
    shape = data.data_shape(config)
    pipe = pipeline_rates(config, args)
    steps = None if args.pipeline_only else step_rates(config, args)
  device = jax.devices()[0]
  print(f'\ninput pipeline benchmark: {args.data}{" (mock)" if args.mock else ""}'
        f', DCGAN on {shape}'
        f', global batch {args.batch}, n_critic {args.n_critic}, '
        f'{jax.device_count()} x {device.device_kind} ({device.platform}), '
        f'{os.cpu_count()} CPU cores')
  for name, value in pipe.items():
    print(f'  {name:36s} {value:10.1f} batches/s')
  if steps is None:
    return
  fixed = float(np.median(steps['fixed device batch']))
  for name, values in steps.items():
    med = float(np.median(values))
    runs = ', '.join(f'{v:.2f}' for v in values)
    print(f'  step, {name:30s} {med:10.2f} steps/s  '
          f'{med / fixed:6.1%} of fixed  (runs: {runs})')
  host = pipe['pipeline -> device_stream']
  print(f'  headroom: the pipeline delivers {host / fixed:.0f}x the batches '
        f'the step consumes ({1e3 / host:.2f} ms of host time per batch vs '
        f'{1e3 / fixed:.1f} ms per step)')


if __name__ == '__main__':
  main()
