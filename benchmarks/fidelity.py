r"""Fidelity: the seed systems learn like their reference implementations.

    python benchmarks/fidelity.py --only=gaussian1d --seeds=0,1,2
    python benchmarks/fidelity.py --only=dcgan --steps=5000 --eval_every=500
    python benchmarks/fidelity.py --only=dcgan --steps=300 --seeds=0 --eval_every=100
    python benchmarks/fidelity.py --report          # docs/FIDELITY.md again

Each seed system is trained twice or three times on the same data, batch
and budget: by its reference implementation (the code the seed ran) and by
ganjax's config; both are scored by the same ganjax evaluator at the same
steps, over several seeds each.

Systems (``--only``) and their arms:

* ``dcgan``, seed 004's baseline: ``reference`` is the TensorFlow DCGAN
  tutorial (tensorflow.org/tutorials/generative/dcgan): its Keras models
  and ``train_step`` verbatim, in Keras 3 as installed, with one change:
  ``LeakyReLU(negative_slope=0.3)``, because the tutorial's
  ``layers.LeakyReLU()`` had Keras 2's default slope 0.3 when the seed ran
  it (Keras 3's default is 0.2). ``ganjax_alternating`` and
  ``ganjax_simultaneous`` are ``configs/mnist_dcgan.py`` with
  ``train.update_scheme`` set to each.
* ``wgan``, seed 004's MNIST WGAN: ``reference`` is the tutorial's models
  with a TensorFlow 2 WGAN-GP step (5 critic updates, each on a fresh real
  batch and fresh z, gradient penalty lambda 10 on random interpolates,
  Adam 1e-4 betas 0.5/0.9, then one G update); ``ganjax_alternating`` is
  ``configs/mnist_wgan.py``.
* ``gaussian1d``, seed 003: ``reference`` is devnag's ``gan_pytorch.py`` as
  the slides show it ("Only 4 moments": tanh G 1-5-5-1, sigmoid D 4-10-10-1
  on the minibatch's four moments, BCE, SGD 1e-3 momentum 0.9, 5,000
  epochs of 20 D and 20 G updates, batch 500, G's noise ``torch.rand``);
  the one change is that its targets are shaped like D's output (newer
  PyTorch refuses the slides' ``[1, 1]`` targets for a ``[1]`` output).
  ``ganjax`` is ``configs/gaussian1d_moments.py`` (G's noise U(-1, 1));
  ``ganjax_uniform01`` the same with the reference's U[0, 1)
  (``model.latent_dist='uniform01'``).

Data: both arms read ganjax's stream (``ganjax.data.make_stream``) of the
same config and seed, so every step sees the same real batches: the image
systems on the offline ``digits`` at 28x28 (``data.name='digits'``,
``data.image_size=28``), batch ``--batch`` (128); the 1D system on
``gaussian1d`` (its 20 batches of 500 per step). The reference arms draw
their own noise (the code they copy does).

Scores: images by ganjax's classifier evaluator (FID against the digits
test split beside its floor, class coverage, class KL) on 2,500 samples;
1D by the gaussian1d evaluator (mean, std, KS, W1) on 2,500 samples. Both
arms' samples go through the same function (``score``). Reference samples
are drawn in inference mode (Keras ``training=False``: BatchNorm's moving
statistics, no dropout), as ganjax's.

Results are cached in ``docs/results/fidelity.json`` (one entry per
system, arm, seed, steps, batch and scored steps), so runs can be split
over calls and merged; ``--report`` rewrites ``docs/FIDELITY.md`` and the
learning-curve plot ``docs/results/fidelity.png`` from the cache alone.
Every run is a fresh subprocess (``--jobs`` at once); run the whole on one
core with ``taskset -c 1`` and the thread variables of docs/FIDELITY.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, 'docs', 'results', 'fidelity.json')
PLOT = os.path.join(ROOT, 'docs', 'results', 'fidelity.png')
DOC = os.path.join(ROOT, 'docs', 'FIDELITY.md')
RESULT = 'RESULT '
LATENT = 100
# The tutorial's layers.LeakyReLU() under Keras 2 (what the seed ran).
REFERENCE_LEAKY_SLOPE = 0.3

SYSTEMS = {
    'dcgan': dict(config='mnist_dcgan', kind='image',
                  arms=('reference', 'ganjax_alternating',
                        'ganjax_simultaneous'),
                  title='seed 004 baseline: TensorFlow DCGAN tutorial'),
    'wgan': dict(config='mnist_wgan', kind='image',
                 arms=('reference', 'ganjax_alternating'),
                 title='seed 004 MNIST WGAN-GP (tutorial models)'),
    'gaussian1d': dict(config='gaussian1d_moments', kind='1d',
                       arms=('reference', 'ganjax', 'ganjax_uniform01'),
                       title="seed 003: devnag's gan_pytorch.py, 4 moments"),
}


def parse_args(argv=None):
  p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  p.add_argument('--only', default='gaussian1d,dcgan',
                 help=f'comma-separated systems of {",".join(SYSTEMS)}')
  p.add_argument('--arms', default='',
                 help='comma-separated arms (default: all of each system)')
  p.add_argument('--seeds', default='0,1,2')
  p.add_argument('--steps', type=int, default=0,
                 help='training steps (0: 5,000 for images, the config\'s '
                 'for 1D)')
  p.add_argument('--eval_every', type=int, default=0,
                 help='steps between scores (0: steps / 10)')
  p.add_argument('--batch', type=int, default=128,
                 help='batch of the image systems (1D keeps its 500)')
  p.add_argument('--jobs', type=int, default=1, help='runs at once')
  p.add_argument('--force', action='store_true',
                 help='run again what the cache already has')
  p.add_argument('--report', action='store_true',
                 help='only rewrite docs/FIDELITY.md from the cache')
  p.add_argument('--cache', default=CACHE,
                 help='the JSON of cached runs (default %(default)s; another '
                 'path gets its report and plot beside it, not in docs/)')
  p.add_argument('--worker', default=None, help=argparse.SUPPRESS)
  return p.parse_args(argv)


# --------------------------------------------------------------------------
# Shared: the config, the data and the scoring of both arms.
# --------------------------------------------------------------------------


def make_config(system: str, seed: int, steps: int, batch: int,
                update_scheme: str | None = None):
  sys.path.insert(0, ROOT)
  from ganjax import config_lib  # pylint: disable=g-import-not-at-top
  spec = SYSTEMS[system]
  config = config_lib.get_config(spec['config'])
  config.seed = seed
  config.parallel = 'jit'
  config.train.steps = steps
  if spec['kind'] == 'image':
    config.data.name = 'digits'
    config.data.image_size = 28
    config.data.channels = 1
    config.data.value_range = (-1.0, 1.0)
    config.train.batch_size = batch
  if update_scheme:
    config.train.update_scheme = update_scheme
  config_lib.validate(config)
  return config


def make_evaluator(config):
  from ganjax import evaluation as evaluate  # pylint: disable=g-import-not-at-top
  from ganjax.evaluation.real_data import RealData  # pylint: disable=g-import-not-at-top
  real = RealData(config)
  if SYSTEMS_KIND[config.data.name] == 'image':
    ev = evaluate.ClassifierEvaluator(config, real)
    ev.prepare()
    return ev
  return evaluate.Gaussian1DEvaluator(config, real)


SYSTEMS_KIND = {'digits': 'image', 'gaussian1d': '1d'}


def score(ev, samples) -> dict:
  """The evaluator's metrics of ``samples`` (the body of its
  ``evaluate``, given the samples): the same for every arm."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ganjax.evaluation import classifier as classifier_lib, metrics  # pylint: disable=g-import-not-at-top
  samples = np.asarray(samples, np.float32)
  if not hasattr(ev, 'floors'):
    return metrics.normal_metrics(samples, ev.mean, ev.std)
  floor = ev.floors['fid_floor']
  logits, features = classifier_lib.predict(ev.model, ev.params, samples,
                                            ev.batch_size)
  if not np.all(np.isfinite(features)):
    return {'fid': float('nan'), 'fid_floor': floor,
            'class_coverage': float('nan'), 'class_kl': float('nan')}
  fid = metrics.features_frechet_distance(features, ev.reference)
  predicted = np.argmax(logits, -1)
  return {'fid': float(fid), 'fid_floor': float(floor),
          **{k: float(v) for k, v in metrics.class_metrics(
              predicted, ev.data_histogram).items()}}


def eval_steps(steps: int, every: int) -> list[int]:
  return sorted(set(list(range(every, steps + 1, every)) + [steps]))


class Clock:
  """Training seconds (scoring excluded) after the first step."""

  def __init__(self):
    self.total, self.count, self.first = 0.0, 0, None

  def add(self, seconds: float, steps: int = 1):
    if self.first is None:
      self.first = seconds
      return
    self.total += seconds
    self.count += steps

  @property
  def per_step(self):
    return self.total / self.count if self.count else self.first


# --------------------------------------------------------------------------
# ganjax's arms.
# --------------------------------------------------------------------------


def run_ganjax(system, arm, seed, steps, every, batch) -> dict:
  import jax  # pylint: disable=g-import-not-at-top
  from ganjax import data, parallel, loop as train  # pylint: disable=g-import-not-at-top
  scheme = {'ganjax_alternating': 'alternating',
            'ganjax_simultaneous': 'simultaneous'}.get(arm)
  config = make_config(system, seed, steps, batch, scheme)
  if arm == 'ganjax_uniform01':   # the reference's noise law, torch.rand
    config.model.latent_dist = 'uniform01'
  ev = make_evaluator(config)
  gan, state = train.build(config, 'jit')
  step_fn = parallel.compile_step(gan, 'jit')
  state = parallel.place_state(state, 'jit')
  stream = data.make_stream(config)
  clock, curve, wanted = Clock(), [], set(eval_steps(steps, every))
  for s in range(1, steps + 1):
    batch_ = parallel.shard(next(stream), 'jit')
    t = time.perf_counter()
    state, m = step_fn(state, batch_)
    jax.block_until_ready(m)
    clock.add(time.perf_counter() - t)
    if s in wanted:
      host = parallel.host_state(state, 'jit')
      samples = ev.samples(gan, host, int(config.eval.seed))
      curve.append({'step': s, **score(ev, samples)})
      print(f'{system}/{arm}/{seed} step {s}: {curve[-1]}', flush=True)
  return {'curve': curve, 'seconds_per_step': clock.per_step,
          'first_step_s': clock.first,
          'update_scheme': gan.update_scheme}


# --------------------------------------------------------------------------
# The TensorFlow references (seed 004).
# --------------------------------------------------------------------------


def run_tf(system, arm, seed, steps, every, batch) -> dict:
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tf_dcgan_tutorial  # pylint: disable=g-import-not-at-top
  from ganjax import data  # pylint: disable=g-import-not-at-top
  config = make_config(system, seed, steps, batch)
  ev = make_evaluator(config)
  tf.keras.utils.set_random_seed(seed)
  generator, discriminator = tf_dcgan_tutorial.models(
      tf, slope=REFERENCE_LEAKY_SLOPE)
  BATCH_SIZE, noise_dim = batch, LATENT  # pylint: disable=invalid-name

  if system == 'dcgan':
    train_step = tf_dcgan_tutorial.make_train_step(tf, generator,
                                                   discriminator, BATCH_SIZE)
    step_fn = lambda x: train_step(tf.constant(x[0]))[0]
  else:
    # WGAN-GP in TensorFlow 2 (Gulrajani et al. 2017's Algorithm 1).
    n_critic, gp_weight = int(config.train.n_critic), 10.0
    g_opt = tf.keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.9)
    d_opt = tf.keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.9)

    @tf.function
    def critic_step(images):
      noise = tf.random.normal([BATCH_SIZE, noise_dim])
      fake = generator(noise, training=True)
      eps = tf.random.uniform([BATCH_SIZE, 1, 1, 1])
      with tf.GradientTape() as tape:
        real_out = discriminator(images, training=True)
        fake_out = discriminator(fake, training=True)
        x_hat = eps * images + (1.0 - eps) * fake
        with tf.GradientTape() as gp_tape:
          gp_tape.watch(x_hat)
          hat_out = discriminator(x_hat, training=True)
        grads = gp_tape.gradient(hat_out, x_hat)
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))
        gp = tf.reduce_mean(tf.square(norm - 1.0))
        loss = (tf.reduce_mean(fake_out) - tf.reduce_mean(real_out)
                + gp_weight * gp)
      d_opt.apply_gradients(zip(
          tape.gradient(loss, discriminator.trainable_variables),
          discriminator.trainable_variables))
      return loss

    @tf.function
    def generator_step():
      noise = tf.random.normal([BATCH_SIZE, noise_dim])
      with tf.GradientTape() as tape:
        loss = -tf.reduce_mean(discriminator(generator(noise, training=True),
                                             training=True))
      g_opt.apply_gradients(zip(
          tape.gradient(loss, generator.trainable_variables),
          generator.trainable_variables))
      return loss

    def step_fn(x):
      for i in range(n_critic):
        critic_step(tf.constant(x[i]))
      return generator_step()

  stream = data.make_stream(config)
  rng = np.random.default_rng(int(config.eval.seed))
  eval_z = rng.standard_normal((int(config.eval.num_samples), LATENT)).astype(
      np.float32)
  clock, curve, wanted = Clock(), [], set(eval_steps(steps, every))
  for s in range(1, steps + 1):
    x = next(stream)['x']
    t = time.perf_counter()
    float(step_fn(x))
    clock.add(time.perf_counter() - t)
    if s in wanted:
      samples = np.concatenate([
          generator(eval_z[i:i + 500], training=False).numpy()
          for i in range(0, len(eval_z), 500)])
      curve.append({'step': s, **score(ev, samples)})
      print(f'{system}/{arm}/{seed} step {s}: {curve[-1]}', flush=True)
  return {'curve': curve, 'seconds_per_step': clock.per_step,
          'first_step_s': clock.first, 'tf_version': tf.__version__,
          'leaky_relu_slope': REFERENCE_LEAKY_SLOPE}


# --------------------------------------------------------------------------
# The PyTorch reference (seed 003): devnag's gan_pytorch.py, as the slides.
# --------------------------------------------------------------------------


def run_torch_1d(system, arm, seed, steps, every, batch) -> dict:
  del batch  # the slides' 500
  import numpy as np  # pylint: disable=g-import-not-at-top
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn, optim  # pylint: disable=g-import-not-at-top
  from ganjax import data  # pylint: disable=g-import-not-at-top
  torch.set_num_threads(1)
  torch.manual_seed(seed)
  config = make_config(system, seed, steps, 500)
  ev = make_evaluator(config)

  g_input_size, g_hidden_size, g_output_size = 1, 5, 1
  d_input_size, d_hidden_size, d_output_size = 500, 10, 1
  minibatch_size = d_input_size
  d_learning_rate = g_learning_rate = 1e-3
  sgd_momentum = 0.9
  d_steps = g_steps = 20

  def get_moments(d):
    mean = torch.mean(d)
    diffs = d - mean
    var = torch.mean(torch.pow(diffs, 2.0))
    std = torch.pow(var, 0.5)
    zscores = diffs / std
    skews = torch.mean(torch.pow(zscores, 3.0))
    kurtoses = torch.mean(torch.pow(zscores, 4.0)) - 3.0
    return torch.cat((mean.reshape(1,), std.reshape(1,), skews.reshape(1,),
                      kurtoses.reshape(1,)))

  preprocess, d_input_func = get_moments, lambda x: 4
  gi_sampler = lambda m, n: torch.rand(m, n)  # _NOT_ Gaussian

  class Generator(nn.Module):

    def __init__(self, input_size, hidden_size, output_size, f):
      super().__init__()
      self.map1 = nn.Linear(input_size, hidden_size)
      self.map2 = nn.Linear(hidden_size, hidden_size)
      self.map3 = nn.Linear(hidden_size, output_size)
      self.f = f

    def forward(self, x):
      x = self.f(self.map1(x))
      x = self.f(self.map2(x))
      return self.map3(x)

  class Discriminator(nn.Module):

    def __init__(self, input_size, hidden_size, output_size, f):
      super().__init__()
      self.map1 = nn.Linear(input_size, hidden_size)
      self.map2 = nn.Linear(hidden_size, hidden_size)
      self.map3 = nn.Linear(hidden_size, output_size)
      self.f = f

    def forward(self, x):
      x = self.f(self.map1(x))
      x = self.f(self.map2(x))
      return self.f(self.map3(x))

  G = Generator(g_input_size, g_hidden_size, g_output_size, torch.tanh)  # pylint: disable=invalid-name
  D = Discriminator(d_input_func(d_input_size), d_hidden_size, d_output_size,  # pylint: disable=invalid-name
                    torch.sigmoid)
  criterion = nn.BCELoss()
  d_optimizer = optim.SGD(D.parameters(), lr=d_learning_rate,
                          momentum=sgd_momentum)
  g_optimizer = optim.SGD(G.parameters(), lr=g_learning_rate,
                          momentum=sgd_momentum)

  stream = data.make_stream(config)  # [20, 500, 1] real values per epoch
  eval_gen = torch.Generator().manual_seed(int(config.eval.seed))
  eval_z = torch.rand(int(config.eval.num_samples), g_input_size,
                      generator=eval_gen)
  clock, curve, wanted = Clock(), [], set(eval_steps(steps, every))
  for epoch in range(1, steps + 1):
    real = torch.from_numpy(np.asarray(next(stream)['x'], np.float32))
    t = time.perf_counter()
    for d_index in range(d_steps):
      D.zero_grad()
      d_real_data = real[d_index].reshape(1, -1)
      d_real_decision = D(preprocess(d_real_data))
      d_real_error = criterion(d_real_decision,
                               torch.ones_like(d_real_decision))
      d_real_error.backward()
      d_gen_input = gi_sampler(minibatch_size, g_input_size)
      d_fake_data = G(d_gen_input).detach()
      d_fake_decision = D(preprocess(d_fake_data.t()))
      d_fake_error = criterion(d_fake_decision,
                               torch.zeros_like(d_fake_decision))
      d_fake_error.backward()
      d_optimizer.step()
    for _ in range(g_steps):
      G.zero_grad()
      gen_input = gi_sampler(minibatch_size, g_input_size)
      g_fake_data = G(gen_input)
      dg_fake_decision = D(preprocess(g_fake_data.t()))
      g_error = criterion(dg_fake_decision,
                          torch.ones_like(dg_fake_decision))
      g_error.backward()
      g_optimizer.step()
    clock.add(time.perf_counter() - t)
    if epoch in wanted:
      with torch.no_grad():
        samples = G(eval_z).numpy()
      curve.append({'step': epoch, **score(ev, samples)})
      print(f'{system}/{arm}/{seed} step {epoch}: {curve[-1]}', flush=True)
  return {'curve': curve, 'seconds_per_step': clock.per_step,
          'first_step_s': clock.first, 'torch_version': torch.__version__}


def worker(spec: str, steps: int, every: int, batch: int) -> dict:
  system, arm, seed = spec.split(':')
  seed = int(seed)
  if arm.startswith('ganjax'):
    fn = run_ganjax
  elif SYSTEMS[system]['kind'] == 'image':
    fn = run_tf
  else:
    fn = run_torch_1d
  t = time.perf_counter()
  out = fn(system, arm, seed, steps, every, batch)
  out['wall_s'] = time.perf_counter() - t
  return out


# --------------------------------------------------------------------------
# The driver: runs, cache, report.
# --------------------------------------------------------------------------


def default_steps(system: str) -> int:
  if SYSTEMS[system]['kind'] == 'image':
    return 5_000
  sys.path.insert(0, ROOT)
  from ganjax import config_lib  # pylint: disable=g-import-not-at-top
  return int(config_lib.get_config(SYSTEMS[system]['config']).train.steps)


def run_key(system, arm, seed, steps, every, batch) -> str:
  batch = batch if SYSTEMS[system]['kind'] == 'image' else 500
  return f'{system}/{arm}/seed{seed}/steps{steps}/every{every}/batch{batch}'


def load_cache() -> dict:
  if os.path.exists(CACHE):
    with open(CACHE) as f:
      return json.load(f)
  return {}


def save_cache(cache: dict) -> None:
  os.makedirs(os.path.dirname(CACHE), exist_ok=True)
  with open(CACHE, 'w') as f:
    json.dump(cache, f, indent=1, sort_keys=True)


def launch(spec, steps, every, batch):
  cmd = [sys.executable, os.path.abspath(__file__), f'--worker={spec}',
         f'--steps={steps}', f'--eval_every={every}', f'--batch={batch}']
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONPATH=ROOT)
  return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=env)


def collect(proc) -> dict:
  out, _ = proc.communicate()
  for line in reversed(out.splitlines()):
    if line.startswith(RESULT):
      return json.loads(line[len(RESULT):])
  return {'error': f'exit {proc.returncode}: {out[-3000:]}'}


def prepare_classifier(batch: int) -> None:
  """Trains (and caches) the digits evaluator's classifier once, before
  parallel runs could race to do it."""
  code = ('import sys; sys.path.insert(0, %r); import fidelity as f; '
          "f.make_evaluator(f.make_config('dcgan', 0, 10, %d))" % (
              os.path.join(ROOT, 'benchmarks'), batch))
  subprocess.run([sys.executable, '-c', code], check=True, cwd=ROOT,
                 env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'))


def main(argv=None):
  global CACHE, DOC, PLOT
  args = parse_args(argv)
  if os.path.abspath(args.cache) != CACHE:  # A trial: its report beside it.
    CACHE = os.path.abspath(args.cache)
    DOC = os.path.splitext(CACHE)[0] + '.md'
    PLOT = os.path.splitext(CACHE)[0] + '.png'
  if args.worker:
    out = worker(args.worker, args.steps, args.eval_every, args.batch)
    print(RESULT + json.dumps(out), flush=True)
    return
  if not args.report:
    systems = [s for s in args.only.split(',') if s]
    for s in systems:
      if s not in SYSTEMS:
        raise SystemExit(f'--only: {s!r} is not one of {list(SYSTEMS)}')
    seeds = [int(s) for s in args.seeds.split(',') if s]
    arms_wanted = [a for a in args.arms.split(',') if a]
    cache = load_cache()
    todo = []
    for system in systems:
      steps = args.steps or default_steps(system)
      every = args.eval_every or max(steps // 10, 1)
      for arm in SYSTEMS[system]['arms']:
        if arms_wanted and arm not in arms_wanted:
          continue
        for seed in seeds:
          key = run_key(system, arm, seed, steps, every, args.batch)
          if key in cache and not args.force:
            print(f'cached: {key}')
            continue
          todo.append((key, f'{system}:{arm}:{seed}', steps, every))
    if any(SYSTEMS[t[1].split(':')[0]]['kind'] == 'image' for t in todo):
      prepare_classifier(args.batch)
    running = []
    while todo or running:
      while todo and len(running) < args.jobs:
        key, spec, steps, every = todo.pop(0)
        print(f'start: {key}', flush=True)
        running.append((key, launch(spec, steps, every, args.batch)))
      key, proc = running.pop(0)
      result = collect(proc)
      if 'error' in result:
        print(f'FAILED {key}: {result["error"]}', flush=True)
        continue
      cache = load_cache()
      cache[key] = result
      save_cache(cache)
      last = result['curve'][-1]
      print(f'done: {key}: {result["seconds_per_step"]:.4f} s/step, '
            f'{result["wall_s"]:.0f} s; last {last}', flush=True)
  write_report(load_cache())


# --------------------------------------------------------------------------
# The report.
# --------------------------------------------------------------------------

TARGETS_1D = {'mean': 4.0, 'std': 1.25}


def _groups(cache: dict) -> dict:
  """{(system, steps, every, batch): {arm: [result, ...]}}."""
  groups = {}
  for key, result in cache.items():
    system, arm, seed, steps, every, batch = key.split('/')
    g = groups.setdefault((system, steps, every, batch), {})
    g.setdefault(arm, []).append(dict(result, seed=int(seed[4:])))
  return groups


def _error(metric: str, value: float) -> float:
  """Distance from the ideal: |value - target| for 1D mean/std, else the
  value (FID, KS, class KL: lower is better)."""
  if metric in TARGETS_1D:
    return abs(value - TARGETS_1D[metric])
  return value


def _fmt(values, digits):
  if not values:
    return '-'
  m = statistics.mean(values)
  if len(values) == 1:
    return f'{m:.{digits}f}'
  sd = statistics.stdev(values)
  return (f'{m:.{digits}f} ± {sd:.{digits}f} '
          f'({min(values):.{digits}f}-{max(values):.{digits}f})')


def summarize(system: str, arms: dict) -> list[str]:
  kind = SYSTEMS[system]['kind']
  metrics = (('fid', 1), ('class_coverage', 2), ('class_kl', 3)) if (
      kind == 'image') else (('mean', 3), ('std', 3), ('ks', 3), ('w1', 3))
  head = metrics[0][0] if kind == 'image' else 'ks'
  steps = sorted({p['step'] for rs in arms.values() for r in rs
                  for p in r['curve']})
  order = [a for a in SYSTEMS[system]['arms'] if a in arms]
  lines = ['| step | arm | seeds | ' + ' | '.join(m for m, _ in metrics) +
           ' | within the reference\'s spread or better |',
           '|---|---|---|' + '---|' * len(metrics) + '---|']
  verdicts = {}
  for step in steps:
    ref = {}
    for arm in order:
      vals = {m: [p[m] for r in arms[arm] for p in r['curve']
                  if p['step'] == step] for m, _ in metrics}
      if arm == 'reference':
        ref = vals
      cells = ' | '.join(_fmt(vals[m], d) for m, d in metrics)
      verdict = ''
      if arm != 'reference' and ref and vals[metrics[0][0]]:
        ok = []
        for m, _ in metrics:
          if kind == 'image' and m != 'fid':
            continue
          if not ref[m] or not vals[m]:
            continue
          worst_ref = max(_error(m, v) for v in ref[m])
          mine = statistics.mean(_error(m, v) for v in vals[m])
          ok.append((m, mine <= worst_ref))
        verdict = ', '.join(f'{m}: {"yes" if y else "**no**"}'
                            for m, y in ok)
        verdicts.setdefault(arm, []).append(all(y for _, y in ok))
      n = len(vals[metrics[0][0]])
      lines.append(f'| {step} | {arm} | {n} | {cells} | {verdict} |')
  summary = []
  for arm, v in verdicts.items():
    summary.append(f'* `{arm}`: within the reference\'s spread or better at '
                   f'{sum(v)} of {len(v)} scored steps.')
  del head
  return lines + [''] + summary


def times_table(cache: dict) -> list[str]:
  rows = ['| system | arm | batch | runs | s/step (train, one core) | '
          'first step s |', '|---|---|---|---|---|---|']
  for (system, steps, every, batch), arms in sorted(_groups(cache).items()):
    for arm in SYSTEMS[system]['arms']:
      if arm not in arms:
        continue
      rs = arms[arm]
      rows.append(
          f'| {system} | {arm} | {batch[5:]} | {len(rs)} x {steps[5:]} '
          f'steps | {statistics.median(r["seconds_per_step"] for r in rs):.4f}'
          f' | {statistics.median(r["first_step_s"] for r in rs):.1f} |')
  return rows


def plot(groups: dict) -> str | None:
  try:
    import matplotlib  # pylint: disable=g-import-not-at-top
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  except ImportError:
    return None
  keys = sorted(groups)
  if not keys:
    return None
  fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.6),
                           squeeze=False)
  for ax, key in zip(axes[0], keys):
    system = key[0]
    metric = 'fid' if SYSTEMS[system]['kind'] == 'image' else 'ks'
    for arm in SYSTEMS[system]['arms']:
      if arm not in groups[key]:
        continue
      rs = groups[key][arm]
      steps = [p['step'] for p in rs[0]['curve']]
      per = [[p[metric] for p in r['curve']] for r in rs
             if len(r['curve']) == len(steps)]
      mean = [statistics.mean(c) for c in zip(*per)]
      line, = ax.plot(steps, mean, marker='o', label=f'{arm} ({len(per)})')
      ax.fill_between(steps, [min(c) for c in zip(*per)],
                      [max(c) for c in zip(*per)], alpha=0.2,
                      color=line.get_color())
    if metric == 'fid':
      floor = groups[key][next(iter(groups[key]))][0]['curve'][0].get(
          'fid_floor')
      if floor:
        ax.axhline(floor, color='k', ls=':', lw=1, label='FID floor')
      ax.set_yscale('log')
    ax.set_title(f'{system}, {key[1][5:]} steps, batch {key[3][5:]}',
                 fontsize=9)
    ax.set_xlabel('step')
    ax.set_ylabel(metric)
    ax.legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(PLOT, dpi=110)
  plt.close(fig)
  return os.path.relpath(PLOT, os.path.dirname(DOC))


def write_report(cache: dict) -> None:
  groups = _groups(cache)
  picture = plot(groups)
  out = [GENERATED_HEADER]
  for key in sorted(groups):
    system, steps, every, batch = key
    out += [f'### {system}: {SYSTEMS[system]["title"]} ({steps[5:]} steps, '
            f'scored every {every[5:]}, batch {batch[5:]})', '']
    out += summarize(system, groups[key]) + ['']
  out += ['### Seconds per training step (scoring excluded)', '']
  out += times_table(cache) + ['']
  if picture:
    out += ['### Learning curves', '',
            f'![learning curves: mean over seeds, band = min-max]({picture})',
            '']
  text = ''
  if os.path.exists(DOC):
    with open(DOC) as f:
      text = f.read()
  start, end = '<!-- fidelity:begin -->', '<!-- fidelity:end -->'
  body = start + '\n' + '\n'.join(out) + '\n' + end
  if start in text and end in text:
    text = text[:text.index(start)] + body + text[text.index(end) +
                                                  len(end):]
  else:
    text = (text or '# Fidelity\n\n') + body + '\n'
  with open(DOC, 'w') as f:
    f.write(text)
  print(f'wrote {DOC}' + (f' and {PLOT}' if picture else ''))


GENERATED_HEADER = (
    '## Measured (written by `python benchmarks/fidelity.py`, from '
    '`docs/results/fidelity.json`)\n\n'
    'Each row: the mean over seeds ± their standard deviation (min-max). '
    '"Within the reference\'s spread or better": the arm\'s mean over seeds '
    'is no worse than the worst reference seed at that step (FID; 1D: KS, '
    'W1, |mean - 4|, |std - 1.25|).\n')


if __name__ == '__main__':
  main()
