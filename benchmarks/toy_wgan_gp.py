r"""The WGAN-GP paper's toy setting: ganjax steps/s against PyTorch eager.

    python benchmarks/toy_wgan_gp.py                  # ganjax vs PyTorch
    python benchmarks/toy_wgan_gp.py --scan=10,50     # also K steps/dispatch
    python benchmarks/toy_wgan_gp.py --steps=20 --repeats=3 --rounds=1

Gulrajani et al. (2017), toy experiments (their ``gan_toy.py``): G and D
MLPs with three hidden layers of 512 ReLU units, 2D data (here the ring of 8
Gaussians), z ~ N(0, I) of dimension 2, batch 256, 5 critic updates per
generator update, gradient-penalty weight lambda 0.1, Adam 1e-4 with
betas (0.5, 0.9). One "step" is the paper's one generator iteration: 5
critic updates (each on fresh real data and fresh z: G forward, D on real,
fake and the interpolates, the penalty's double backward, Adam) and one G
update.

* ``ganjax``: ``ganjax.parallel.compile_step`` on that config; one
  dispatch per step, real data already on the device.
* ``ganjax-scanK`` (``--scan=K``): the same ``ganjax.steps.train_step``
  run K times inside one ``jax.jit``-ed ``lax.scan`` (what
  ``config.train.steps_per_dispatch=K`` does in the training loop): the
  host dispatches once per K steps.
* ``torch``: the same work as a PyTorch eager loop (the idiom of the
  paper's PyTorch ports: ``autograd.grad(..., create_graph=True)`` for the
  penalty, D's parameters frozen during the G update).

Each runs in its own subprocess, one after another (``--rounds`` times);
medians of ``--repeats`` timed runs of ``--steps`` steps after a warm-up.
Also printed: FLOPs per step (XLA's cost analysis of ganjax's step),
achieved FLOP/s against the measured float32 matmul peak, time to the
first step, peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dcgan_peers  # noqa: E402  pylint: disable=g-import-not-at-top,wrong-import-position

ROOT = dcgan_peers.ROOT
HIDDEN = (512, 512, 512)
LATENT = 2
N_CRITIC = 5
GP_WEIGHT = 0.1


def parse_args(argv=None):
  p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  p.add_argument('--batch', type=int, default=256)
  p.add_argument('--steps', type=int, default=50,
                 help='generator steps per timed run')
  p.add_argument('--repeats', type=int, default=5)
  p.add_argument('--warmup', type=int, default=5)
  p.add_argument('--rounds', type=int, default=2)
  p.add_argument('--scan', default='',
                 help='comma-separated K: also time lax.scan over K steps')
  p.add_argument('--only', default='ganjax,torch')
  p.add_argument('--no_peak', action='store_true')
  p.add_argument('--json', default=None)
  p.add_argument('--worker', default=None, help=argparse.SUPPRESS)
  return p.parse_args(argv)


def toy_config(batch: int):
  sys.path.insert(0, ROOT)
  from ganjax import config_lib  # pylint: disable=g-import-not-at-top
  c = config_lib.base_config()
  c.data.name = 'ring8'
  c.model.latent_dim = LATENT
  c.model.generator = dict(name='mlp', hidden=HIDDEN)
  c.model.discriminator = dict(name='mlp', hidden=HIDDEN)
  c.loss.name = 'wgan_gp'
  c.loss.gp_weight = GP_WEIGHT
  c.optim.g.learning_rate = c.optim.d.learning_rate = 1e-4
  c.optim.g.b1 = c.optim.d.b1 = 0.5
  c.optim.g.b2 = c.optim.d.b2 = 0.9
  c.train.n_critic = N_CRITIC
  c.train.batch_size = batch
  return c


def _ring8(rng, shape):
  """Points of the ring of 8 Gaussians (radius 2, std 0.02), numpy."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  n = int(np.prod(shape))
  angles = rng.integers(0, 8, n) * (2 * np.pi / 8)
  centers = 2.0 * np.stack([np.cos(angles), np.sin(angles)], -1)
  points = centers + 0.02 * rng.standard_normal((n, 2))
  return points.reshape(tuple(shape) + (2,)).astype(np.float32)


def worker_ganjax(args, scan: int = 0):
  import jax  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  from jax import lax  # pylint: disable=g-import-not-at-top
  sys.path.insert(0, ROOT)
  from ganjax import parallel, state as state_lib, steps  # pylint: disable=g-import-not-at-top
  config = toy_config(args.batch)
  gan = state_lib.build_gan(config, (2,))
  state = parallel.place_state(state_lib.create_state(gan, 0), 'jit')
  x = _ring8(np.random.default_rng(0), (N_CRITIC, args.batch))
  batch = jax.device_put({'x': jnp.asarray(x),
                          'label': jnp.zeros((N_CRITIC, args.batch),
                                             jnp.int32)})
  if scan:
    def many(st, b):
      def body(s, _):
        return steps.train_step(gan, s, b)
      st, metrics = lax.scan(body, st, None, length=scan)
      return st, jax.tree.map(lambda m: m[-1], metrics)
    step = jax.jit(many, donate_argnums=(0,))
  else:
    step = parallel.compile_step(gan, 'jit')
  per = max(scan, 1)
  # --steps counts generator steps; a scan dispatch makes ``per`` of them.
  # XLA's cost analysis counts a loop body once, so a scan of K steps
  # reports the FLOPs of one step.
  sub = argparse.Namespace(**vars(args))
  sub.steps = max(1, args.steps // per)
  sub.warmup = max(1, args.warmup // per)
  timed = dcgan_peers.time_jax_step(step, state, batch, sub)
  return {**timed, 'seconds_per_step': timed['seconds_per_step'] / per,
          'runs': [r / per for r in timed['runs']],
          'steps_per_dispatch': per, 'version': jax.__version__}


def worker_torch(args):
  import numpy as np  # pylint: disable=g-import-not-at-top
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn  # pylint: disable=g-import-not-at-top
  device, label = dcgan_peers.torch_device()
  torch.manual_seed(0)

  def mlp(n_in, n_out):
    layers, width = [], n_in
    for h in HIDDEN:
      layers += [nn.Linear(width, h), nn.ReLU()]
      width = h
    return nn.Sequential(*layers, nn.Linear(width, n_out))

  g, d = mlp(LATENT, 2).to(device), mlp(2, 1).to(device)
  g_opt = torch.optim.Adam(g.parameters(), lr=1e-4, betas=(0.5, 0.9),
                           eps=1e-7)
  d_opt = torch.optim.Adam(d.parameters(), lr=1e-4, betas=(0.5, 0.9),
                           eps=1e-7)
  data = torch.from_numpy(_ring8(np.random.default_rng(0),
                                 (N_CRITIC, args.batch))).to(device)
  batch = args.batch
  last = [None]

  def step():
    for p in d.parameters():
      p.requires_grad_(True)
    for i in range(N_CRITIC):
      real = data[i]
      with torch.no_grad():
        fake = g(torch.randn(batch, LATENT, device=device))
      d_real, d_fake = d(real).mean(), d(fake).mean()
      eps = torch.rand(batch, 1, device=device)
      x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
      grads, = torch.autograd.grad(d(x_hat).sum(), x_hat, create_graph=True)
      norms = torch.sqrt(grads.square().sum(1) + 1e-12)
      penalty = (norms - 1).square().mean()
      d_loss = d_fake - d_real + GP_WEIGHT * penalty
      d_opt.zero_grad(set_to_none=True)
      d_loss.backward()
      d_opt.step()
    for p in d.parameters():
      p.requires_grad_(False)
    g_loss = -d(g(torch.randn(batch, LATENT, device=device))).mean()
    g_opt.zero_grad(set_to_none=True)
    g_loss.backward()
    g_opt.step()
    last[0] = g_loss

  return {**dcgan_peers.time_eager_step(step, last, args),
          'version': torch.__version__, 'threads': label}


def worker(name: str, args) -> dict:
  if name == 'peak':
    return dcgan_peers.worker_peak(args)
  if name == 'torch':
    return worker_torch(args)
  if name == 'ganjax':
    return worker_ganjax(args)
  if name.startswith('ganjax-scan'):
    return worker_ganjax(args, scan=int(name[len('ganjax-scan'):]))
  raise SystemExit(f'unknown worker {name!r}')


def main(argv=None):
  args = parse_args(argv)
  if args.worker:
    result = worker(args.worker, args)
    result['peak_rss_mib'] = dcgan_peers._maxrss_mib()  # pylint: disable=protected-access
    print(dcgan_peers.RESULT + json.dumps(result), flush=True)
    return
  wanted = [w for w in args.only.split(',') if w]
  wanted += [f'ganjax-scan{int(k)}' for k in args.scan.split(',') if k]
  order = ([] if args.no_peak else ['peak']) + wanted
  passthrough = [f'--batch={args.batch}', f'--steps={args.steps}',
                 f'--repeats={args.repeats}', f'--warmup={args.warmup}']
  print(f'toy WGAN-GP: MLPs {HIDDEN}, batch {args.batch}, {N_CRITIC} critic '
        f'steps, lambda {GP_WEIGHT}; {os.cpu_count()} logical CPUs; load '
        f'average at start {dcgan_peers._load()}')  # pylint: disable=protected-access
  per_round = []
  for round_index in range(args.rounds):
    print(f'round {round_index + 1} of {args.rounds} '
          f'(load {dcgan_peers._load()})', flush=True)  # pylint: disable=protected-access
    this = {}
    for name in order:
      this[name] = r = dcgan_peers.run_worker(name, passthrough,
                                              script=__file__)
      if 'error' in r:
        print(f'  {name}: FAILED {r["error"]}', flush=True)
      elif name == 'peak':
        print(f'  peak: {r["peak_flops"] / 1e9:.1f} GFLOP/s', flush=True)
      else:
        print(f'  {name}: {1 / r["seconds_per_step"]:.1f} steps/s (runs: '
              + ', '.join(f'{1 / s:.1f}' for s in r['runs']) + ')',
              flush=True)
    per_round.append(this)
  results = dcgan_peers.merge_rounds(per_round)
  results['load_at_end'] = dcgan_peers._load()  # pylint: disable=protected-access
  print_table(results, wanted)
  if args.json:
    with open(args.json, 'w') as f:
      json.dump({'args': vars(args), 'results': results}, f, indent=2)


def print_table(results: dict, wanted: list[str]) -> None:
  peak = results.get('peak', {}).get('peak_flops')
  flops = next((results[w].get('xla_flops') for w in wanted
                if w.startswith('ganjax') and 'error' not in results[w]),
               None)
  print(f'\n{"":24s} {"steps/s":>8s} {"ms/step":>8s} {"1st step s":>10s} '
        f'{"peak MiB":>9s} {"GFLOP/s":>8s} {"of peak":>7s}')
  rates = {}
  for name in wanted:
    r = results.get(name)
    if not r or 'error' in r:
      continue
    sec = r['seconds_per_step']
    rates[name] = 1.0 / sec
    gflops = f'{flops / sec / 1e9:.1f}' if flops else '-'
    frac = f'{100 * flops / sec / peak:.0f}%' if flops and peak else '-'
    label = {'torch': 'PyTorch (eager)', 'ganjax': 'ganjax (compile_step)'}
    label = label.get(name, name.replace('ganjax-scan', 'ganjax, lax.scan K='))
    print(f'{label:24s} {rates[name]:8.1f} {1000 * sec:8.2f} '
          f'{r["first_step_s"]:10.1f} {r["peak_rss_mib"]:9.0f} {gflops:>8s} '
          f'{frac:>7s}')
  if flops:
    print(f'\nFLOPs per step (XLA cost analysis of ganjax\'s step): '
          f'{flops / 1e9:.2f} GFLOP (the same work for PyTorch).')
  if peak:
    print(f'matmul peak: {peak / 1e9:.1f} GFLOP/s (float32 jnp.dot).')
  if 'torch' in rates:
    for name in rates:
      if name != 'torch':
        print(f'{name} / PyTorch eager: {rates[name] / rates["torch"]:.2f}x '
              f'(target >= 3x)')
  print(f'load average at end: {results.get("load_at_end")}')


if __name__ == '__main__':
  main()
