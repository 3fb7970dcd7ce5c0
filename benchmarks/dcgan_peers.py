r"""The DCGAN (and ResNet SNGAN-32) train step: TensorFlow, PyTorch and ganjax.

    python benchmarks/dcgan_peers.py                      # all, batch 256
    python benchmarks/dcgan_peers.py --only=ganjax,torch  # a subset
    python benchmarks/dcgan_peers.py --model=sngan32      # the ResNet
    python benchmarks/dcgan_peers.py --steps=3 --repeats=3 --batch=64  # quick
    python benchmarks/dcgan_peers.py --recount=run.json   # FLOPs again

One command; every framework runs in its own subprocess, one after another,
so none competes with another for threads or memory:

* ``peak``: the machine's float32 matmul peak, measured (the best median
  FLOP/s of ``jnp.dot`` on square float32 matrices of a few sizes, jitted).
* ``tf``: the train step of the TensorFlow DCGAN tutorial
  (tensorflow.org/tutorials/generative/dcgan, seed 004's baseline): its
  Keras ``Sequential`` models verbatim, ``tf.function``, two
  ``GradientTape``s, ``BinaryCrossentropy(from_logits=True)``, Adam 1e-4
  for both.
* ``torch``: the same architecture and step in PyTorch eager (the
  ``bench`` extra: ``pip install -e .[bench]``), Keras' defaults carried
  over (BatchNorm momentum 0.99 / epsilon 1e-3, LeakyReLU 0.3, Adam epsilon
  1e-7).
* ``torch-compile``: the same PyTorch step with G and D each wrapped in
  ``torch.compile`` (default mode: inductor, ``mode=None``, graph breaks
  allowed; ``dynamic=False``, static shapes); the losses, ``autograd.grad`` and Adam stay eager. Compilation
  happens in the first step (``first_step_s`` includes it) and in the
  untimed ``--warmup`` steps (graphs compiled on first use, e.g. D's on
  the generated images, whose gradient is taken), so the timed runs
  exclude it.
* ``ganjax``: ``ganjax.parallel.compile_step`` on ``configs/mnist_dcgan.py``
  with ``n_critic=1`` (one D update, then one G update on fresh z).
  ``ganjax-plain`` is the same with ``fast_transpose=False`` and
  ``fast_conv=False`` (flax's own ``nn.ConvTranspose`` and ``nn.Conv``), to
  show what the layers of ``ganjax.models.layers`` buy. Both rows keep
  ``train.update_scheme='alternating'`` (the figures of docs/BENCHMARKS.md).
* ``ganjax-sim``: the same with ``train.update_scheme='simultaneous'``
  (the config's default since issue 16): the tutorial's step, one G
  forward and both gradients from it, so the same work per step as the
  TensorFlow and PyTorch rows.

All at batch ``--batch`` of 28x28x1 images drawn once and already in the
framework's memory (device), noise drawn inside the step. Each timed run is
``--steps`` steps; ``--repeats`` runs after ``--warmup`` steps that are not
timed (compilation, tracing, allocator warm-up); the median run is reported.

Work per step: the tutorial's step (TF, PyTorch) does one G forward and takes
both networks' gradients from it; ganjax's step updates D first and then G
against the updated D, so it runs G forward twice and D forward three times:
about 1.3x the FLOPs. The table gives each step's FLOPs (XLA's cost
analysis: of ganjax's program itself, and of the same computation as the
tutorial's step written in JAX for the peers), counting only products with
a non-padding, non-dilation-hole operand ("useful"). ganjax's sub-pixel
transposed convolution also multiplies some zero taps; its XLA count is
printed alongside but the FLOP/s use the useful count, so the fraction of
peak is never inflated.

Also printed per framework: the time to the first step (tracing and
compilation included) and the subprocess' peak resident memory
(``resource.getrusage(...).ru_maxrss``, framework import included).

``--model=sngan32``: the ResNet SNGAN-32 of torch-mimicry
(nets/sngan/sngan_32.py) on 32x32x3 images instead, in three rows:
``torch`` and ``torch-compile`` (``torch_sngan32_models``: G ngf=256,
z of 128, dense to 4x4, three up-sampling GBlocks with BatchNorm and ReLU,
bilinear up-sampling x2 as mimicry's, convs 3x3, BN-ReLU-conv 3x3-tanh to 3
channels; D ndf=128, optimized DBlock then three DBlocks, the first two
down-sampling, ReLU, global sum pooling, a linear layer, every conv and
linear under ``torch.nn.utils.spectral_norm``; 4,276,739 and 1,053,825
trainable parameters, ganjax's counts, printed per row and checked by
tests/test_peers_benchmark.py) and ``ganjax`` (``compile_step`` on
``configs/cifar10_sngan.py``). Every framework does one D update and one
G update per step (ganjax: ``train.n_critic=1``, not the config's 5;
``train.update_scheme='alternating'``): D's hinge loss on the real batch
and G(z), Adam 2e-4 with betas (0, 0.9); then G's hinge loss on fresh z
against the updated D. The same step everywhere, so the PyTorch rows'
FLOPs are ganjax's XLA count. ``tf``, ``ganjax-plain`` (the ResNet has no
flax-layer switch) and ``ganjax-sim`` have no sngan32 row: ``--only``
refuses them with one line, as the TensorFlow and FLOP-count workers (so
``--recount``) refuse ``--model=sngan32``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULT = 'RESULT '
FRAMEWORKS = ('tf', 'torch', 'torch-compile', 'ganjax', 'ganjax-plain',
              'ganjax-sim')
LATENT = 100  # the DCGAN's z
SNGAN_LATENT = 128  # the ResNet SNGAN-32's z
# Per --model: ganjax's config, the images (H, W, C) and the frameworks
# that have it.
MODELS = {
    'dcgan': dict(config='mnist_dcgan', shape=(28, 28, 1),
                  frameworks=FRAMEWORKS),
    'sngan32': dict(config='cifar10_sngan', shape=(32, 32, 3),
                    frameworks=('torch', 'torch-compile', 'ganjax')),
}


def parse_args(argv=None):
  p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  p.add_argument('--model', default='dcgan', choices=sorted(MODELS),
                 help='dcgan: the TF tutorial\'s DCGAN (28x28x1); sngan32: '
                 'the ResNet SNGAN-32 of configs/cifar10_sngan.py (32x32x3)')
  p.add_argument('--batch', type=int, default=256)
  p.add_argument('--steps', type=int, default=5, help='steps per timed run')
  p.add_argument('--repeats', type=int, default=5, help='timed runs')
  p.add_argument('--warmup', type=int, default=2, help='untimed steps first')
  p.add_argument('--rounds', type=int, default=2,
                 help='times the whole sequence of subprocesses is run; the '
                 'median is over the timed runs of all rounds (a shared '
                 "machine's load then falls on every framework alike)")
  p.add_argument('--only', default=','.join(FRAMEWORKS),
                 help=f'comma-separated subset of {",".join(FRAMEWORKS)}')
  p.add_argument('--no_peak', action='store_true',
                 help='skip the matmul peak measurement')
  p.add_argument('--ganjax_dtype', default=None,
                 help="compute dtype of ganjax's G and D (e.g. bfloat16)")
  p.add_argument('--json', default=None,
                 help='also write results here (rewritten after every '
                 'framework, so a stopped run keeps the rows it finished)')
  p.add_argument('--worker_timeout', type=float, default=None,
                 help='seconds one framework may take; past it its row '
                 'reads FAILED and the others still run')
  p.add_argument('--recount', default=None, metavar='JSON',
                 help='recount the FLOPs of a stored --json run and print '
                 'its table again (no timing)')
  p.add_argument('--worker', default=None, help=argparse.SUPPRESS)
  return p.parse_args(argv)


def _maxrss_mib() -> float:
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _time_runs(step_fn, sync, args):
  """Median seconds per step over ``args.repeats`` runs of ``args.steps``."""
  for _ in range(args.warmup):
    step_fn()
  sync()
  runs = []
  for _ in range(args.repeats):
    t = time.perf_counter()
    for _ in range(args.steps):
      step_fn()
    sync()
    runs.append((time.perf_counter() - t) / args.steps)
  return statistics.median(runs), runs


# --------------------------------------------------------------------------
# Workers (each runs in its own subprocess).
# --------------------------------------------------------------------------


def worker_peak(args):
  import jax  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  best = {}
  dot = jax.jit(jnp.dot)
  sizes = (1024, 2048, 3072) if jax.default_backend() == 'cpu' else (
      4096, 8192, 16384)
  for n in sizes:
    a = jax.random.normal(jax.random.PRNGKey(0), (n, n), jnp.float32)
    b = jax.random.normal(jax.random.PRNGKey(1), (n, n), jnp.float32)
    reps = max(3, int(2e10 // (2 * n ** 3)))
    dot(a, b).block_until_ready()
    times = []
    for _ in range(reps):
      t = time.perf_counter()
      dot(a, b).block_until_ready()
      times.append(time.perf_counter() - t)
    best[n] = 2 * n ** 3 / statistics.median(times)
  return {'peak_flops': max(best.values()),
          'by_size': {str(k): v for k, v in best.items()}}


def refuse_model(args, what: str) -> None:
  if args.model != 'dcgan':
    raise SystemExit(f'{what} has only --model=dcgan, not {args.model!r}: '
                     'run it with --model=dcgan')


def worker_tf(args):
  refuse_model(args, 'the TensorFlow worker')
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tf_dcgan_tutorial  # pylint: disable=g-import-not-at-top
  generator, discriminator = tf_dcgan_tutorial.models(tf)
  batch_size = args.batch
  train_step = tf_dcgan_tutorial.make_train_step(tf, generator, discriminator,
                                                 batch_size)
  images = tf.random.uniform([batch_size, 28, 28, 1], -1.0, 1.0)
  t = time.perf_counter()
  out = train_step(images)
  float(out[0])
  first = time.perf_counter() - t
  last = [out]

  def step():
    last[0] = train_step(images)

  median, runs = _time_runs(step, lambda: float(last[0][0]), args)
  return {'seconds_per_step': median, 'runs': runs, 'first_step_s': first,
          'version': tf.__version__,
          'threads': 'intra-op: TF default (all cores)'}


def torch_device():
  """PyTorch's device for a peer: the GPU when there is one, else the CPU
  with all its cores; and a label for the table."""
  import torch  # pylint: disable=g-import-not-at-top
  if torch.cuda.is_available():
    return torch.device('cuda'), f'cuda: {torch.cuda.get_device_name(0)}'
  torch.set_num_threads(os.cpu_count() or 1)
  return (torch.device('cpu'),
          f'torch.get_num_threads()={torch.get_num_threads()}')


def jax_backend_label() -> str:
  import jax  # pylint: disable=g-import-not-at-top
  if jax.default_backend() == 'cpu':
    return 'XLA:CPU default (all cores)'
  return f'{jax.default_backend()}: {jax.devices()[0].device_kind}'


def torch_dcgan_models():
  """The TensorFlow tutorial's DCGAN in PyTorch (Keras' defaults carried
  over): (generator, discriminator)."""
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn  # pylint: disable=g-import-not-at-top
  bn_kw = dict(eps=1e-3, momentum=0.01)  # Keras momentum 0.99

  class Generator(nn.Module):

    def __init__(self):
      super().__init__()
      self.fc = nn.Linear(LATENT, 7 * 7 * 256, bias=False)
      self.bn0 = nn.BatchNorm1d(7 * 7 * 256, **bn_kw)
      self.ct1 = nn.ConvTranspose2d(256, 128, 5, stride=1, padding=2,
                                    bias=False)
      self.bn1 = nn.BatchNorm2d(128, **bn_kw)
      self.ct2 = nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2,
                                    output_padding=1, bias=False)
      self.bn2 = nn.BatchNorm2d(64, **bn_kw)
      self.ct3 = nn.ConvTranspose2d(64, 1, 5, stride=2, padding=2,
                                    output_padding=1, bias=False)
      self.act = nn.LeakyReLU(0.3)

    def forward(self, z):
      x = self.act(self.bn0(self.fc(z))).view(-1, 256, 7, 7)
      x = self.act(self.bn1(self.ct1(x)))
      x = self.act(self.bn2(self.ct2(x)))
      return torch.tanh(self.ct3(x))

  class Discriminator(nn.Module):

    def __init__(self):
      super().__init__()
      self.c1 = nn.Conv2d(1, 64, 5, stride=2, padding=2)
      self.c2 = nn.Conv2d(64, 128, 5, stride=2, padding=2)
      self.fc = nn.Linear(128 * 7 * 7, 1)
      self.act = nn.LeakyReLU(0.3)
      self.drop = nn.Dropout(0.3)

    def forward(self, x):
      x = self.drop(self.act(self.c1(x)))
      x = self.drop(self.act(self.c2(x)))
      return self.fc(x.flatten(1))

  return Generator(), Discriminator()


def torch_sngan32_models(ngf: int = 256, ndf: int = 128):
  """torch-mimicry's ResNet SNGAN-32 (nets/sngan/sngan_32.py and
  nets/modules/resblocks.py) for 32x32x3 images: (generator,
  discriminator). Bilinear up-sampling (``align_corners=False``) as in
  mimicry and ``ganjax.models.resnet``; Xavier-uniform weights (gain
  sqrt(2) in the residual convolutions, 1 elsewhere); spectral norm on
  every layer of D with ``torch.nn.utils.spectral_norm`` (one power
  iteration per call in training, as mimicry's ``SNConv2d``)."""
  import math  # pylint: disable=g-import-not-at-top
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn  # pylint: disable=g-import-not-at-top
  from torch.nn import functional as F  # pylint: disable=g-import-not-at-top
  root2 = math.sqrt(2.0)

  def init(layer, gain, spectral):
    nn.init.xavier_uniform_(layer.weight, gain)
    return nn.utils.spectral_norm(layer) if spectral else layer

  def conv(c_in, c_out, k, gain, spectral=False):
    return init(nn.Conv2d(c_in, c_out, k, padding=k // 2), gain, spectral)

  def up(x):
    return F.interpolate(x, scale_factor=2, mode='bilinear',
                         align_corners=False)

  class GBlock(nn.Module):

    def __init__(self, c):
      super().__init__()
      self.b1, self.b2 = nn.BatchNorm2d(c), nn.BatchNorm2d(c)
      self.c1, self.c2 = conv(c, c, 3, root2), conv(c, c, 3, root2)
      self.c_sc = conv(c, c, 1, 1.0)

    def forward(self, x):
      h = self.c1(up(F.relu(self.b1(x))))
      h = self.c2(F.relu(self.b2(h)))
      return h + self.c_sc(up(x))

  class Generator(nn.Module):

    def __init__(self):
      super().__init__()
      self.l1 = init(nn.Linear(SNGAN_LATENT, 4 * 4 * ngf), 1.0, False)
      self.blocks = nn.Sequential(*(GBlock(ngf) for _ in range(3)))
      self.b5 = nn.BatchNorm2d(ngf)
      self.c5 = conv(ngf, 3, 3, 1.0)

    def forward(self, z):
      h = self.blocks(self.l1(z).view(-1, ngf, 4, 4))
      return torch.tanh(self.c5(F.relu(self.b5(h))))

  class DBlock(nn.Module):
    """mimicry's DBlock (hidden = in channels), or DBlockOptimized."""

    def __init__(self, c_in, c_out, down, optimized=False):
      super().__init__()
      self.c1 = conv(c_in, c_out if optimized else c_in, 3, root2, True)
      self.c2 = conv(c_out if optimized else c_in, c_out, 3, root2, True)
      learnable = optimized or down or c_in != c_out
      self.c_sc = conv(c_in, c_out, 1, 1.0, True) if learnable else None
      self.down, self.optimized = down, optimized

    def forward(self, x):
      pool = (lambda v: F.avg_pool2d(v, 2)) if self.down else (lambda v: v)
      if self.optimized:
        return pool(self.c2(F.relu(self.c1(x)))) + self.c_sc(pool(x))
      h = pool(self.c2(F.relu(self.c1(F.relu(x)))))
      return h + (pool(self.c_sc(x)) if self.c_sc is not None else x)

  class Discriminator(nn.Module):

    def __init__(self):
      super().__init__()
      self.blocks = nn.Sequential(
          DBlock(3, ndf, down=True, optimized=True),
          DBlock(ndf, ndf, down=True), DBlock(ndf, ndf, down=False),
          DBlock(ndf, ndf, down=False))
      self.l5 = init(nn.Linear(ndf, 1), 1.0, True)

    def forward(self, x):
      return self.l5(torch.sum(F.relu(self.blocks(x)), dim=(2, 3)))

  return Generator(), Discriminator()


def count_params(module) -> int:
  """Trainable parameters of a PyTorch module (spectral norm's ``u`` and
  ``v`` and BatchNorm's statistics are buffers, not counted)."""
  return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _set_grads(params, grads) -> None:
  for p, gr in zip(params, grads):
    p.grad = gr


def _torch_tutorial_step(g, d, run_g, run_d, images, last):
  """The TF tutorial's step: one G forward, both gradients from it; BCE,
  Adam 1e-4 (epsilon 1e-7) for both."""
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn  # pylint: disable=g-import-not-at-top
  g_opt = torch.optim.Adam(g.parameters(), lr=1e-4, eps=1e-7)
  d_opt = torch.optim.Adam(d.parameters(), lr=1e-4, eps=1e-7)
  bce = nn.BCEWithLogitsLoss()
  batch, device = images.shape[0], images.device
  ones = torch.ones(batch, 1, device=device)
  zeros = torch.zeros(batch, 1, device=device)
  g_params, d_params = list(g.parameters()), list(d.parameters())

  def step():
    noise = torch.randn(batch, LATENT, device=device)
    fake = run_g(noise)
    real_out, fake_out = run_d(images), run_d(fake)
    g_loss = bce(fake_out, ones)
    d_loss = bce(real_out, ones) + bce(fake_out, zeros)
    d_grads = torch.autograd.grad(d_loss, d_params, retain_graph=True)
    g_grads = torch.autograd.grad(g_loss, g_params)
    _set_grads(d_params, d_grads)
    _set_grads(g_params, g_grads)
    d_opt.step()
    g_opt.step()
    last[0] = g_loss

  return step


def _torch_hinge_alternating_step(g, d, run_g, run_d, images, last):
  """mimicry's SNGAN step with one D update per G update (ganjax's
  alternating step): D's hinge loss on real images and G(z) (no gradient
  into G), an Adam update of D; then G's hinge loss -D(G(z')) on fresh z'
  against the updated D, an Adam update of G. Adam 2e-4, betas (0, 0.9).

  D sees the real and the fake batch in one call (D has no BatchNorm, so
  the same logits and FLOPs as two calls; one power iteration of spectral
  norm per D update instead of two): with two calls, the second updates
  the first's ``u`` in place before the backward, which torch.compile's
  backward refuses ("modified by an inplace operation")."""
  import torch  # pylint: disable=g-import-not-at-top
  from torch.nn import functional as F  # pylint: disable=g-import-not-at-top
  adam = dict(lr=2e-4, betas=(0.0, 0.9))
  g_opt = torch.optim.Adam(g.parameters(), **adam)
  d_opt = torch.optim.Adam(d.parameters(), **adam)
  batch, device = images.shape[0], images.device
  g_params, d_params = list(g.parameters()), list(d.parameters())

  def step():
    with torch.no_grad():
      fake = run_g(torch.randn(batch, SNGAN_LATENT, device=device))
    real_out, fake_out = run_d(torch.cat([images, fake])).split(batch)
    d_loss = F.relu(1.0 - real_out).mean() + F.relu(1.0 + fake_out).mean()
    _set_grads(d_params, torch.autograd.grad(d_loss, d_params))
    d_opt.step()
    g_loss = -run_d(run_g(torch.randn(batch, SNGAN_LATENT,
                                      device=device))).mean()
    _set_grads(g_params, torch.autograd.grad(g_loss, g_params))
    g_opt.step()
    last[0] = g_loss

  return step


TORCH_MODELS = {'dcgan': (torch_dcgan_models, _torch_tutorial_step),
                'sngan32': (torch_sngan32_models,
                            _torch_hinge_alternating_step)}


def torch_gan(model: str, batch: int, device, compiled: bool = False,
              **widths):
  """The PyTorch peer of ``model``, on ``device``, in training mode:
  ``(step, last, g, d)``; ``step()`` runs one train step on ``batch``
  images drawn once (in [-1, 1]) and leaves G's loss in ``last[0]``.
  ``compiled``: G and D each wrapped in ``torch.compile`` (default mode,
  static shapes);
  the losses, autograd and Adam stay eager. ``widths``: the sngan32
  builder's ``ngf`` / ``ndf`` (tests)."""
  import torch  # pylint: disable=g-import-not-at-top
  build, make_step = TORCH_MODELS[model]
  torch.manual_seed(0)
  g, d = build(**widths)
  g, d = g.to(device).train(), d.to(device).train()
  # dynamic=False: every batch size its own static graph (D sees 2B
  # images in the SNGAN's D update, B in its G update).
  run_g, run_d = ((torch.compile(g, dynamic=False),
                   torch.compile(d, dynamic=False)) if compiled else (g, d))
  h, w, c = MODELS[model]['shape']
  images = torch.rand(batch, c, h, w, device=device) * 2 - 1
  last = [None]
  return make_step(g, d, run_g, run_d, images, last), last, g, d


def worker_torch(args, compiled: bool = False):
  import torch  # pylint: disable=g-import-not-at-top
  device, label = torch_device()
  step, last, g, d = torch_gan(args.model, args.batch, device, compiled)
  if compiled:
    label += '; torch.compile(G), torch.compile(D), default mode (inductor)'
  return {**time_eager_step(step, last, args),
          'version': torch.__version__, 'threads': label,
          'g_params': count_params(g), 'd_params': count_params(d)}


def time_eager_step(step, last, args) -> dict:
  """Times a PyTorch ``step`` that leaves its loss in ``last[0]`` (reading
  it as a float waits for the device): the first step (with
  ``torch.compile``, its compilation), then the timed runs after
  ``args.warmup`` more untimed steps."""
  t = time.perf_counter()
  step()
  float(last[0])
  first = time.perf_counter() - t
  median, runs = _time_runs(step, lambda: float(last[0]), args)
  return {'seconds_per_step': median, 'runs': runs, 'first_step_s': first}


def _ganjax_gan(fast_transpose: bool, batch: int, dtype=None,
                update_scheme: str = 'alternating', model: str = 'dcgan'):
  """ganjax's GAN for ``model`` (its config from configs/) with one D
  update per G update (``n_critic=1``): ``(config, gan)``.
  ``fast_transpose=False`` (dcgan only): flax's own nn.ConvTranspose and
  nn.Conv throughout; the ResNet has no such switch."""
  sys.path.insert(0, ROOT)
  from ganjax import state as state_lib  # pylint: disable=g-import-not-at-top
  import importlib.util  # pylint: disable=g-import-not-at-top
  name = MODELS[model]['config']
  spec = importlib.util.spec_from_file_location(
      name, os.path.join(ROOT, 'configs', f'{name}.py'))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  config = module.get_config()
  config.train.n_critic = 1
  config.train.batch_size = batch
  config.train.update_scheme = update_scheme
  if model == 'dcgan':
    config.model.generator = dict(config.model.generator,
                                  fast_transpose=fast_transpose)
    config.model.discriminator = dict(config.model.discriminator,
                                      fast_conv=fast_transpose)
  if dtype:
    config.model.generator = dict(config.model.generator, dtype=dtype)
    config.model.discriminator = dict(config.model.discriminator, dtype=dtype)
  return config, state_lib.build_gan(config, MODELS[model]['shape'])


def ganjax_param_counts(gan) -> tuple[int, int]:
  """(G, D) trainable parameters of a ganjax GAN, from shapes alone."""
  import jax  # pylint: disable=g-import-not-at-top
  from ganjax import state as state_lib  # pylint: disable=g-import-not-at-top
  st = jax.eval_shape(lambda: state_lib.create_state(gan, 0))
  size = lambda tree: sum(int(x.size) for x in jax.tree.leaves(tree))
  return size(st.g_params), size(st.d_params)


def _flops(cost) -> float:
  if isinstance(cost, (list, tuple)):
    cost = cost[0]
  return float(cost.get('flops', 0.0)) if cost else 0.0


def _lowered_flops(lowered) -> float:
  """XLA's FLOPs of a lowered step (some backends, e.g. GPU, count only
  once it is compiled)."""
  return _flops(lowered.cost_analysis()) or _flops(
      lowered.compile().cost_analysis())


def tutorial_step_flops(batch: int) -> float:
  """XLA's FLOPs of the tutorial's step (one G forward, both gradients),
  written in JAX with ganjax's plain-layer modules: the peers' work."""
  import jax  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  from ganjax import losses, state as state_lib  # pylint: disable=g-import-not-at-top
  _, gan = _ganjax_gan(False, batch)
  st = state_lib.create_state(gan, 0)

  def both_losses(g_params, d_params, images, key):
    z = jax.random.normal(key, (batch, LATENT))
    fake, _ = gan.generator.apply(
        {'params': g_params, 'batch_stats': st.g_batch_stats}, z, train=True,
        mutable=['batch_stats'])
    k1, k2 = jax.random.split(key)
    d_apply = lambda x, k: gan.discriminator.apply(
        {'params': d_params}, x, train=True, rngs={'dropout': k})
    real_logits, fake_logits = d_apply(images, k1), d_apply(fake, k2)
    return (losses.minimax_d_loss(real_logits, fake_logits),
            losses.ns_g_loss(fake_logits))

  def step(g_params, d_params, images, key):
    (d_loss, g_loss), pullback = jax.vjp(
        lambda g, d: both_losses(g, d, images, key), g_params, d_params)
    _, d_grads = pullback((jnp.ones_like(d_loss), jnp.zeros_like(g_loss)))
    g_grads, _ = pullback((jnp.zeros_like(d_loss), jnp.ones_like(g_loss)))
    return d_grads, g_grads

  images = jnp.zeros((batch, 28, 28, 1))
  compiled = jax.jit(step).lower(st.g_params, st.d_params, images,
                                 jax.random.PRNGKey(0)).compile()
  return _flops(compiled.cost_analysis())


def time_jax_step(step, state, batch, args) -> dict:
  """Compiles ``step(state, batch) -> (state, metrics)``, runs it once and
  times it (``_time_runs``): seconds per call, the runs, the first call
  (compile included), the compile alone and XLA's FLOPs of one call."""
  import jax  # pylint: disable=g-import-not-at-top
  t = time.perf_counter()
  compiled = step.lower(state, batch).compile()
  compile_s = time.perf_counter() - t
  holder = [state, None]
  holder[0], holder[1] = compiled(holder[0], batch)
  jax.block_until_ready(holder[1])
  first = time.perf_counter() - t

  def run():
    holder[0], holder[1] = compiled(holder[0], batch)

  median, runs = _time_runs(run, lambda: jax.block_until_ready(holder[1]),
                            args)
  return {'seconds_per_step': median, 'runs': runs, 'first_step_s': first,
          'compile_s': compile_s,
          'xla_flops': _flops(compiled.cost_analysis())}


def worker_ganjax(args, fast_transpose: bool = True,
                  update_scheme: str = 'alternating'):
  import jax  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  sys.path.insert(0, ROOT)
  from ganjax import parallel, state as state_lib  # pylint: disable=g-import-not-at-top
  model = args.model
  _, gan = _ganjax_gan(fast_transpose, args.batch, args.ganjax_dtype,
                       update_scheme, model)
  state = parallel.place_state(state_lib.create_state(gan, 0), 'jit')
  batch = jax.device_put({
      'x': jax.random.uniform(jax.random.PRNGKey(1),
                              (1, args.batch) + MODELS[model]['shape'],
                              minval=-1.0, maxval=1.0),
      'label': jnp.zeros((1, args.batch), jnp.int32)})
  timed = time_jax_step(parallel.compile_step(gan, 'jit'), state, batch,
                        args)
  if model == 'dcgan':
    # Useful FLOPs: the same step with nn.ConvTranspose (no zero taps).
    _, plain = _ganjax_gan(False, args.batch, args.ganjax_dtype,
                           update_scheme)
    useful = _lowered_flops(parallel.compile_step(plain, 'jit').lower(
        state_lib.create_state(plain, 0), batch))
  else:  # no transposed convolutions: every counted product is useful
    useful = timed['xla_flops']
  g_params, d_params = ganjax_param_counts(gan)
  result = {**timed, 'useful_flops': useful, 'version': jax.__version__,
            'threads': jax_backend_label(), 'g_params': g_params,
            'd_params': d_params}
  if (model == 'dcgan' and fast_transpose and
      update_scheme == 'alternating' and
      'ganjax' in args.only.split(',')):
    result['tutorial_flops'] = tutorial_step_flops(args.batch)
  return result


def worker_flops(args):
  """The FLOP counts alone (no timing): ganjax's step as compiled, its
  useful work, and the tutorial's step (dcgan only)."""
  refuse_model(args, 'the FLOP count (--recount)')
  import jax  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  sys.path.insert(0, ROOT)
  from ganjax import parallel, state as state_lib  # pylint: disable=g-import-not-at-top
  batch = {'x': jnp.zeros((1, args.batch, 28, 28, 1)),
           'label': jnp.zeros((1, args.batch), jnp.int32)}
  counts = {}
  for key, fast in (('xla_flops', True), ('useful_flops', False)):
    _, gan = _ganjax_gan(fast, args.batch, args.ganjax_dtype)
    counts[key] = _lowered_flops(parallel.compile_step(gan, 'jit').lower(
        state_lib.create_state(gan, 0), batch))
  counts['tutorial_flops'] = tutorial_step_flops(args.batch)
  return counts


WORKERS = {
    'peak': worker_peak,
    'flops': worker_flops,
    'tf': worker_tf,
    'torch': worker_torch,
    'torch-compile': lambda args: worker_torch(args, compiled=True),
    'ganjax': worker_ganjax,
    'ganjax-plain': lambda args: worker_ganjax(args, fast_transpose=False),
    'ganjax-sim': lambda args: worker_ganjax(args,
                                             update_scheme='simultaneous'),
}


# --------------------------------------------------------------------------
# The driver.
# --------------------------------------------------------------------------


def run_worker(name: str, argv: list[str], script: str = __file__,
               timeout: float | None = None) -> dict:
  """Runs ``script --worker=name`` in a fresh Python; returns its result
  (``{'error': ...}`` if it fails or outlasts ``timeout`` seconds)."""
  cmd = [sys.executable, os.path.abspath(script), f'--worker={name}'] + argv
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  t = time.perf_counter()
  try:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                          check=False, timeout=timeout)
  except subprocess.TimeoutExpired:
    return {'error': f'stopped after --worker_timeout={timeout:g} s'}
  wall = time.perf_counter() - t
  for line in reversed(proc.stdout.splitlines()):
    if line.startswith(RESULT):
      result = json.loads(line[len(RESULT):])
      result['wall_s'] = wall
      return result
  tail = (proc.stdout + proc.stderr)[-3000:]
  return {'error': f'exit {proc.returncode}: {tail}'}


def _load() -> str:
  try:
    return ' '.join(f'{x:.2f}' for x in os.getloadavg())
  except OSError:
    return '?'


def main(argv=None):
  args = parse_args(argv)
  if args.worker:
    result = WORKERS[args.worker](args)
    result['peak_rss_mib'] = _maxrss_mib()
    print(RESULT + json.dumps(result), flush=True)
    return
  if args.recount:
    recount(args)
    return
  wanted = [f for f in args.only.split(',') if f]
  have = MODELS[args.model]['frameworks']
  if args.model != 'dcgan' and args.only == ','.join(FRAMEWORKS):
    wanted = list(have)  # the default --only: every framework that has it
    args.only = ','.join(have)
  for f in wanted:
    if f not in have:
      raise SystemExit(f'--only: {f!r} is not one of {have} '
                       f'(--model={args.model})')
  passthrough = [f'--model={args.model}', f'--batch={args.batch}',
                 f'--steps={args.steps}',
                 f'--repeats={args.repeats}', f'--warmup={args.warmup}',
                 f'--only={args.only}']
  if args.ganjax_dtype:
    passthrough.append(f'--ganjax_dtype={args.ganjax_dtype}')
  print(f'machine: {platform.processor() or platform.machine()}, '
        f'{os.cpu_count()} logical CPUs, {platform.python_version()}; '
        f'load average at start {_load()}')
  print(f'model {args.model}, batch {args.batch}, {args.repeats} runs of '
        f'{args.steps} steps after {args.warmup} warm-up steps; medians',
        flush=True)
  order = ([] if args.no_peak else ['peak']) + wanted
  per_round = []
  for round_index in range(args.rounds):
    print(f'round {round_index + 1} of {args.rounds} (load {_load()})',
          flush=True)
    this = {}
    per_round.append(this)
    for name in order:
      this[name] = r = run_worker(name, passthrough,
                                  timeout=args.worker_timeout)
      if args.json:  # what is finished so far, in case the run is stopped
        _write_json(args, {'partial': True, 'rounds': per_round})
      if 'error' in r:
        print(f'  {name}: FAILED {r["error"]}', flush=True)
      elif name == 'peak':
        print(f'  peak: float32 matmul {r["peak_flops"] / 1e9:.1f} GFLOP/s '
              f'(by size: ' + ', '.join(
                  f'{k}: {v / 1e9:.1f}' for k, v in r['by_size'].items())
              + ')', flush=True)
      else:
        print(f'  {name}: {args.batch / r["seconds_per_step"]:.1f} images/s '
              f'(runs: ' + ', '.join(f'{args.batch / s:.1f}'
                                     for s in r['runs']) + ')', flush=True)
  results = merge_rounds(per_round)
  results['load_at_end'] = _load()
  print_table(results, args)
  if args.json:
    _write_json(args, results)


def _write_json(args, results: dict) -> None:
  with open(args.json, 'w') as f:
    json.dump({'args': vars(args), 'results': results}, f, indent=2)


def recount(args) -> None:
  """Recomputes the FLOP counts of a stored run (``--json`` output) with
  this version of the code, rewrites the file and prints its table; the
  timings are the stored ones."""
  with open(args.recount) as f:
    stored = json.load(f)
  run_args = argparse.Namespace(**{'model': 'dcgan', **stored['args']})
  refuse_model(run_args, '--recount')
  counts = run_worker('flops', [f'--batch={run_args.batch}'] + (
      [f'--ganjax_dtype={run_args.ganjax_dtype}']
      if run_args.ganjax_dtype else []))
  if 'error' in counts:
    raise SystemExit(f'counting FLOPs failed: {counts["error"]}')
  gj = stored['results'].get('ganjax', {})
  for key in ('xla_flops', 'useful_flops', 'tutorial_flops'):
    if key in gj or key == 'tutorial_flops':
      gj[key] = counts[key]
  if 'ganjax-plain' in stored['results']:
    stored['results']['ganjax-plain']['useful_flops'] = counts['useful_flops']
  with open(args.recount, 'w') as f:
    json.dump(stored, f, indent=2)
  print(f'FLOPs recounted; timings as stored in {args.recount}')
  print_table(stored['results'], run_args)


def merge_rounds(per_round: list[dict]) -> dict:
  """One result per worker: the median over every timed run of every round
  (peak: the best round's, so fractions of it are never flattered); the
  other figures from the round closest to that median."""
  merged = {}
  for name in per_round[0]:
    ok = [r[name] for r in per_round if 'error' not in r.get(name, {})]
    if not ok:
      merged[name] = per_round[0][name]
      continue
    if name == 'peak':
      merged[name] = dict(max(ok, key=lambda r: r['peak_flops']),
                          rounds=len(ok))
      continue
    runs = [s for r in ok for s in r['runs']]
    median = statistics.median(runs)
    closest = min(ok, key=lambda r: abs(r['seconds_per_step'] - median))
    merged[name] = dict(closest, seconds_per_step=median, runs=runs,
                        first_step_s=statistics.median(
                            r['first_step_s'] for r in ok),
                        peak_rss_mib=max(r['peak_rss_mib'] for r in ok),
                        rounds=len(ok))
  return merged


def print_table(results: dict, args) -> None:
  peak = results.get('peak', {}).get('peak_flops')
  gj = results.get('ganjax', {})
  tutorial_flops = gj.get('tutorial_flops')
  model = getattr(args, 'model', 'dcgan')
  # The peers' work: the tutorial's step (dcgan); ganjax's own step
  # (sngan32: the same alternating step in PyTorch).
  peer_flops = tutorial_flops if model == 'dcgan' else gj.get('useful_flops')
  names = {'tf': 'TensorFlow (tf.function)', 'torch': 'PyTorch (eager)',
           'torch-compile': 'PyTorch (torch.compile)',
           'ganjax': 'ganjax (compile_step)',
           'ganjax-plain': 'ganjax, flax conv layers',
           'ganjax-sim': 'ganjax, simultaneous step'}
  print()
  print(f'{"":28s} {"images/s":>9s} {"ms/step":>8s} {"1st step s":>10s} '
        f'{"peak MiB":>9s} {"GFLOP/step":>10s} {"GFLOP/s":>8s} '
        f'{"of peak":>7s}')
  rates = {}
  for key in FRAMEWORKS:
    r = results.get(key)
    if not r or 'error' in r:
      continue
    sec = r['seconds_per_step']
    rates[key] = args.batch / sec
    flops = r.get('useful_flops') or peer_flops
    gflop = f'{flops / 1e9:.1f}' if flops else '-'
    gflops = f'{flops / sec / 1e9:.1f}' if flops else '-'
    frac = f'{100 * flops / sec / peak:.0f}%' if flops and peak else '-'
    print(f'{names[key]:28s} {rates[key]:9.1f} {1000 * sec:8.0f} '
          f'{r["first_step_s"]:10.1f} {r["peak_rss_mib"]:9.0f} {gflop:>10s} '
          f'{gflops:>8s} {frac:>7s}')
  if model != 'dcgan' and gj.get('xla_flops'):
    print(f'\nganjax step: XLA cost analysis {gj["xla_flops"] / 1e9:.1f} '
          f'GFLOP; PyTorch rows: the same step, the same count; compile '
          f'{gj["compile_s"]:.1f} s.')
  elif gj.get('xla_flops'):
    print(f'\nganjax step: XLA cost analysis {gj["xla_flops"] / 1e9:.1f} '
          f'GFLOP as compiled (sub-pixel form, zero taps included), '
          f'{gj["useful_flops"] / 1e9:.1f} GFLOP useful; compile '
          f'{gj["compile_s"]:.1f} s.')
  if tutorial_flops:
    print(f'TF/PyTorch step (the tutorial\'s): {tutorial_flops / 1e9:.1f} '
          f'GFLOP (XLA cost analysis of the same computation in JAX).')
  counts = {names[k]: (results[k]['g_params'], results[k]['d_params'])
            for k in FRAMEWORKS if 'g_params' in results.get(k, {})}
  if counts:
    print('trainable parameters (G, D): ' + '; '.join(
        f'{k} {g:,}, {d:,}' for k, (g, d) in counts.items()))
  if peak:
    print(f'matmul peak: {peak / 1e9:.1f} GFLOP/s (float32 jnp.dot).')
  if 'ganjax' in rates:
    for key in ('tf', 'torch', 'torch-compile', 'ganjax-plain'):
      if key in rates:
        print(f'ganjax / {names[key]}: {rates["ganjax"] / rates[key]:.2f}x')
  if 'ganjax-sim' in rates:
    for key in ('tf', 'torch', 'torch-compile'):
      if key in rates:
        print(f'ganjax, simultaneous / {names[key]} (same work per step): '
              f'{rates["ganjax-sim"] / rates[key]:.2f}x')
    peers = [rates[k] for k in ('tf', 'torch', 'torch-compile')
             if k in rates]
    if peers:
      print(f'ganjax / faster peer: {rates["ganjax"] / max(peers):.2f}x '
            f'(target >= 1.5x)')
  print(f'load average at end: {results.get("load_at_end")}')


if __name__ == '__main__':
  main()
