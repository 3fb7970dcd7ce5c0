"""The config schema: every field with its default, checked before compiling.

Configs under ``configs/`` start from ``base_config()`` and override what
they need, so every config has every field and command-line overrides of a
field that does not exist are rejected by ml_collections. ``base_config()``
is the only place a default lives: code reads fields, never a default of
its own, and ``validate()`` (every check, in one place) refuses a config
that lacks a field. Old ``config.json`` files are brought up to date in one
place, ``ganjax.workdir.load_config``.

Fields (defaults in brackets):

* ``version`` [``VERSION``]: what the fields mean; not to be set by hand
  (old ``config.json`` files are read by ``ganjax.workdir.load_config``).
* ``seed`` [0]: root seed for parameters, noise and data order (an integer
  in [0, 2**32)). Every number of a config must be finite and fit in
  float32.
* ``family`` ['gan']: the kind of generative system
  (``ganjax.families``): ``'gan'``, ``'infogan'`` or ``'vae'``.
* ``parallel`` ['auto']: ``'pmap'`` over all local devices, ``'jit'`` on one,
  ``'auto'`` = pmap when there is more than one local device or more than
  one process (one device per process included); ``'jit'`` is refused in a
  multi-process run (each process would train a model of its own).
* ``data.*``: see ``ganjax.data``. ``data.path`` [None]: the folder (or
  prepared TFDS directory) of ``data.name='image_folder'``;
  ``data.on_device`` [False]: keep the whole dataset on the device(s) and
  draw batches there (small datasets; ``ganjax.data.on_device``).
* ``model.latent_dim`` [100], ``model.latent_dist`` ['normal'; 'uniform':
  U(-1, 1); 'uniform01': U[0, 1), ``torch.rand`` as seed 003's code],
  ``model.num_classes`` [0]: > 0 makes a class-conditional GAN (its
  generator and discriminator take ``labels``), ``model.ema_decay`` [0.0]:
  > 0 keeps an exponential moving average of G's weights, updated inside the
  compiled step, which samples and evaluations use (e.g. 0.999);
  ``model.ema_start`` [0]: the EMA copies G's weights until this step and
  averages from there (StudioGAN's ``ema_start``); ``model.
  ema_standing_stats`` [16]: for a G with BatchNorm, the EMA weights sample
  with "standing statistics" (BigGAN): BatchNorm's statistics recomputed
  for the EMA weights as the mean over this many batches of
  ``train.batch_size`` latents in train mode (0: the online G's moving
  statistics, as before),
  ``model.jacobian_truncation`` [0.0]: > 0 rejects that fraction of the
  latents at sampling time (pictures, evaluations, ``ganjax.sample``), those
  where ``||dG/dz||_F`` is largest, i.e. the samples G leaves between
  disconnected modes (Tanielian et al. 2020; ``ganjax.truncation``; e.g.
  0.05; training is unchanged; it costs ``latent_dim`` Jacobian-vector
  products per sample, which is slow on a CPU for 100-d latents),
  ``model.dtype`` [None: float32]: ``'bfloat16'`` runs G and D's layers in
  bfloat16 (float32 parameters and outputs; models with a ``dtype`` field:
  ``mlp``, ``dcgan``),
  ``model.generator`` / ``model.discriminator``: ``{name, **module fields}``
  (see ``ganjax.models``); ``model.encoder`` [``{'name': 'none'}``]: the
  encoder of families that have one (``vae``; ``ganjax.models.encoders``);
  ``model.codes`` [``{'categorical': (), 'continuous': 0}``]: InfoGAN's
  latent codes (``family='infogan'``), drawn beside ``latent_dim`` noise
  dimensions: one uniform categorical code per entry of ``categorical``
  (its number of categories, e.g. ``(10,)``) and ``continuous`` codes
  U(-1, 1).
* ``loss.name`` ['ns']: ``'minimax'``, ``'ns'``, ``'wasserstein'``,
  ``'wgan_gp'`` (the Wasserstein loss plus the gradient penalty),
  ``'hinge'``, ``'lsgan'``, ``'ragan'`` or ``'ralsgan'`` (relativistic
  average; ``ganjax.losses``); the ``vae`` family takes ``'elbo'``;
  ``loss.gp_weight`` [None: the loss's own, 10 for ``wgan_gp``, else 0]:
  lambda of the gradient penalty ``lambda * E[(||grad D(x_hat)|| - 1)^2]``
  on real/fake interpolates, added to D's loss with any loss when > 0
  (``ganjax.losses``);
  ``loss.r1_weight`` [0.0]: gamma of the R1 penalty ``gamma / 2 *
  E[||grad D(x)||^2]`` on real data, added to D's loss with any loss
  (Mescheder et al. 2018; 0 = off);
  ``loss.top_k_fraction`` [1.0 = off] and ``loss.top_k_decay`` [0.999]:
  top-k training (Sinha et al. 2020): G's loss averages only over the
  generated samples D scores highest, a fraction ``max(top_k_fraction,
  top_k_decay ** step)`` of the global batch (their nu and gamma; their
  gamma is per epoch, this one per train step);
  ``loss.acgan_weight`` [0.0 = off]: ACGAN (Odena et al. 2017) for a
  class-conditional GAN (``model.num_classes`` > 0, a discriminator with
  an auxiliary classifier head: ``projection_mlp``, ``projection_dcgan``,
  ``resnet_sngan32``): lambda of the class cross-entropy added to D's loss
  (on real images, and on generated ones times ``loss.acgan_fake_weight``
  [1.0: the paper; 0: PyTorch-StudioGAN's 'AC', real images only]) and to
  G's (its samples classified as their labels); D is then not conditioned
  on the labels (``ganjax.losses``, e.g. 1.0);
  ``loss.info_weight`` [1.0]: InfoGAN's lambda (``family='infogan'``): the
  weight of its mutual-information term, added to D's and G's losses.
* ``augment.*``: differentiable augmentation of every image D sees, real
  and generated, in D's and G's steps (``ganjax.augment``; images only):
  ``augment.policy`` ['']: DiffAugment (Zhao et al. 2020), e.g.
  ``'color,translation,cutout'``; ``augment.ada`` ['']: ADA (Karras et al.
  2020), the pipeline of transforms applied with probability p, e.g.
  ``'blit,color'``; p starts at 0, lives in the state and moves every
  ``augment.ada_interval`` [4] D updates by ``batch * interval /
  augment.ada_speed_images`` [500,000] towards ``E[sign(D(x_real))] =
  augment.ada_target`` [0.6]. One of the two at a time.
* ``optim.g`` / ``optim.d``: ``{name: adam|sgd|rmsprop, learning_rate, b1,
  b2, eps, momentum, schedule, final_lr_fraction, decay_start}``.
  ``schedule`` ['constant']: the learning rate over the run: ``'constant'``,
  ``'linear'`` or ``'cosine'``, which hold ``learning_rate`` for the first
  ``decay_start`` [0.0] fraction of the run and then decay it (linearly, or
  along a half cosine) to ``final_lr_fraction`` [0.0] x ``learning_rate`` at
  the last update. The run's updates are counted per optimizer:
  ``train.steps * train.g_steps`` for G, ``train.steps * train.n_critic``
  for D (``ganjax.state.make_optimizer``).
* ``train.steps``: generator updates in total; ``train.batch_size``: global
  batch (all devices); ``train.n_critic`` [1]: D updates per step, each on
  a fresh real batch; ``train.g_steps`` [1]: G updates per step, after
  them;
  ``train.update_scheme`` ['alternating']: ``'alternating'`` updates D and
  then G against the updated D; ``'simultaneous'`` takes both gradients
  from one forward pass and applies them together, as the TensorFlow DCGAN
  tutorial's ``train_step`` (needs ``n_critic = g_steps = 1``; the field is
  not called ``train.update``, which ``ConfigDict.update`` would shadow);
  ``train.log_every``, ``train.checkpoint_every``, ``train.sample_every``:
  intervals in steps; ``train.num_samples`` [64]: samples in the picture
  (at most 10,000);
  ``train.max_checkpoints`` [3]: checkpoints kept;
  ``train.steps_per_dispatch`` [1]: training steps compiled into one
  ``lax.scan`` dispatch (fewer host round trips for small models; every
  interval above is still honoured at its exact step).
* ``eval.*``: the evaluators (``ganjax.evaluation``, definitions in
  ``docs/EVALUATION.md``). ``eval.every`` [1000]: steps between
  evaluations (0: only at the end of training); ``eval.at_end`` [True]:
  also evaluate after the last step (False skips that evaluation, so a
  smoke run such as ``--config.train.steps=2 --config.eval.at_end=False``
  trains no evaluation classifier; the last step is still evaluated when it
  is a multiple of ``eval.every``); ``eval.evaluators``
  ['auto']: a comma-separated list of ``mixture``, ``gaussian1d``,
  ``classifier``, ``selfsup``, ``inception``, ``equilibrium``, or
  ``'auto'`` (every one that applies to the data and family: labelled
  images -> classifier, single-class (unlabelled) images -> selfsup, 1D ->
  gaussian1d, 2D mixtures -> mixture; equilibrium when the family has a
  discriminator; inception only when named) or ``'none'``; ``eval.num_samples`` [2500]: generated samples per
  evaluation (PacGAN's 2,500); ``eval.test_split`` ['test']: the held-out
  TFDS split; ``eval.seed`` [0]: seed of the evaluation z (the same at
  every evaluation) and of the classifier; ``eval.batch_size`` [500]: batch
  of generation and feature extraction; ``eval.kid_subsets`` [100],
  ``eval.kid_subset_size`` [1000]: KID's subsets; ``eval.nearest_k`` [5]:
  the k of precision / recall / density / coverage (every feature
  evaluator). Each evaluator's own options:
  ``eval.mixture.hq_threshold`` [3.0]: PacGAN's high-quality radius in mode
  stds; ``eval.classifier.num_real`` [10000]: held-out real images of the
  reference (at most the whole test split), ``eval.classifier.steps``
  [2000], ``.batch_size`` [128], ``.learning_rate`` [1e-3]: training of the
  evaluation classifier, ``eval.classifier.cache_dir`` [None:
  ``$GANJAX_CACHE_DIR`` or ``~/.cache/ganjax/classifiers``]: where trained
  classifiers (and ``selfsup``'s rotation networks, trained with the same
  options) are kept; ``eval.inception.weights`` [None: the FID Inception
  file in that cache directory, downloaded on first use], ``.num_real``
  [10000], ``.batch_size`` [50]: the opt-in ``inception`` evaluator.
"""

from __future__ import annotations

import importlib.util
import os

import ml_collections

from ganjax import augment, errors
from ganjax.data import toy

# The learning-rate schedules of ``optim.g.schedule`` / ``optim.d.schedule``
# (built by ``ganjax.state.learning_rate_schedule``).
SCHEDULES = ('constant', 'linear', 'cosine')


# Version of the config's meaning, saved in every config.json, so that
# ``ganjax.workdir.load_config`` reads an older file as it was meant.
# 2: ``loss.gp_weight`` applies to every loss (None: the loss's own).
# 3: the seed documents' models are named for what they are
#    (``ganjax.models.RENAMED``: 'seed000' is 'tf_report_mnist', ...).
# 4: each evaluator's options in its own ``eval.<name>`` (eval.mixture,
#    eval.classifier) instead of flat ``eval.classifier_steps`` etc.
VERSION = 4


def base_config() -> ml_collections.ConfigDict:
  """All fields with their defaults: an MLP GAN on the 2D ring of 8."""
  c = ml_collections.ConfigDict()
  c.version = VERSION
  c.seed = 0
  c.parallel = 'auto'
  c.family = 'gan'

  c.data = ml_collections.ConfigDict()
  c.data.name = 'ring8'
  c.data.split = 'train'
  c.data.image_size = 0
  c.data.channels = 0
  c.data.value_range = (-1.0, 1.0)
  c.data.data_dir = ml_collections.config_dict.placeholder(str)
  c.data.shuffle_buffer = 10_000
  c.data.path = ml_collections.config_dict.placeholder(str)
  c.data.on_device = False

  c.model = ml_collections.ConfigDict()
  c.model.latent_dim = 100
  c.model.latent_dist = 'normal'
  c.model.num_classes = 0
  c.model.ema_decay = 0.0
  c.model.ema_start = 0
  c.model.ema_standing_stats = 16
  c.model.jacobian_truncation = 0.0
  c.model.dtype = ml_collections.config_dict.placeholder(str)
  c.model.generator = ml_collections.ConfigDict({'name': 'mlp'})
  c.model.discriminator = ml_collections.ConfigDict({'name': 'mlp'})
  c.model.encoder = ml_collections.ConfigDict({'name': 'none'})
  c.model.codes = ml_collections.ConfigDict(dict(categorical=(),
                                                 continuous=0))

  c.loss = ml_collections.ConfigDict()
  c.loss.name = 'ns'
  c.loss.gp_weight = ml_collections.config_dict.placeholder(float)
  c.loss.r1_weight = 0.0
  c.loss.top_k_fraction = 1.0
  c.loss.top_k_decay = 0.999
  c.loss.acgan_weight = 0.0
  c.loss.acgan_fake_weight = 1.0
  c.loss.info_weight = 1.0

  c.augment = ml_collections.ConfigDict()
  c.augment.policy = ''
  c.augment.ada = ''
  c.augment.ada_target = 0.6
  c.augment.ada_speed_images = 500_000
  c.augment.ada_interval = 4

  c.optim = ml_collections.ConfigDict()
  for net in ('g', 'd'):
    c.optim[net] = ml_collections.ConfigDict(dict(
        name='adam', learning_rate=1e-4, b1=0.9, b2=0.999, eps=1e-7,
        momentum=0.0, schedule='constant', final_lr_fraction=0.0,
        decay_start=0.0))

  c.train = ml_collections.ConfigDict()
  c.train.steps = 1000
  c.train.batch_size = 256
  c.train.n_critic = 1
  c.train.g_steps = 1
  c.train.update_scheme = 'alternating'
  c.train.log_every = 100
  c.train.checkpoint_every = 1000
  c.train.sample_every = 1000
  c.train.num_samples = 64
  c.train.max_checkpoints = 3
  c.train.steps_per_dispatch = 1

  c.eval = ml_collections.ConfigDict()
  c.eval.every = 1000
  c.eval.at_end = True
  c.eval.evaluators = 'auto'
  c.eval.num_samples = 2500
  c.eval.test_split = 'test'
  c.eval.seed = 0
  c.eval.batch_size = 500
  # Shared by the feature evaluators (classifier, selfsup, inception).
  c.eval.kid_subsets = 100
  c.eval.kid_subset_size = 1000
  c.eval.nearest_k = 5
  # Each evaluator's own options (ganjax/evaluation/<evaluator>.py).
  c.eval.mixture = ml_collections.ConfigDict({'hq_threshold': 3.0})
  c.eval.classifier = ml_collections.ConfigDict(dict(
      num_real=10_000, steps=2000, batch_size=128, learning_rate=1e-3,
      cache_dir=ml_collections.config_dict.placeholder(str)))
  c.eval.inception = ml_collections.ConfigDict(dict(
      weights=ml_collections.config_dict.placeholder(str), num_real=10_000,
      batch_size=50))
  return c


def _fail(field: str, value, allowed: str) -> None:
  raise errors.ConfigError(f'config.{field}={value!r} is not allowed: '
                           f'{allowed}.')


UPDATES = ('alternating', 'simultaneous')


def check_update(train: ml_collections.ConfigDict) -> None:
  """``train.update_scheme`` is known, and 'simultaneous' has one D and one G
  update per step (there is one forward pass to take them from)."""
  update = train.update_scheme
  if update not in UPDATES:
    _fail('train.update_scheme', update, f'choose one of {list(UPDATES)}')
  if update == 'simultaneous' and (train.n_critic != 1 or
                                   train.g_steps != 1):
    raise errors.ConfigError(
        "config.train.update_scheme='simultaneous' takes one D and one G "
        'update from one forward pass, so it needs train.n_critic=1 and '
        f'train.g_steps=1 (got {train.n_critic} and '
        f"{train.g_steps}); use "
        "train.update_scheme='alternating'.")


# The most samples a training picture may hold (more is no picture, and
# generating them at once can exhaust the device's memory).
MAX_PICTURE_SAMPLES = 10_000
_FLOAT32_MAX = 3.4028234663852886e38


def _is_int(value) -> bool:
  return isinstance(value, int) and not isinstance(value, bool)


def _check_numbers(node, prefix: str = '') -> None:
  """Every number of the config is finite and fits in float32."""
  for key in node.keys():
    value = node[key]
    field = f'{prefix}{key}'
    if isinstance(value, (ml_collections.ConfigDict, dict)):
      _check_numbers(value, field + '.')
      continue
    for v in value if isinstance(value, (tuple, list)) else (value,):
      if (isinstance(v, (int, float)) and not isinstance(v, bool) and
          not abs(v) <= _FLOAT32_MAX):
        _fail(field, value, 'use a finite number within float32\'s range '
              '(|x| <= 3.4e38)')


def _missing(config, defaults, prefix: str = ''):
  for key in defaults.keys():
    if key not in config:
      yield prefix + key
    elif (isinstance(defaults[key], ml_collections.ConfigDict) and
          key not in ('generator', 'discriminator', 'encoder')):
      yield from _missing(config[key], defaults[key], f'{prefix}{key}.')


def changed_field(config: ml_collections.ConfigDict, fields
                  ) -> tuple[str, object, object] | None:
  """The first of ``fields`` (dotted names) whose value is not
  ``base_config()``'s, as ``(field, value, default)``; None if all are
  (a family refuses the fields it does not use this way)."""
  base = base_config()
  for dotted in fields:
    value, default = config, base
    for part in dotted.split('.'):
      value, default = value[part], default[part]
    if isinstance(value, ml_collections.ConfigDict):
      value, default = value.to_dict(), default.to_dict()
    if _as_tuples(value) != _as_tuples(default):
      return dotted, value, default
  return None


def _as_tuples(value):
  """Lists as tuples, inside dicts too (a config read from JSON has lists
  where the config that wrote it had tuples)."""
  if isinstance(value, (list, tuple)):
    return tuple(_as_tuples(v) for v in value)
  if isinstance(value, dict):
    return {k: _as_tuples(v) for k, v in value.items()}
  return value


def check_complete(config: ml_collections.ConfigDict) -> None:
  """Every field of ``base_config()`` is there (the only place defaults
  live: code reads fields, never a default of its own)."""
  missing = list(_missing(config, base_config()))
  if missing:
    raise errors.ConfigError(
        f'the config has no {", ".join(missing[:4])}'
        f'{" ..." if len(missing) > 4 else ""}: build configs from '
        'ganjax.config_lib.base_config() (as configs/*.py do), and read a '
        "workdir's with ganjax.evaluation.load_config.")


def validate(config: ml_collections.ConfigDict) -> None:
  """Raises ``ConfigError`` naming the first bad field, before compiling."""
  check_complete(config)
  _check_numbers(config)
  for field in ('seed', 'eval.seed'):
    value = config.seed if field == 'seed' else config.eval.seed
    if not _is_int(value) or not 0 <= value < 2**32:
      _fail(field, value, 'use an integer in [0, 2**32)')
  t = config.train
  for field in ('steps', 'batch_size', 'log_every', 'checkpoint_every',
                'sample_every', 'num_samples', 'max_checkpoints',
                'steps_per_dispatch'):
    value = t[field]
    if not _is_int(value) or value <= 0:
      _fail(f'train.{field}', value, 'use a positive integer')
  if t.num_samples > MAX_PICTURE_SAMPLES:
    _fail('train.num_samples', t.num_samples,
          f'a picture holds at most {MAX_PICTURE_SAMPLES:,} samples; draw '
          'more with launch.py --mode=sample --num=N --npy')
  if not _is_int(t.n_critic) or t.n_critic < 1:
    _fail('train.n_critic', t.n_critic, 'use an integer >= 1')
  if not _is_int(t.g_steps) or t.g_steps < 1:
    _fail('train.g_steps', t.g_steps, 'use an integer >= 1')
  check_update(t)
  if config.loss.gp_weight is not None and config.loss.gp_weight < 0:
    _fail('loss.gp_weight', config.loss.gp_weight, 'use a value >= 0')
  if config.loss.r1_weight < 0:
    _fail('loss.r1_weight', config.loss.r1_weight, 'use a value >= 0')
  for field in ('top_k_fraction', 'top_k_decay'):
    value = config.loss[field]
    if not 0 < value <= 1:
      _fail(f'loss.{field}', value, 'use a value in (0, 1]')
  for field in ('acgan_weight', 'acgan_fake_weight'):
    if not config.loss[field] >= 0:
      _fail(f'loss.{field}', config.loss[field], 'use a value >= 0')
  if config.loss.acgan_weight and config.model.num_classes <= 0:
    _fail('loss.acgan_weight', config.loss.acgan_weight, 'ACGAN trains '
          'an auxiliary classifier on the class labels of a class-'
          'conditional GAN: set model.num_classes (data with labels), or 0')
  for net in ('g', 'd'):
    lr = config.optim[net].learning_rate
    if not lr > 0:
      _fail(f'optim.{net}.learning_rate', lr, 'use a positive value')
    opt = config.optim[net]
    schedule = opt.schedule
    if schedule not in SCHEDULES:
      _fail(f'optim.{net}.schedule', schedule,
            f'choose one of {list(SCHEDULES)}')
    final = opt.final_lr_fraction
    if not 0.0 <= final <= 1.0:
      _fail(f'optim.{net}.final_lr_fraction', final,
            'use a fraction of learning_rate in [0, 1]')
    start = opt.decay_start
    if not 0.0 <= start < 1.0:
      _fail(f'optim.{net}.decay_start', start,
            'use a fraction of the run in [0, 1)')
  for field in ('ema_start', 'ema_standing_stats'):
    value = config.model[field]
    if not _is_int(value) or value < 0:
      _fail(f'model.{field}', value, 'use an integer >= 0')
  a = config.augment
  if a.policy and a.ada:
    _fail('augment.ada', a.ada, 'use DiffAugment (augment.policy) or ADA '
          "(augment.ada), not both; set the other to ''")
  if (a.policy or a.ada) and not _is_image_name(config.data.name):
    _fail('augment.policy' if a.policy else 'augment.ada',
          a.policy or a.ada, 'augmentation is for images; '
          f'{config.data.name!r} is not an image dataset')
  for field, known in (('policy', augment.DIFF_AUGMENT_POLICIES),
                       ('ada', augment.ADA_PIPELINES)):
    names = [n.strip() for n in a[field].split(',') if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
      _fail(f'augment.{field}', a[field], f'{unknown[0]!r} is not one of '
            f'{list(known)} (comma-separated)')
  if not 0.0 < a.ada_target < 1.0:
    _fail('augment.ada_target', a.ada_target, 'use a value in (0, 1)')
  for field in ('ada_speed_images', 'ada_interval'):
    if not _is_int(a[field]) or a[field] < 1:
      _fail(f'augment.{field}', a[field], 'use a positive integer')
  if not 0.0 <= config.model.ema_decay < 1.0:
    _fail('model.ema_decay', config.model.ema_decay, 'use 0 (off) or a '
          'value in (0, 1), e.g. 0.999')
  if not 0.0 <= config.model.jacobian_truncation < 0.5:
    _fail('model.jacobian_truncation', config.model.jacobian_truncation,
          'use 0 (off) or the fraction of latents to reject, in (0, 0.5), '
          'e.g. 0.05')
  if config.model.latent_dim <= 0:
    _fail('model.latent_dim', config.model.latent_dim,
          'use a positive integer')
  lo, hi = config.data.value_range
  if not lo < hi:
    _fail('data.value_range', tuple(config.data.value_range),
          'use (low, high) with low < high')
  out = config.model.generator.get('output_activation', None)
  expected = {'tanh': (-1.0, 1.0), 'sigmoid': (0.0, 1.0)}.get(out)
  if expected and tuple(config.data.value_range) != expected:
    _fail('data.value_range', tuple(config.data.value_range),
          f'a generator with a {out} output produces {expected}; set '
          f'config.data.value_range={expected}')


def _is_image_name(name: str) -> bool:
  """Whether ``data.name`` is not one of the toy distributions."""
  return name not in toy.TOY


def config_path(name: str) -> str:
  """``configs/<name>.py`` of the repository (or of the working directory)."""
  if name.endswith('.py') and os.path.exists(name):
    return name
  here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  for root in (here, os.getcwd()):
    path = os.path.join(root, 'configs', f'{name}.py')
    if os.path.exists(path):
      return path
  raise errors.ConfigError(f'no config named {name!r}: expected '
                           f'configs/{name}.py in {here} or {os.getcwd()}.')


def get_config(name: str = 'default', **overrides) -> ml_collections.ConfigDict:
  """Loads ``configs/<name>.py`` and applies dotted overrides.

  Example: ``get_config('svhn_wgan', **{'train.steps': 100})`` or
  ``get_config('default', train__steps=100)`` (``__`` stands for ``.``).
  """
  path = config_path(name)
  spec = importlib.util.spec_from_file_location(f'ganjax_config_{name}', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  config = module.get_config()
  for key, value in overrides.items():
    key = key.replace('__', '.')
    node, *_ = key.rsplit('.', 1)
    try:
      parent = config if '.' not in key else _lookup(config, node)
      leaf = key.rsplit('.', 1)[-1]
      if leaf not in parent:
        raise KeyError(leaf)
      parent[leaf] = value
    except (KeyError, AttributeError):
      raise errors.ConfigError(
          f'override {key}={value!r}: config {name!r} has no field {key!r}.'
      ) from None
  return config


def _lookup(config, dotted: str):
  node = config
  for part in dotted.split('.'):
    node = node[part]
  return node
