"""Evaluators: small objects built from ``config.eval``.

Each has a ``name`` and ``evaluate(gan, state, rng_seed) -> dict[str,
float]`` on a host (unreplicated) ``GANState``. ``rng_seed`` picks the
latent vectors, so the same seed evaluates every checkpoint on the same z.

* ``mixture``: ``modes_covered``, ``hq_fraction``, ``reverse_kl`` (2D toy
  mixtures, PacGAN protocol).
* ``gaussian1d``: ``mean``, ``std``, ``ks``, ``w1`` against the 1D target.
* ``classifier``: ``fid``, ``fid_floor``, ``class_coverage``, ``class_kl``,
  ``classifier_accuracy`` (images; a small CNN trained once and cached).
* ``equilibrium``: ``d_real``, ``d_fake``: mean D(x) on held-out real data
  and mean D(G(z)) (probabilities for minimax/ns, critic values for
  wgan_gp).

Definitions: ``docs/EVALUATION.md``.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from typing import Any, Callable

import jax
import ml_collections
import numpy as np
from absl import logging

from ganjax import config_lib, data, errors, families, sampling
from ganjax.evaluation import classifier as classifier_lib
from ganjax.evaluation import metrics

EVALUATORS = ('mixture', 'gaussian1d', 'classifier', 'equilibrium')
# Toy data for ``equilibrium`` is drawn from this offset of ``config.seed``:
# fresh draws that no training batch of the same run (seeded by
# ``[config.seed, step, process]``) repeats.
HELDOUT_SEED_OFFSET = 1_000_003
# Default classifier cache when ``config.eval.cache_dir`` is unset.
CACHE_ENV = 'GANJAX_CACHE_DIR'


def default_cache_dir() -> str:
  return os.environ.get(CACHE_ENV) or os.path.join(
      os.path.expanduser('~'), '.cache', 'ganjax', 'classifiers')


@functools.lru_cache(maxsize=16)
def _discriminate_fn(spec: Any) -> Callable:
  discriminate = families.of(spec).discriminate
  return jax.jit(lambda s, x, y: discriminate(spec, s, x, y))


def discriminator_mean(spec: Any, state: Any, x: np.ndarray,
                       labels: np.ndarray | None,
                       batch_size: int = 500) -> float:
  """Mean D(x) in inference mode: the probability when the loss reads
  logits as probabilities (minimax, ns), the critic value otherwise."""
  if not spec.num_classes:
    labels = None
  state = sampling.on_device(spec, state)
  fn = _discriminate_fn(spec)
  values = sampling.map_batches(
      lambda xx, yy: fn(state, xx, yy), batch_size,
      np.asarray(x, np.float32),
      None if labels is None else np.asarray(labels, np.int32))
  return float(np.mean(values.astype(np.float64)))


def _with_split(config: ml_collections.ConfigDict,
                split: str) -> ml_collections.ConfigDict:
  config = copy.deepcopy(config)
  config.data.split = split
  return config


def _builder_info(config: ml_collections.ConfigDict):
  """The TFDS ``DatasetInfo`` of the config's image dataset, or None."""
  try:
    from ganjax.data import images  # pylint: disable=g-import-not-at-top
    d = config.data
    return images.open_builder(d.name, d.data_dir,
                               d.path).info
  except Exception:  # pylint: disable=broad-except
    return None


def _split_size(config: ml_collections.ConfigDict, split: str) -> int | None:
  """Examples in a TFDS split, when TFDS knows (None under mocks)."""
  try:
    return int(_builder_info(config).splits[split].num_examples) or None
  except Exception:  # pylint: disable=broad-except
    return None


def _num_classes(config: ml_collections.ConfigDict) -> int | None:
  try:
    return int(_builder_info(config).features['label'].num_classes)
  except Exception:  # pylint: disable=broad-except
    return None


class RealData:
  """Real examples for the evaluators, read once and kept.

  * ``heldout(num)``: images: the first ``num`` examples (at most the whole
    split) of ``config.eval.test_split`` shuffled with ``config.eval.seed``;
    toy data: ``num`` fresh draws with seed ``config.seed +
    HELDOUT_SEED_OFFSET``.
  * ``training(num)``: ``num`` examples (at most the whole split) of the
    training split (``config.data.split``) shuffled with ``config.eval.seed
    + 1``.
  """

  def __init__(self, config: ml_collections.ConfigDict):
    self.config = config
    self.is_image = data.is_image(config)
    self._cache: dict[tuple[str, int], dict[str, np.ndarray]] = {}

  def heldout_size(self, num: int) -> int:
    if not self.is_image:
      return num
    size = _split_size(self.config, self.config.eval.test_split)
    return num if size is None else min(num, size)

  def heldout(self, num: int) -> dict[str, np.ndarray]:
    num = self.heldout_size(num)
    key = ('heldout', num)
    if key not in self._cache:
      if self.is_image:
        cfg = _with_split(self.config, self.config.eval.test_split)
        seed = self.config.eval.seed
      else:
        cfg, seed = self.config, self.config.seed + HELDOUT_SEED_OFFSET
      self._cache[key] = data.sample_real(cfg, num, seed=seed)
    return self._cache[key]

  def training(self, num: int) -> dict[str, np.ndarray]:
    if self.is_image:
      size = _split_size(self.config, self.config.data.split)
      num = num if size is None else min(num, size)
    key = ('training', num)
    if key not in self._cache:
      self._cache[key] = data.sample_real(self.config, num,
                                          seed=self.config.eval.seed + 1)
    return self._cache[key]


class Evaluator:
  """Base: ``evaluate(gan, state, rng_seed) -> {metric: float}``."""
  name = ''
  metric_names: tuple[str, ...] = ()

  def __init__(self, config: ml_collections.ConfigDict):
    self.config = config
    self.seed = int(config.eval.seed)
    self.num_samples = int(config.eval.num_samples)
    self.batch_size = int(config.eval.batch_size)

  def samples(self, gan: Any, state: Any, rng_seed: int) -> np.ndarray:
    return sampling.generate(gan, state, self.num_samples, rng_seed,
                             self.batch_size)

  def evaluate(self, gan: Any, state: Any,
               rng_seed: int) -> dict[str, float]:
    raise NotImplementedError

  def __repr__(self):
    return f'{type(self).__name__}(num_samples={self.num_samples})'


class MixtureEvaluator(Evaluator):
  """PacGAN metrics of ``num_samples`` samples against the toy mixture."""
  name = 'mixture'
  metric_names = ('modes_covered', 'hq_fraction', 'reverse_kl')

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    self.dist = data.toy_distribution(config)
    self.threshold = float(config.eval.hq_threshold)

  def evaluate(self, gan, state, rng_seed):
    x = self.samples(gan, state, rng_seed)
    return metrics.mixture_metrics(x, self.dist.means, self.dist.std,
                                   self.threshold)


class Gaussian1DEvaluator(Evaluator):
  """``mean``, ``std``, ``ks``, ``w1`` of 1D samples against the target."""
  name = 'gaussian1d'
  metric_names = ('mean', 'std', 'ks', 'w1')

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    dist = data.toy_distribution(config)
    self.mean, self.std = float(dist.means[0, 0]), float(dist.std)

  def evaluate(self, gan, state, rng_seed):
    return metrics.normal_metrics(self.samples(gan, state, rng_seed),
                                  self.mean, self.std)


class ClassifierEvaluator(Evaluator):
  """FID and class statistics in the feature space of a small CNN.

  ``prepare()`` (called by the first ``evaluate``) loads the classifier from
  the cache or trains it on the training split, reads the held-out test
  split (reference features, class histogram, accuracy) and computes
  ``fid_floor`` on ``num_samples`` real training images.
  """
  name = 'classifier'
  metric_names = ('fid', 'fid_floor', 'class_coverage', 'class_kl',
                  'classifier_accuracy')

  def __init__(self, config: ml_collections.ConfigDict,
               real: RealData | None = None):
    super().__init__(config)
    self.real = real or RealData(config)
    e = config.eval
    self.cache_dir = e.cache_dir or default_cache_dir()
    self.steps = int(e.classifier_steps)
    self.classifier_batch_size = int(e.classifier_batch_size)
    self.learning_rate = float(e.classifier_learning_rate)
    self.num_real = int(e.num_real)
    self.shape = data.data_shape(config)
    self.model = self.params = None
    self.trained_now = False
    self._check_test_split()

  def _check_test_split(self) -> None:
    """The held-out split must exist: said now, not at the first
    evaluation (an image folder often has only ``train``)."""
    info = _builder_info(self.config)
    splits = sorted(info.splits.keys()) if info is not None else []
    split = self.config.eval.test_split
    if splits and split not in splits:
      raise errors.ConfigError(
          f'config.eval.test_split={split!r} is not a split of '
          f'{self.config.data.name!r} (it has {splits}): set '
          '--config.eval.test_split to one of them, or choose other '
          'evaluators, e.g. --config.eval.evaluators=equilibrium.')

  @property
  def cache_path(self) -> str:
    d = self.config.data
    key = classifier_lib.cache_key(
        d.name, d.split, self.shape,
        tuple(d.value_range), self.steps, self.classifier_batch_size,
        self.learning_rate, self.seed)
    return os.path.join(self.cache_dir, key + '.msgpack')

  def _train(self, num_classes: int | None, test: dict[str, np.ndarray]):
    if num_classes is None:
      first = self.real.training(self.num_samples)
      num_classes = int(max(first['label'].max(), test['label'].max())) + 1
    if num_classes < 2:
      raise errors.DataError(
          f'the classifier evaluator needs labelled images of at least two '
          f'classes; {self.config.data.name!r} has {num_classes}. Set '
          "config.eval.evaluators='equilibrium'.")
    logging.info('Training the evaluation classifier for %s (%d steps); '
                 'it will be cached in %s.', self.config.data.name,
                 self.steps, self.cache_path)
    stream = data.make_stream(self.config,
                              batch_shape=(self.classifier_batch_size,),
                              seed=self.seed)
    batches = ((b['x'], b['label']) for b in stream)
    model, params = classifier_lib.train_classifier(
        batches, num_classes, self.steps, self.learning_rate, self.seed)
    acc = classifier_lib.accuracy(model, params, test['x'], test['label'],
                                  self.batch_size)
    classifier_lib.save(self.cache_path, params, num_classes, {
        'dataset': self.config.data.name, 'shape': list(self.shape),
        'test_split': self.config.eval.test_split,
        'test_examples': int(len(test['x'])), 'test_accuracy': acc})
    self.trained_now = True
    return model, params

  def prepare(self) -> None:
    if self.params is not None:
      return
    test = self.real.heldout(self.num_real)
    if os.path.exists(self.cache_path):
      self.model, self.params, _ = classifier_lib.load(self.cache_path)
      logging.info('Loaded the evaluation classifier from %s.',
                   self.cache_path)
    else:
      self.model, self.params = self._train(_num_classes(self.config), test)
    logits, features = classifier_lib.predict(self.model, self.params,
                                              test['x'], self.batch_size)
    self.accuracy = float(np.mean(np.argmax(logits, -1) == test['label']))
    self.mu, self.sigma = metrics.gaussian_stats(features)
    self.data_histogram = metrics.class_histogram(test['label'],
                                                  self.model.num_classes)
    train = self.real.training(self.num_samples)
    _, train_features = classifier_lib.predict(self.model, self.params,
                                               train['x'], self.batch_size)
    self.fid_floor = metrics.frechet_distance(
        *metrics.gaussian_stats(train_features), self.mu, self.sigma)
    logging.info('Evaluation classifier: test accuracy %.4f on %d images, '
                 'fid_floor %.4f.', self.accuracy, len(test['x']),
                 self.fid_floor)

  def evaluate(self, gan, state, rng_seed):
    self.prepare()
    x = self.samples(gan, state, rng_seed)
    logits, features = classifier_lib.predict(self.model, self.params, x,
                                              self.batch_size)
    fid = metrics.frechet_distance(*metrics.gaussian_stats(features),
                                   self.mu, self.sigma)
    predicted = np.argmax(logits, -1)
    if not np.all(np.isfinite(logits)):
      predicted = predicted[np.all(np.isfinite(logits), -1)]
    return {'fid': fid, 'fid_floor': self.fid_floor,
            **metrics.class_metrics(predicted, self.data_histogram),
            'classifier_accuracy': self.accuracy}


class EquilibriumEvaluator(Evaluator):
  """``d_real``: mean D(x) over held-out real data (the test split for
  images, fresh draws for toy data); ``d_fake``: mean D(G(z)) over
  ``num_samples`` samples."""
  name = 'equilibrium'
  metric_names = ('d_real', 'd_fake')

  def __init__(self, config: ml_collections.ConfigDict,
               real: RealData | None = None):
    super().__init__(config)
    self.real = real or RealData(config)

  def evaluate(self, gan, state, rng_seed):
    real = self.real.heldout(self.num_samples)
    fake = self.samples(gan, state, rng_seed)
    return {
        'd_real': discriminator_mean(gan, state, real['x'], real['label'],
                                     self.batch_size),
        'd_fake': discriminator_mean(gan, state, fake,
                                     sampling.cycling_labels(
                                         gan.num_classes, len(fake)),
                                     self.batch_size)}


def _has_discriminator(config: ml_collections.ConfigDict) -> bool:
  return families.get(config.family).discriminate is not None


def auto_evaluators(config: ml_collections.ConfigDict) -> list[str]:
  """The evaluators that suit the data: images -> classifier; 1D toy ->
  gaussian1d; 2D mixtures -> mixture; and equilibrium when the family has
  a discriminator."""
  if data.is_image(config):
    names = ['classifier']
  elif data.toy_distribution(config).dim == 1:
    names = ['gaussian1d']
  else:
    names = ['mixture']
  return names + (['equilibrium'] if _has_discriminator(config) else [])


def evaluator_names(config: ml_collections.ConfigDict) -> list[str]:
  """``config.eval.evaluators`` as a list: 'auto', a comma-separated string
  or a list of names; '' or 'none' for no evaluators."""
  value = config.eval.evaluators
  if isinstance(value, str):
    names = [v.strip() for v in value.split(',') if v.strip()]
  else:
    names = [str(v).strip() for v in value]
  if names == ['auto']:
    return auto_evaluators(config)
  if names in ([], ['none']):
    return []
  return names


def _fail(field: str, value, allowed: str) -> None:
  raise errors.ConfigError(f'config.eval.{field}={value!r} is not allowed: '
                           f'{allowed}.')


def validate(config: ml_collections.ConfigDict) -> None:
  """Raises ``ConfigError`` naming the first bad ``config.eval`` field."""
  e = config.eval
  for field, low in (('every', 0), ('num_samples', 2), ('num_real', 2),
                     ('batch_size', 1), ('classifier_steps', 1),
                     ('classifier_batch_size', 1)):
    value = e[field]
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
      _fail(field, value, f'use an integer >= {low}')
  if not e.hq_threshold > 0:
    _fail('hq_threshold', e.hq_threshold, 'use a positive value')
  if not e.classifier_learning_rate > 0:
    _fail('classifier_learning_rate', e.classifier_learning_rate,
          'use a positive value')
  names = evaluator_names(config)
  is_image = data.is_image(config)
  dim = None if is_image else data.toy_distribution(config).dim
  for name in names:
    if name not in EVALUATORS:
      _fail('evaluators', e.evaluators,
            f'{name!r} is not an evaluator; use "auto", "none" or a '
            f'comma-separated list of {list(EVALUATORS)}')
    suits = {'mixture': not is_image and dim and dim >= 2,
             'gaussian1d': dim == 1,
             'classifier': is_image,
             'equilibrium': _has_discriminator(config)}[name]
    if not suits:
      _fail('evaluators', e.evaluators,
            f'{name!r} does not apply to data {config.data.name!r} and '
            f'family {config.family!r}; '
            f'"auto" picks {auto_evaluators(config)}')


def build_evaluators(config: ml_collections.ConfigDict,
                     workdir: str | None = None) -> list[Evaluator]:
  """The evaluators ``config.eval.evaluators`` names, validated now.

  ``workdir`` is accepted for evaluators that keep files next to the run;
  the classifier cache lives in ``config.eval.cache_dir`` (default
  ``$GANJAX_CACHE_DIR`` or ``~/.cache/ganjax/classifiers``) so that it is
  trained once per dataset, not once per run.
  """
  del workdir  # No evaluator keeps per-run files yet.
  config_lib.check_complete(config)
  validate(config)
  real = RealData(config)
  built = []
  for name in evaluator_names(config):
    if name == 'mixture':
      built.append(MixtureEvaluator(config))
    elif name == 'gaussian1d':
      built.append(Gaussian1DEvaluator(config))
    elif name == 'classifier':
      built.append(ClassifierEvaluator(config, real))
    elif name == 'equilibrium':
      built.append(EquilibriumEvaluator(config, real))
  return built


METRICS_FILE = 'metrics.jsonl'


def _json_value(value: float) -> float | None:
  """Strict JSON has no NaN or Infinity: non-finite values become null."""
  value = float(value)
  return value if np.isfinite(value) else None


def run_evaluators(evaluators: list[Evaluator], gan: Any, state: Any,
                   step: int, workdir: str | None, writer: Any = None,
                   seed: int | None = None) -> dict[str, float]:
  """Runs every evaluator on the host ``state`` and records the result.

  Appends one JSON object ``{"step": step, metric: value, ...}`` to
  ``workdir/metrics.jsonl`` (non-finite values as null; process 0 only, and
  only when ``workdir`` is given) and writes the scalars to ``writer`` (a
  clu metric writer) under ``eval/<metric>``, apart from the training
  scalars of the same name (``d_real``, ``d_fake``).

  Args:
    evaluators: from ``build_evaluators``.
    gan: the static spec.
    state: a host (unreplicated) ``GANState``.
    step: the training step the state is at.
    workdir: the run's directory, or None to write no file.
    writer: optional ``clu.metric_writers`` writer.
    seed: the latent seed of every evaluator (default: each one's
      ``config.eval.seed``, the same z at every evaluation).

  Returns:
    ``{'step': step, **metrics}`` (floats, non-finite ones kept).
  """
  step = int(step)
  results: dict[str, float] = {}
  for ev in evaluators:
    out = ev.evaluate(gan, state, ev.seed if seed is None else seed)
    results.update({k: float(v) for k, v in out.items()})
  record = {'step': step, **results}
  if workdir is not None and jax.process_index() == 0:
    os.makedirs(workdir, exist_ok=True)
    line = json.dumps({'step': step, **{k: _json_value(v)
                                        for k, v in results.items()}},
                      allow_nan=False)
    with open(os.path.join(workdir, METRICS_FILE), 'a') as f:
      f.write(line + '\n')
  if writer is not None and results:
    writer.write_scalars(step, {f'eval/{k}': v for k, v in results.items()})
    writer.flush()
  return record


def read_metrics(workdir: str) -> list[dict[str, Any]]:
  """The records of ``workdir/metrics.jsonl``, oldest first."""
  path = os.path.join(workdir, METRICS_FILE)
  if not os.path.exists(path):
    return []
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]
