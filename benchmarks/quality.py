r"""Sample quality over seeds: reruns the quality configs, writes docs/RESULTS.md.

    python benchmarks/quality.py                          # everything, 10 seeds
    python benchmarks/quality.py --seeds 3 --only ring8_ns,grid25_ns
    python benchmarks/quality.py --jobs 2                 # runs in 2 processes
    python benchmarks/quality.py --study small_data --seeds 3 --jobs 1
    python benchmarks/quality.py --study sngan32_digits --seeds 3 --jobs 1
    python benchmarks/quality.py --study infogan_digits --seeds 3 --jobs 2

Each (experiment, seed) is one ``ganjax.loop.train_and_evaluate`` run of a
config from ``configs/`` in a fresh workdir under ``--workdir`` (default
``runs/quality/<experiment>/seed_<n>``; an existing one is deleted first, so
nothing resumes), with ``config.seed = n`` and evaluation only at the end
(``eval.every = 0``). The final record of the run's ``metrics.jsonl`` (the
evaluators of ``ganjax.evaluate``: PacGAN's modes / high-quality fraction /
reverse KL for the 2D mixtures, mean / std / KS / W1 for 1D, classifier FID,
its real-data floor, class coverage and class KL for digits) is collected
with the run's wall time and process CPU time (``time.process_time``, all
threads). The script then writes

* ``docs/results/quality.json``: every run's metrics and times;
* ``docs/results/<experiment>.png``: the final sample picture of the first
  seed (scatter, histogram or digit grid);
* ``docs/RESULTS.md``: the tables (mean +- std over seeds) beside the
  published figures, targets met or not, settings, commands and times;
  its hand-written last section, each config's lab notes, is kept.

``--study small_data`` runs the arms of the small-data study (issue 18,
``STUDIES``: digits_wgan_gp's model and budget under NS or hinge + spectral
norm, without augmentation, with DiffAugment and with ADA) instead of the
experiments, merged into the JSON as ``--only`` does; RESULTS.md gets a
section with its table and what each ingredient changed.
``--study sngan32_digits`` runs ``configs/cifar10_sngan.py`` narrowed (32
features) on the digits at 32x32 (``SNGAN32_DIGITS``).
``--study infogan_digits`` runs ``configs/digits_infogan.py`` as shipped,
scored also by the ``codes`` evaluator (InfoGAN's categorical code against
the classes); seed 0's picture is one row per category of the code.

``--only`` runs a subset and merges it into the existing
``docs/results/quality.json`` before rewriting RESULTS.md, so one experiment
can be redone without the others.

Runs go through a ``multiprocessing`` pool of ``--jobs`` worker processes
(spawned; each imports JAX once and trains its runs one after another).
On a shared CPU the wall time of a run depends on the load; RESULTS.md
states the jobs count and the load average seen.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import multiprocessing
import os
import platform
import shutil
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
  sys.path.insert(0, ROOT)

# key -> (config name, kind, extra overrides, max seeds or None).
# gaussian1d_moments is seed 003's config as it is (its _normal variant
# changes only the noise); steps_per_dispatch only groups their steps into
# fewer dispatches (the same updates). The digits DCGAN is the slowest run,
# so it takes at most 3 seeds by default (--max_seeds_slow).
EXPERIMENTS = {
    'ring8_ns': ('ring8_ns', 'mixture', {}, None),
    'ring8_wgan_gp': ('ring8_wgan_gp', 'mixture', {}, None),
    'grid25_ns': ('grid25_ns', 'mixture', {}, None),
    'grid25_wgan_gp': ('grid25_wgan_gp', 'mixture', {}, None),
    'gaussian1d_tuned': ('gaussian1d_tuned', 'gaussian1d', {}, None),
    'gaussian1d_moments': ('gaussian1d_moments', 'gaussian1d',
                           {'train.steps_per_dispatch': 1000}, None),
    'gaussian1d_moments_normal': ('gaussian1d_moments_normal', 'gaussian1d',
                                  {'train.steps_per_dispatch': 1000}, None),
    'digits_wgan_gp': ('digits_wgan_gp', 'classifier', {}, 'slow'),
    # The VAE baseline (config.family='vae') on the same digits and scores.
    'digits_vae': ('digits_vae', 'classifier', {}, None),
    # ACGAN (configs/digits_acgan.py): digits_wgan_gp made class-conditional
    # with D's auxiliary classifier.
    'digits_acgan': ('digits_acgan', 'classifier', {}, 'slow'),
}

# Studies (--study NAME): arm -> (config name, kind, overrides, None), run
# and cached like the experiments but not part of the default invocation.
# small_data (issue 18): configs/digits_wgan_gp.py's G, D (MLPs), optimizer,
# batch, n_critic, EMA and 5,000 steps, with the loss, D's spectral
# normalization and the augmentation of D's inputs changed. DiffAugment
# takes the reference's policy for small data; ADA the reference's default
# pipeline 'bgc' (blit, color) and controller (target 0.6, 500k images).
_DIGITS_D = dict(name='mlp', hidden=(256, 256), activation='leaky_relu')
_SMALL_DATA_LOSSES = {
    'ns': {'loss.name': 'ns', 'loss.gp_weight': 0.0},
    'hinge_sn': {'loss.name': 'hinge', 'loss.gp_weight': 0.0,
                 'model.discriminator': {**_DIGITS_D, 'spectral_norm': True}},
}
_SMALL_DATA_AUGMENT = {
    '': {},
    '_diffaug': {'augment.policy': 'color,translation,cutout'},
    '_ada': {'augment.ada': 'blit,color'},
}
# The fix tried after the six arms missed the target: the best arm
# (hinge + SN, no augmentation, whose D stayed weak: hinge loss near 2)
# trained three times as long. Key -> the arm it extends.
_SMALL_DATA_FIXES = {'sd_hinge_sn_15k': 'sd_hinge_sn'}
# sngan32_digits (issue 18): configs/cifar10_sngan.py (mimicry's recipe:
# hinge, 5 D steps per G step at batch 64, Adam 2e-4 (0, 0.9) decaying
# linearly to 0) on the offline digits at 32x32, one channel, with both
# ResNets at 32 features instead of 256 / 128 and 1,000 G steps: at full
# width a step takes about a minute on one CPU core (measured 5.5 s at 64
# features, 1.5 s at 32).
SNGAN32_DIGITS = {
    'data.name': 'digits', 'data.channels': 1, 'train.steps': 1_000,
    'train.sample_every': 500, 'train.checkpoint_every': 500,
    'model.generator': {'name': 'resnet_sngan32', 'features': 32},
    'model.discriminator': {'name': 'resnet_sngan32', 'spectral_norm': True,
                            'features': 32},
}
STUDIES = {
    'small_data': {
        **{f'sd_{loss}{aug}': ('digits_wgan_gp', 'classifier',
                               {**lo, **ao}, None)
           for loss, lo in _SMALL_DATA_LOSSES.items()
           for aug, ao in _SMALL_DATA_AUGMENT.items()},
        'sd_hinge_sn_15k': ('digits_wgan_gp', 'classifier',
                            {**_SMALL_DATA_LOSSES['hinge_sn'],
                             'train.steps': 15_000}, None),
    },
    'sngan32_digits': {
        'sngan32_digits': ('cifar10_sngan', 'classifier', SNGAN32_DIGITS,
                           None),
    },
    'infogan_digits': {
        'infogan_digits': ('digits_infogan', 'infogan', {}, None),
    },
}
# Every runnable key: the experiments, then the studies' arms.
ALL_RUNS = {**EXPERIMENTS,
            **{k: v for arms in STUDIES.values() for k, v in arms.items()}}

METRICS = {
    'mixture': ('modes_covered', 'hq_fraction', 'reverse_kl'),
    'gaussian1d': ('mean', 'std', 'ks', 'w1'),
    'classifier': ('fid', 'fid_floor', 'class_coverage', 'class_kl',
                   'classifier_accuracy', 'kid', 'kid_floor', 'precision',
                   'precision_floor', 'recall', 'recall_floor', 'density',
                   'density_floor', 'coverage', 'coverage_floor'),
}
METRICS['infogan'] = METRICS['classifier'] + ('code_accuracy', 'code_classes')

# Published rows (mean over 10 runs in both papers).
PUBLISHED = [
    # name, ring modes, ring HQ, ring rev-KL, grid modes, grid HQ, grid KL
    ('GAN (PacGAN Tab. 1)', 6.3, 0.982, 0.45, 17.3, 0.948, 0.70),
    ('PacGAN4 (PacGAN Tab. 1)', 7.8, 0.959, 0.07, 24.8, 0.936, 0.04),
    ('VEEGAN (VEEGAN Tab. 1)', 8.0, 0.529, None, 24.6, 0.40, None),
]

TARGETS = {
    'ring8': {'modes_covered': ('>=', 8.0), 'hq_fraction': ('>=', 0.97),
              'reverse_kl': ('<=', 0.02)},
    'grid25': {'modes_covered': ('>=', 24.9), 'hq_fraction': ('>=', 0.97),
               'reverse_kl': ('<=', 0.02)},
}


def parse_args(argv=None):
  p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  p.add_argument('--seeds', type=int, default=10,
                 help='seeds 0..N-1 of every experiment (default 10)')
  p.add_argument('--only', default='',
                 help='comma-separated experiments (default: all): '
                 + ', '.join(EXPERIMENTS))
  p.add_argument('--study', default='', choices=('',) + tuple(STUDIES),
                 help='run the arms of a study instead of the experiments '
                 '(small_data: NS vs hinge + spectral norm on digits, '
                 'without / with DiffAugment / ADA; sngan32_digits: the '
                 'ResNet SNGAN-32 recipe, narrowed, on digits at 32x32)')
  p.add_argument('--max_seeds_slow', type=int, default=3,
                 help='seeds of the slow experiment (digits_wgan_gp; '
                 'default 3)')
  p.add_argument('--jobs', type=int, default=2,
                 help='worker processes (default 2)')
  p.add_argument('--workdir', default=os.path.join(ROOT, 'runs', 'quality'))
  p.add_argument('--docs', default=os.path.join(ROOT, 'docs'))
  p.add_argument('--report_only', action='store_true',
                 help='rewrite RESULTS.md from docs/results/quality.json '
                 'without running anything')
  p.add_argument('--override', action='append', default=[],
                 help='KEY=VALUE applied to every config (e.g. '
                 'train.steps=200 for a quick check); marked in RESULTS.md')
  return p.parse_args(argv)


def _parse_value(text: str):
  try:
    return json.loads(text)
  except json.JSONDecodeError:
    return text


# --- one run (in a worker process) -----------------------------------------

def _worker_init():
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
  if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
  from absl import logging  # pylint: disable=g-import-not-at-top
  logging.set_verbosity(logging.WARNING)


def run_one(task):
  """Trains one (experiment, seed); returns its record."""
  key, seed, workdir, overrides = task
  import ganjax  # pylint: disable=g-import-not-at-top
  from ganjax import evaluation as evaluate, loop as train  # pylint: disable=g-import-not-at-top
  name, kind, extra, _ = ALL_RUNS[key]
  config = ganjax.get_config(name, **{**extra, **overrides})
  config.seed = seed
  config.eval.every = 0
  if os.path.exists(workdir):
    shutil.rmtree(workdir)
  wall0, cpu0 = time.perf_counter(), time.process_time()
  train.train_and_evaluate(config, workdir)
  wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
  records = evaluate.read_metrics(workdir)
  final = [r for r in records if r['step'] == config.train.steps][-1]
  samples = sorted(os.listdir(os.path.join(workdir, 'samples')))
  codes_picture = None
  if kind == 'infogan':
    codes_picture = os.path.join(workdir, 'samples', 'codes.png')
    _save_code_picture(workdir, codes_picture)
  untruncated = None
  if config.model.jacobian_truncation:
    untruncated = _untruncated_metrics(workdir, kind)
  return {
      'experiment': key, 'config': name, 'kind': kind, 'seed': seed,
      'steps': config.train.steps, 'wall_s': wall, 'cpu_s': cpu,
      'metrics': {m: final.get(m) for m in METRICS[kind]},
      'metrics_untruncated': untruncated,
      'picture': os.path.join(workdir, 'samples', samples[-1]),
      'codes_picture': codes_picture,
      'settings': describe(config),
      'overrides': {**extra, **overrides},
  }


def _save_code_picture(workdir, path):
  """An InfoGAN's samples, one row per category of its first categorical
  code (``ganjax.sampling.save_family_picture``), from the final
  checkpoint."""
  from ganjax import evaluation as evaluate, sampling  # pylint: disable=g-import-not-at-top
  config, spec, state = evaluate.load_workdir(workdir)
  sampling.save_family_picture(config, spec, state, path, config.data.name)


def _untruncated_metrics(workdir, kind):
  """The final evaluation again with ``model.jacobian_truncation`` off: the
  same checkpoint and evaluation seed, every latent kept."""
  import dataclasses  # pylint: disable=g-import-not-at-top
  from ganjax import evaluation as evaluate  # pylint: disable=g-import-not-at-top
  config, gan, state = evaluate.load_workdir(workdir)
  gan = dataclasses.replace(gan, jacobian_truncation=0.0)
  record = evaluate.run_evaluators(evaluate.build_evaluators(config), gan,
                                   state, int(state.step), None)
  return {m: record.get(m) for m in METRICS[kind]}


def describe(config) -> str:
  """The settings that matter for quality, read from the config itself."""
  m, t = config.model, config.train
  g, d = dict(m.generator), dict(m.discriminator)
  og, od = config.optim.g, config.optim.d

  def net(spec):
    name = spec.pop('name')
    rest = ', '.join(f'{k}={v}' for k, v in sorted(spec.items()))
    return f'{name}({rest})' if rest else name

  def opt(o):
    if o.name == 'adam':
      text = f'Adam lr {o.learning_rate:g} betas ({o.b1:g}, {o.b2:g})'
    else:
      text = f'{o.name} lr {o.learning_rate:g} momentum {o.momentum:g}'
    schedule = o.get('schedule', 'constant')
    if schedule != 'constant':
      start = o.get('decay_start', 0.0)
      text += (f', {schedule} decay to {o.get("final_lr_fraction", 0.0):g} x '
               'lr' + (f' from {100 * start:g}% of the run' if start else ''))
    return text

  if config.family == 'vae':
    return '; '.join([
        f'VAE: encoder {net(dict(m.encoder))}, decoder {net(g)} '
        '(Bernoulli logits)', 'loss: the negative ELBO',
        f'z normal {m.latent_dim}-d', f'{opt(og)}', f'batch {t.batch_size}',
        f'{t.steps:,} steps'])
  from ganjax import losses  # pylint: disable=g-import-not-at-top
  gp = losses.gp_weight(config.loss)
  loss = config.loss.name + (f' (gp {gp:g})' if gp else '')
  if config.loss.r1_weight:
    loss += f' + R1 (gamma {config.loss.r1_weight:g})'
  if config.loss.acgan_weight:
    loss += (f' + ACGAN (lambda {config.loss.acgan_weight:g}, generated '
             f'images x {config.loss.acgan_fake_weight:g} in D)')
  if config.loss.top_k_fraction < 1.0:
    loss += (f' + top-k G updates (nu {config.loss.top_k_fraction:g}, '
             f'gamma {config.loss.top_k_decay:g} per step)')
  parts = [f'G {net(g)}', f'D {net(d)}', f'loss {loss}',
           f'z {m.latent_dist} {m.latent_dim}-d',
           f'G: {opt(og)}', f'D: {opt(od)}', f'batch {t.batch_size}',
           f'n_critic {t.n_critic}'
           + (f', {t.g_steps} G updates per step'
              if t.g_steps != 1 else ''), f'{t.steps:,} steps',
           f'EMA of G {m.ema_decay:g}' if m.ema_decay else 'no EMA']
  a = config.augment
  if a.policy:
    parts.append(f'DiffAugment {a.policy!r} on D\'s inputs')
  if a.ada:
    parts.append(f'ADA {a.ada!r} on D\'s inputs (target {a.ada_target:g}, '
                 f'{a.ada_speed_images:,} images per unit of p)')
  if m.jacobian_truncation:
    parts.append(f'samples drawn with Jacobian truncation (the '
                 f'{100 * m.jacobian_truncation:g}% of latents with the '
                 'largest ||dG/dz|| rejected)')
  return '; '.join(parts)


# --- statistics and the report ----------------------------------------------

def mean_std(values):
  values = [v for v in values if v is not None]
  if not values:
    return float('nan'), float('nan')
  mu = sum(values) / len(values)
  var = (sum((v - mu) ** 2 for v in values) / (len(values) - 1)
         if len(values) > 1 else 0.0)
  return mu, math.sqrt(var)


def fmt(mu, sd, digits=2, pct=False):
  if mu is None or (isinstance(mu, float) and math.isnan(mu)):
    return 'n/a'
  if pct:
    return f'{100 * mu:.1f}% ± {100 * sd:.1f}'
  return f'{mu:.{digits}f} ± {sd:.{digits}f}'


def check(value, op, bound):
  if value is None or math.isnan(value):
    return False
  return value >= bound if op == '>=' else value <= bound


def summarize(runs):
  """experiment -> {'runs': [...], metric: (mean, std), 'wall': ..., ...}."""
  by = {}
  for r in runs:
    by.setdefault(r['experiment'], []).append(r)
  out = {}
  order = list(ALL_RUNS)
  for key, rs in sorted(by.items(), key=lambda kv: (
      order.index(kv[0]) if kv[0] in order else len(order), kv[0])):
    rs.sort(key=lambda r: r['seed'])
    s = {'runs': rs, 'seeds': [r['seed'] for r in rs],
         'wall': mean_std([r['wall_s'] for r in rs]),
         'cpu': mean_std([r['cpu_s'] for r in rs])}
    for m in METRICS[rs[0]['kind']]:
      s[m] = mean_std([r['metrics'].get(m) for r in rs])
    if rs[0]['kind'] in ('classifier', 'infogan'):
      s['fid_ratio'] = mean_std([r['metrics']['fid'] / r['metrics']['fid_floor']
                                 for r in rs])
    out[key] = s
  return out


def _run_time(e):
  """Wall time per run, mean ± std over seeds."""
  return f'{e["wall"][0]:.0f} ± {e["wall"][1]:.0f} s'


def _mark(ok):
  return 'yes' if ok else '**no**'


# The hand-written tail of RESULTS.md (each config's lab notes): kept, from
# this heading to the end, whenever the tables are rewritten.
NOTES = '## Lab notes, per config'


def _kept_notes(path: str) -> str:
  if not os.path.exists(path):
    return ''
  with open(path) as f:
    text = f.read()
  start = text.find('\n' + NOTES + '\n')
  return text[start + 1:] if start >= 0 else ''


def write_report(path, runs, meta):
  notes = _kept_notes(path)
  s = summarize(runs)
  L = []
  add = L.append
  add('# Results: does ganjax learn the distribution?')
  add('')
  add('Written by `benchmarks/quality.py` from its own runs (every number '
      'below comes from `docs/results/quality.json`, which the same '
      'invocation wrote). Last invocation (rerun it to reproduce; '
      '`--help` for the options):')
  add('')
  add('```bash')
  add(meta['command'])
  add('```')
  add('')
  add(f'Last written {meta["date"]} on {meta["machine"]}; '
      f'{meta["jobs"]} worker process(es); load average at the start / end '
      f'of the last invocation: {meta["load_start"]} / {meta["load_end"]} '
      '(the machine was shared with other work, so wall times are upper '
      'bounds). Wall time of the last invocation of the script: '
      f'{meta["total_wall_s"] / 60:.1f} min'
      + (f' (it ran only: {", ".join(meta["only"])})' if meta['only'] else '')
      + '.')
  if meta.get('only') and meta.get('earlier'):
    add('')
    add('The runs of the other experiments were kept from the invocations '
        'before it (newest first): ' + '; '.join(
            f'`{e["command"]}` ({e["date"]}, {e["total_wall_s"] / 60:.1f} '
            'min)' for e in meta['earlier']) + '.')
  if not meta.get('complete', True):
    add('')
    add(f'**Incomplete: {meta["runs_done"]} of the {meta["runs_planned"]} '
        'planned runs had finished when this was written.**')
  if meta.get('overrides'):
    add('')
    add(f'**Overrides applied to every run: `{meta["overrides"]}`: these are '
        'not the configs as shipped.**')
  add('')
  add('Each experiment: seeds 0..N-1 (`config.seed`), a fresh workdir per '
      'run, evaluation of the final generator (the EMA weights when '
      '`model.ema_decay` > 0) by `ganjax.evaluate` as defined in '
      '[EVALUATION.md](EVALUATION.md). Figures are mean ± sample std over '
      'the seeds. *Time* is the wall time of `train_and_evaluate` for one '
      'run (JIT compilation, training, checkpoint, picture and final '
      'evaluation included; not the Python start-up).')
  add('')

  # --- 2D mixtures ---
  add('## 2D mixtures: ring of 8 and grid of 25 (PacGAN protocol)')
  add('')
  add('2,500 samples per evaluation; a sample is high quality (HQ) within 3 '
      'standard deviations of its nearest mode; modes = modes with at '
      'least one HQ sample; reverse KL of the HQ samples\' mode histogram to '
      'uniform (nats). Published rows: mean over 10 runs, copied from Lin et '
      'al. 2018, *PacGAN: The power of two samples in generative adversarial '
      'networks*, Table 1, and Srivastava et al. 2017, *VEEGAN: Reducing mode '
      'collapse in GANs using implicit variational learning*, Table 1.')
  add('')
  add('| model | seeds | ring-8 modes | ring HQ | ring rev-KL | grid-25 modes '
      '| grid HQ | grid rev-KL |')
  add('|---|---|---|---|---|---|---|---|')
  for name, rm, rh, rk, gm, gh, gk in PUBLISHED:
    cell = lambda v, p=False: '' if v is None else (
        f'{100 * v:.1f}%' if p else f'{v:g}')
    add(f'| {name} | 10 | {cell(rm)} | {cell(rh, True)} | {cell(rk)} | '
        f'{cell(gm)} | {cell(gh, True)} | {cell(gk)} |')
  for label, ring, grid in (('ganjax NS-GAN', 'ring8_ns', 'grid25_ns'),
                            ('ganjax WGAN-GP', 'ring8_wgan_gp',
                             'grid25_wgan_gp')):
    if ring not in s and grid not in s:
      continue
    cells = []
    seeds = []
    for key in (ring, grid):
      if key in s:
        cells += [fmt(*s[key]['modes_covered'], digits=1),
                  fmt(*s[key]['hq_fraction'], pct=True),
                  fmt(*s[key]['reverse_kl'], digits=3)]
        seeds.append(str(len(s[key]['seeds'])))
      else:
        cells += ['not run'] * 3
    add(f'| **{label}** (`configs/{ring}.py`, `configs/{grid}.py`) | '
        f'{"/".join(seeds)} | ' + ' | '.join(cells) + ' |')
  add('')
  raw = {key: [r['metrics_untruncated'] for r in s[key]['runs']]
         for key in ('ring8_ns', 'ring8_wgan_gp', 'grid25_ns',
                     'grid25_wgan_gp')
         if key in s and all(r.get('metrics_untruncated')
                             for r in s[key]['runs'])}
  if raw:
    add('Sampled with Jacobian truncation (see below): ' + ', '.join(
        f'`{key}` (with every latent kept: HQ '
        f'{fmt(*mean_std([r["hq_fraction"] for r in ms]), pct=True)})'
        for key, ms in raw.items()) + '. The published rows do not '
        'truncate.')
    add('')
  add('Targets (issue 9): mean modes 8 (ring) and >= 24.9 (grid), HQ >= 97%, '
      'reverse KL <= 0.02, each over 10 seeds.')
  add('')
  add('| config | seeds | modes | HQ | rev-KL | all targets | min modes | '
      'min HQ | max rev-KL | time per run |')
  add('|---|---|---|---|---|---|---|---|---|---|')
  for key in ('ring8_ns', 'ring8_wgan_gp', 'grid25_ns', 'grid25_wgan_gp'):
    if key not in s:
      continue
    e = s[key]
    tg = TARGETS[key.split('_')[0]]
    ok = all(check(e[m][0], *tg[m]) for m in tg) and len(e['seeds']) >= 10
    vals = lambda m: [r['metrics'][m] for r in e['runs']]
    add(f'| `{key}` | {len(e["seeds"])} | '
        f'{_mark(check(e["modes_covered"][0], *tg["modes_covered"]))} '
        f'{e["modes_covered"][0]:.1f} | '
        f'{_mark(check(e["hq_fraction"][0], *tg["hq_fraction"]))} '
        f'{100 * e["hq_fraction"][0]:.1f}% | '
        f'{_mark(check(e["reverse_kl"][0], *tg["reverse_kl"]))} '
        f'{e["reverse_kl"][0]:.3f} | {_mark(ok)} | {min(vals("modes_covered")):g} | '
        f'{100 * min(vals("hq_fraction")):.1f}% | '
        f'{max(vals("reverse_kl")):.3f} | {_run_time(e)} |')
  add('')
  if raw:
    add('The configs that sample with Jacobian truncation (`model.'
        'jacobian_truncation`, Tanielian et al. 2020, *Learning disconnected '
        'manifolds: a no GAN\'s land*: the latents where G\'s Jacobian norm '
        'is largest, i.e. the samples G leaves between modes, are rejected '
        'and redrawn; see `ganjax/truncation.py`) are scored above as '
        'sampled. The same checkpoints scored with every latent kept (the '
        'same evaluation seed):')
    add('')
    add('| config | seeds | modes | HQ | rev-KL | min HQ | max rev-KL |')
    add('|---|---|---|---|---|---|---|')
    for key, ms in raw.items():
      col = lambda m: [r[m] for r in ms]
      add(f'| `{key}`, every latent kept | {len(ms)} | '
          f'{fmt(*mean_std(col("modes_covered")), digits=1)} | '
          f'{fmt(*mean_std(col("hq_fraction")), pct=True)} | '
          f'{fmt(*mean_std(col("reverse_kl")), digits=3)} | '
          f'{100 * min(col("hq_fraction")):.1f}% | '
          f'{max(col("reverse_kl")):.3f} |')
    add('')

  # --- 1D ---
  add('## 1D Gaussian N(4, 1.25)')
  add('')
  add('2,500 samples per evaluation. Targets: |mean - 4| <= 0.05, '
      '|std - 1.25| <= 0.05, KS <= 0.03.')
  add('')
  add('| config | seeds | mean | std | KS | W1 | seeds meeting all three | '
      'time per run |')
  add('|---|---|---|---|---|---|---|---|')
  for key in ('gaussian1d_tuned', 'gaussian1d_moments',
              'gaussian1d_moments_normal'):
    if key not in s:
      continue
    e = s[key]
    good = sum(1 for r in e['runs'] if _ok_1d(r['metrics']))
    add(f'| `{key}` | {len(e["seeds"])} | {fmt(*e["mean"], 3)} | '
        f'{fmt(*e["std"], 3)} | {fmt(*e["ks"], 3)} | {fmt(*e["w1"], 3)} | '
        f'{good}/{len(e["runs"])} | {_run_time(e)} |')
  add('')
  if 'gaussian1d_moments' in s:
    add('`gaussian1d_moments` is seed 003\'s config '
        '(`configs/gaussian1d_moments.py`, SGD and the four-moment '
        'discriminator; its settings as run are listed below) unchanged '
        'except `train.steps_per_dispatch=1000` (the same updates, fewer '
        'dispatches). Its discriminator sees only the first four moments '
        'of a batch of 500, so any distribution with the right four '
        'moments is an equilibrium: it matches the mean and std, and '
        'which shape G settles on (hence the KS) depends on the seed. '
        'Its lab notes below say more.')
    add('')
  if 'gaussian1d_moments_normal' in s:
    add('`gaussian1d_moments_normal` is the same system with z ~ N(0, 1) '
        'instead of the slides\' uniform noise '
        '(`configs/gaussian1d_moments_normal.py`; its lab notes below say '
        'why).')
    add('')

  # --- digits ---
  digits = [k for k in ('digits_wgan_gp', 'digits_acgan', 'digits_vae')
            if k in s]
  if digits:
    add('## Offline digits (scikit-learn 8x8, `data.name=\'digits\'`)')
    add('')
    add('Classifier-feature FID (the small CNN of EVALUATION.md trained on '
        'the digits training split; **not** an Inception FID and not '
        'comparable to papers\' FIDs) of 2,500 samples against the 360 test '
        'images, beside `fid_floor`, the FID of real training images against '
        'the same test images. Targets (for the GAN): FID <= 2 x floor, 10 '
        'classes, class KL <= 0.05. `digits_vae` is the VAE baseline '
        '(`config.family=\'vae\'`; samples are the decoder\'s means) '
        'scored the same way.')
    add('')
    if 'digits_acgan' in s:
      add('`digits_acgan` is the class-conditional ACGAN (its samples drawn '
          'for labels cycling 0..9, as the evaluators draw them).')
      add('')
    add('| config | seeds | FID | FID floor | FID / floor | classes | class KL '
        '| classifier accuracy | seeds meeting all three | time per run |')
    add('|---|---|---|---|---|---|---|---|---|---|')
    for key in digits:
      e = s[key]
      good = sum(1 for r in e['runs'] if _ok_digits(r['metrics']))
      add(f'| `{key}` | {len(e["seeds"])} | {fmt(*e["fid"], 1)} | '
          f'{fmt(*e["fid_floor"], 2)} | {fmt(*e["fid_ratio"], 2)} | '
          f'{fmt(*e["class_coverage"], 1)} | {fmt(*e["class_kl"], 3)} | '
          f'{fmt(*e["classifier_accuracy"], 3)} | {good}/{len(e["runs"])} | '
          f'{_run_time(e)} |')
    add('')
    add('The same samples in the same classifier features, by the metrics '
        'of docs/EVALUATION.md: KID (unbiased MMD^2 with the cubic kernel, '
        'mean over 100 subsets of 360; raw, not x 1000), precision / recall '
        '(Kynkaanniemi et al. 2019) and density / coverage (Naeem et al. '
        '2020) with k = 5 neighbours; each beside its floor, the value of '
        'the real training images (all 1,437) against the same 360 test '
        'images (for precision, recall, density and coverage the value to '
        'reach). KID is noisy in these features: their x . y / d is about '
        '28 (the kernel was made for Inception features, where it is of '
        'order 1), so the cubic kernel is '
        'about 2e4 and at 360 reference images KID moves by about 100 from '
        'sampling alone (measured: the floor is -88, two halves of the '
        'training set give -33, the std over subsets is 73); read it only '
        'for larger differences, such as the VAE\'s against the GAN\'s.')
    add('')
    add('| config | KID | KID floor | precision (floor) | recall (floor) '
        '| density (floor) | coverage (floor) |')
    add('|---|---|---|---|---|---|---|')
    for key in digits:
      e = s[key]
      if math.isnan(e['kid'][0]):  # run before KID existed: rerun it
        add(f'| `{key}` | not measured (runs older than these metrics) '
            '| | | | | |')
        continue
      cells = ' | '.join(f'{fmt(*e[m], 3)} ({e[m + "_floor"][0]:.3f})'
                         for m in ('precision', 'recall', 'density',
                                   'coverage'))
      add(f'| `{key}` | {fmt(*e["kid"], 3)} | {fmt(*e["kid_floor"], 3)} | '
          f'{cells} |')
    add('')

  _small_data_section(add, s)
  _sngan32_section(add, s)
  _infogan_section(add, s)

  # --- settings ---
  add('## What each config uses')
  add('')
  add('Read from the configs as run (`ganjax.get_config(name)`); each '
      'config\'s lab notes below say why.')
  add('')
  for key, e in s.items():
    r = e['runs'][0]
    extra = (f' Run with overrides `{r["overrides"]}`.' if r['overrides']
             else '')
    add(f'* `{key}`: `python launch.py --config=configs/{r["config"]}.py`. '
        f'{r["settings"]}.{extra}')
  add('')

  # --- pictures ---
  add('## Pictures (seed 0, final generator)')
  add('')
  for key in s:
    pic = os.path.join('results', f'{key}.png')
    if os.path.exists(os.path.join(os.path.dirname(path), pic)):
      add(f'**{key}**  ')
      add(f'![{key}]({pic})')
      add('')

  # --- per seed ---
  add('## Every run')
  add('')
  for key, e in s.items():
    # The metrics its runs have (runs older than a metric lack it).
    ms = [m for m in METRICS[e['runs'][0]['kind']]
          if any(m in r['metrics'] for r in e['runs'])]
    add(f'`{key}`:')
    add('')
    add('| seed | ' + ' | '.join(ms) + ' | wall s | CPU s |')
    add('|---' * (len(ms) + 3) + '|')
    for r in e['runs']:
      vals = ['n/a' if r['metrics'].get(m) is None else f'{r["metrics"][m]:.4g}'
              for m in ms]
      add(f'| {r["seed"]} | ' + ' | '.join(vals) +
          f' | {r["wall_s"]:.1f} | {r["cpu_s"]:.1f} |')
    add('')

  # --- not run here ---
  add('## MNIST and SVHN: not run here')
  add('')
  add('These need TensorFlow Datasets downloads, which this machine cannot '
      'make, so **no figure below was produced by ganjax**. On a machine with '
      'a network (or a prepared `~/tensorflow_datasets`):')
  add('')
  add('```bash')
  add('python launch.py --config=configs/mnist_dcgan.py --workdir=runs/mnist_dcgan')
  add('python launch.py --config=configs/svhn_wgan.py --workdir=runs/svhn_wgan')
  add('python launch.py --mode=eval --workdir=runs/mnist_dcgan   # fid, fid_floor, class_coverage, class_kl')
  add('```')
  add('')
  add('Published reference (Lucic et al. 2018, *Are GANs Created Equal? A '
      'Large-Scale Study*, best Inception-feature FID on MNIST over their '
      'hyperparameter search): NS-GAN 6.8, minimax GAN 9.8. ganjax\'s '
      '`fid` uses its own small MNIST classifier\'s features, not Inception, '
      'so compare ganjax\'s `fid` with its `fid_floor` (as for digits above) '
      'and use the published Inception FIDs only with an Inception-based '
      'FID computed elsewhere on the same samples '
      '(`python launch.py --mode=sample --workdir=runs/mnist_dcgan --num=10000 '
      '--npy`).')
  add('')
  with open(path, 'w') as f:
    f.write('\n'.join(L) + ('\n' + notes if notes else ''))


def _ok_1d(m):
  return (m['mean'] is not None and abs(m['mean'] - 4) <= 0.05
          and abs(m['std'] - 1.25) <= 0.05 and m['ks'] <= 0.03)


# The small-data study's target (issue 18), for its best arm: FID / floor
# <= 1.3 with all 10 classes and class KL <= 0.05.
SMALL_DATA_TARGET = {'fid_ratio': 1.3, 'class_kl': 0.05}


def _small_data_ok(m):
  return (m['fid'] is not None
          and m['fid'] / m['fid_floor'] <= SMALL_DATA_TARGET['fid_ratio']
          and m['class_coverage'] == 10
          and m['class_kl'] <= SMALL_DATA_TARGET['class_kl'])


def _arm_parts(key):
  """(loss and D, augmentation, anything else) of a small-data arm, read
  from its overrides."""
  o = ALL_RUNS[key][2]
  d = o.get('model.discriminator', {})
  loss = o['loss.name'] + (' + SN' if d.get('spectral_norm') else '')
  aug = ('DiffAugment' if o.get('augment.policy') else
         'ADA' if o.get('augment.ada') else 'none')
  rest = {k: v for k, v in o.items() if not k.startswith(
      ('loss.', 'model.discriminator', 'augment.'))}
  return loss, aug, ', '.join(f'{k}={v}' for k, v in rest.items())


def _small_data_section(add, s):
  """The small-data study's table and what each ingredient changed."""
  arms = [k for k in STUDIES['small_data'] if k in s]
  if not arms:
    return
  add('## Small data: NS vs hinge + spectral norm, DiffAugment and ADA '
      '(digits)')
  add('')
  add('`python benchmarks/quality.py --study small_data --seeds 3 --jobs 1`. '
      'The offline digits (1,437 training images) with '
      '`configs/digits_wgan_gp.py`\'s G and D (MLPs 256-256), Adam 5e-4 '
      'betas (0.5, 0.9), batch 128, 2 D steps per G step, EMA of G 0.995 '
      'and 5,000 steps (the same budget in every arm unless the last '
      'column says otherwise); only the loss, D\'s spectral normalization '
      'and the augmentation of D\'s inputs change. NS: the non-saturating '
      'loss, no penalty; hinge + SN: the hinge loss with every layer of D '
      'spectrally normalized; DiffAugment: `color,translation,cutout` (the '
      'reference\'s small-data policy); ADA: `blit,color` (the reference\'s '
      '`bgc`) with its controller (target 0.6, 500k images per unit of p). '
      'Scores as in the digits table above. Target (issue 18), for the best '
      f'arm: FID / floor <= {SMALL_DATA_TARGET["fid_ratio"]:g}, 10 classes, '
      f'class KL <= {SMALL_DATA_TARGET["class_kl"]:g}.')
  add('')
  add('| arm | loss | augmentation | other | seeds | FID | FID / floor | '
      'classes | class KL | seeds meeting the target | time per run |')
  add('|---|---|---|---|---|---|---|---|---|---|---|')
  rows = [('digits_wgan_gp', ('wgan_gp (gp 10)', 'none', 'reference'))] + [
      (k, _arm_parts(k)) for k in arms]
  for key, (loss, aug, rest) in rows:
    if key not in s:
      continue
    e = s[key]
    good = sum(1 for r in e['runs'] if _small_data_ok(r['metrics']))
    add(f'| `{key}` | {loss} | {aug} | {rest} | {len(e["seeds"])} | '
        f'{fmt(*e["fid"], 1)} | {fmt(*e["fid_ratio"], 2)} | '
        f'{fmt(*e["class_coverage"], 1)} | {fmt(*e["class_kl"], 3)} | '
        f'{good}/{len(e["runs"])} | {_run_time(e)} |')
  add('')
  ratio = lambda k: s[k]['fid_ratio'][0]
  changes = []
  for aug in ('', '_diffaug', '_ada'):
    a, b = f'sd_ns{aug}', f'sd_hinge_sn{aug}'
    if a in s and b in s:
      changes.append(f'hinge + SN instead of NS ({_arm_parts(a)[1]}): '
                     f'{ratio(a):.2f} -> {ratio(b):.2f}')
  for loss in ('ns', 'hinge_sn'):
    for aug in ('_diffaug', '_ada'):
      a, b = f'sd_{loss}', f'sd_{loss}{aug}'
      if a in s and b in s:
        changes.append(f'{_arm_parts(b)[1]} on {_arm_parts(a)[0]}: '
                       f'{ratio(a):.2f} -> {ratio(b):.2f}')
  for fix, base in _SMALL_DATA_FIXES.items():
    if fix in s and base in s:
      changes.append(f'{_arm_parts(fix)[2]} on `{base}`: {ratio(base):.2f} '
                     f'-> {ratio(fix):.2f}')
  if changes:
    add('What each ingredient changed (mean FID / floor, lower is better):')
    add('')
    for change in changes:
      add(f'* {change}')
    add('')
  def verdict(key):
    e = s[key]
    met = (e['fid_ratio'][0] <= SMALL_DATA_TARGET['fid_ratio']
           and e['class_coverage'][0] == 10
           and e['class_kl'][0] <= SMALL_DATA_TARGET['class_kl'])
    return (f'`{key}`, FID / floor {fmt(*e["fid_ratio"], 2)}, class KL '
            f'{fmt(*e["class_kl"], 3)}: the target is '
            + ('**met**' if met else '**missed**'))

  same_budget = [k for k in arms if k not in _SMALL_DATA_FIXES]
  if same_budget:
    add(f'Best arm at the same budget: {verdict(min(same_budget, key=ratio))}.')
    add('')
  for fix in arms:
    if fix in _SMALL_DATA_FIXES:
      add(f'The fix tried ({_arm_parts(fix)[2]}): {verdict(fix)}.')
      add('')


def _sngan32_section(add, s):
  """The ResNet SNGAN-32 recipe, narrowed, on the digits at 32x32."""
  if 'sngan32_digits' not in s:
    return
  e = s['sngan32_digits']
  add('## ResNet SNGAN-32 on the digits at 32x32')
  add('')
  add('`python benchmarks/quality.py --study sngan32_digits --seeds 3 '
      '--jobs 1`: `configs/cifar10_sngan.py` (torch-mimicry\'s recipe: '
      'hinge loss, spectral norm in D, 5 D steps per G step at batch 64, '
      'Adam 2e-4 betas (0, 0.9) decaying linearly to 0) on the offline '
      'digits resized to 32x32, one channel, with both ResNets at 32 '
      'features (mimicry: G 256, D 128) and 1,000 G steps (mimicry: '
      '100,000), so that a run fits on one CPU core. Scored as the digits '
      'table above, by the classifier evaluator at 32x32.')
  add('')
  add('| seeds | FID | FID floor | FID / floor | classes | class KL | '
      'time per run |')
  add('|---|---|---|---|---|---|---|')
  add(f'| {len(e["seeds"])} | {fmt(*e["fid"], 1)} | '
      f'{fmt(*e["fid_floor"], 1)} | {fmt(*e["fid_ratio"], 2)} | '
      f'{fmt(*e["class_coverage"], 1)} | {fmt(*e["class_kl"], 3)} | '
      f'{_run_time(e)} |')
  add('')
  add('![sngan32_digits samples, seed 0](results/sngan32_digits.png)')
  add('')


def _infogan_section(add, s):
  """InfoGAN on the digits: quality, and its code against the classes."""
  if 'infogan_digits' not in s:
    return
  e = s['infogan_digits']
  add('## InfoGAN on the digits')
  add('')
  add('`python benchmarks/quality.py --study infogan_digits --seeds 3 '
      '--jobs 2`: `configs/digits_infogan.py` as shipped (the paper\'s MNIST '
      'networks, codes and settings at 8x8: one categorical code of 10, two '
      'continuous codes, lambda 1, 5,000 steps). `code accuracy` is the '
      '`codes` evaluator\'s: the evaluation classifier labels 2,500 samples, '
      '250 per category of the categorical code, and the categories are '
      'matched one to one to the classes (1 - the paper\'s error rate; '
      'chance is about 0.1); `code classes` counts the distinct classes '
      'that are some category\'s most frequent. Published (Chen et al. '
      '2016, section 7.1, MNIST at 28x28): c1 classifies the digits with '
      'a 5% error rate, i.e. code accuracy '
      '0.95 (no spread over runs given).')
  add('')
  add('| seeds | code accuracy | code classes | FID | FID / floor | '
      'classes | class KL | time per run |')
  add('|---|---|---|---|---|---|---|---|')
  add(f'| {len(e["seeds"])} | {fmt(*e["code_accuracy"], 3)} | '
      f'{fmt(*e["code_classes"], 1)} | {fmt(*e["fid"], 1)} | '
      f'{fmt(*e["fid_ratio"], 2)} | {fmt(*e["class_coverage"], 1)} | '
      f'{fmt(*e["class_kl"], 3)} | {_run_time(e)} |')
  add('')
  acc = e['code_accuracy'][0]
  add(f'The paper\'s 0.95 is **{"met" if acc >= 0.95 else "missed"}** '
      f'here ({acc:.2f}): in the picture below (seed 0, one row per '
      'category, the same noise down each column) most categories draw one '
      'digit, but some share two (4 and 1, 8 and 9), which the one-to-one '
      'matching counts as errors. These are 8x8 digits (1,437 training '
      'images) and 5,000 steps; the paper trains on 60,000 MNIST digits at '
      '28x28. Time per run: two runs shared the 2 cores, the third ran '
      'alone.')
  add('')
  add('![infogan_digits: one row per category of the code, seed 0]'
      '(results/infogan_digits_codes.png)')
  add('')


def _ok_digits(m):
  return (m['fid'] is not None and m['fid'] <= 2 * m['fid_floor']
          and m['class_coverage'] == 10 and m['class_kl'] <= 0.05)


def _loadavg():
  try:
    return '%.1f' % os.getloadavg()[0]
  except OSError:
    return 'n/a'


def main(argv=None):
  args = parse_args(argv)
  only = [k for k in args.only.split(',') if k]
  if args.study:
    only = only or list(STUDIES[args.study])
  for k in only:
    if k not in ALL_RUNS:
      sys.exit(f'unknown experiment {k!r}; choose from {", ".join(ALL_RUNS)}')
  keys = only or list(EXPERIMENTS)
  overrides = {}
  for item in args.override:
    k, v = item.split('=', 1)
    overrides[k] = _parse_value(v)
  tasks = []
  for seed in range(args.seeds):
    for key in keys:
      cap = args.max_seeds_slow if ALL_RUNS[key][3] == 'slow' else None
      if cap is None or seed < cap:
        tasks.append((key, seed,
                      os.path.join(args.workdir, key, f'seed_{seed}'),
                      overrides))
  results_dir = os.path.join(args.docs, 'results')
  os.makedirs(results_dir, exist_ok=True)
  json_path = os.path.join(results_dir, 'quality.json')
  if args.report_only:
    with open(json_path) as f:
      saved = json.load(f)
    write_report(os.path.join(args.docs, 'RESULTS.md'), saved['runs'],
                 saved['meta'])
    return

  load_start = _loadavg()
  t0 = time.perf_counter()
  previous, earlier = [], []
  if only and os.path.exists(json_path):
    with open(json_path) as f:
      saved = json.load(f)
    previous = [r for r in saved['runs'] if r['experiment'] not in only]
    # Where the kept runs came from: the invocations before this one.
    old = saved['meta']
    earlier = [{k: old[k] for k in ('command', 'date', 'total_wall_s')}]
    earlier += old.get('earlier', [])[:4]
  command = ' '.join(['python benchmarks/quality.py'] +
                     (sys.argv[1:] if argv is None else list(argv)))
  import jax  # pylint: disable=g-import-not-at-top
  machine = (f'{os.cpu_count()} CPU cores ({platform.machine()}), '
             f'jax {jax.__version__}, Python {platform.python_version()}')
  runs = []

  def write(done: bool):
    # Rewritten after every run, so an interrupted sweep still leaves its
    # finished runs (marked as such) in the JSON and the report.
    for key in keys:
      firsts = sorted((r for r in runs if r['experiment'] == key),
                      key=lambda r: r['seed'])
      if firsts and firsts[0]['seed'] == 0:
        shutil.copyfile(firsts[0]['picture'],
                        os.path.join(results_dir, f'{key}.png'))
        if firsts[0].get('codes_picture'):
          shutil.copyfile(firsts[0]['codes_picture'],
                          os.path.join(results_dir, f'{key}_codes.png'))
    meta = {
        'date': datetime.datetime.now(datetime.timezone.utc).strftime(
            '%Y-%m-%d %H:%M UTC'),
        'machine': machine, 'jobs': args.jobs, 'load_start': load_start,
        'load_end': _loadavg(), 'total_wall_s': time.perf_counter() - t0,
        'only': only, 'seeds': args.seeds, 'overrides': overrides,
        'command': command, 'complete': done,
        'runs_done': len(runs), 'runs_planned': len(tasks),
        'earlier': earlier,
    }
    with open(json_path, 'w') as f:
      json.dump({'meta': meta, 'runs': previous + runs}, f, indent=1)
    write_report(os.path.join(args.docs, 'RESULTS.md'), previous + runs,
                 meta)
    return meta

  ctx = multiprocessing.get_context('spawn')
  with ctx.Pool(args.jobs, initializer=_worker_init) as pool:
    for r in pool.imap_unordered(run_one, tasks):
      runs.append(r)
      print(f'{r["experiment"]} seed {r["seed"]}: {r["wall_s"]:.1f} s '
            f'{json.dumps(r["metrics"])}', flush=True)
      write(done=False)
  meta = write(done=True)
  total = meta['total_wall_s']
  print(f'total wall time {total:.0f} s; wrote {json_path} and '
        f'{os.path.join(args.docs, "RESULTS.md")}')


if __name__ == '__main__':
  main()
