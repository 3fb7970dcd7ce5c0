"""Tests of ganjax.evaluate: metrics on known inputs, the classifier, the
evaluators, metrics.jsonl, the plots and the workdir tools."""

from __future__ import annotations

import json
import logging
import math
import os

import jax
import matplotlib.pyplot as plt
import ml_collections
import numpy as np
import pytest
from scipy import linalg, stats

import ganjax
from ganjax import config_lib, data, errors, visualize
from ganjax import loop as train_lib
from ganjax import evaluation as evaluate
from ganjax.evaluation import classifier as classifier_lib
from ganjax.evaluation import metrics

GRID25 = data.toy.TOY['grid25']


# --------------------------------------------------------------- mixtures


def test_samples_at_every_mode_cover_all_25():
  samples = np.repeat(GRID25.means, 100, axis=0)
  m = metrics.mixture_metrics(samples, GRID25.means, GRID25.std)
  assert m == {'modes_covered': 25.0, 'hq_fraction': 1.0, 'reverse_kl': 0.0}


def test_samples_at_one_mode_cover_one():
  samples = np.tile(GRID25.means[7], (2500, 1))
  m = metrics.mixture_metrics(samples, GRID25.means, GRID25.std)
  assert m['modes_covered'] == 1
  assert m['hq_fraction'] == 1
  assert m['reverse_kl'] == pytest.approx(math.log(25), abs=1e-12)


def test_mixture_threshold_partial_and_no_high_quality_samples():
  means = GRID25.means
  # Half the samples at 2.9 std from mode 0 (HQ), half at 3.1 std (not).
  near = means[0] + np.array([2.9 * GRID25.std, 0.0])
  far = means[3] + np.array([0.0, 3.1 * GRID25.std])
  m = metrics.mixture_metrics(np.stack([near, far]), means, GRID25.std)
  assert m == {'modes_covered': 1.0, 'hq_fraction': 0.5,
               'reverse_kl': pytest.approx(math.log(25))}
  # Two modes with 3:1 HQ counts: KL(p || U) = sum p log(25 p).
  x = np.concatenate([np.tile(means[0], (3, 1)), means[1:2],
                      np.full((4, 2), np.nan), np.full((4, 2), 1.0)])
  m = metrics.mixture_metrics(x, means, GRID25.std)
  p = np.array([0.75, 0.25])
  assert m['modes_covered'] == 2
  assert m['hq_fraction'] == pytest.approx(4 / 12)
  assert m['reverse_kl'] == pytest.approx(np.sum(p * np.log(25 * p)))
  # No HQ sample at all: reverse_kl is defined as log K.
  m = metrics.mixture_metrics(np.full((10, 2), 1.0), means, GRID25.std)
  assert m == {'modes_covered': 0.0, 'hq_fraction': 0.0,
               'reverse_kl': pytest.approx(math.log(25))}


def test_nearest_mode_uses_each_modes_own_std():
  means = np.array([[0.0, 0.0], [10.0, 0.0]])
  x = np.array([[4.0, 0.0], [7.0, 0.0]])
  index, dist = metrics.nearest_mode(x, means, np.array([1.0, 2.0]))
  np.testing.assert_array_equal(index, [0, 1])
  np.testing.assert_allclose(dist, [4.0, 1.5])


# --------------------------------------------------------------------- 1D


@pytest.mark.parametrize('loc,scale,n', [(4.0, 1.25, 2500), (3.0, 2.0, 500),
                                         (4.2, 0.5, 37)])
def test_ks_matches_scipy(loc, scale, n):
  x = np.random.default_rng(n).normal(loc, scale, n)
  expected = stats.kstest(x, 'norm', args=(4.0, 1.25)).statistic
  assert metrics.normal_ks(x, 4.0, 1.25) == pytest.approx(expected, abs=1e-14)


def _w1_by_cdf(x, mean, std):
  """Independent exact W1 = int |F_n(t) - F(t)| dt via the antiderivative
  of the normal CDF, A(t) = std (z Phi(z) + phi(z))."""
  x = np.sort(x)
  n = len(x)
  z = lambda t: (t - mean) / std
  a = lambda t: std * (z(t) * stats.norm.cdf(z(t)) + stats.norm.pdf(z(t)))
  cdf = lambda t: stats.norm.cdf(z(t))
  total = a(x[0])  # int_{-inf}^{x_1} F
  total += std * (stats.norm.pdf(z(x[-1])) - z(x[-1]) * stats.norm.sf(
      z(x[-1])))  # int_{x_n}^{inf} (1 - F)
  for i in range(n - 1):
    lo, hi, c = x[i], x[i + 1], (i + 1) / n
    t = np.clip(mean + std * stats.norm.ppf(c), lo, hi)
    total += c * (t - lo) - (a(t) - a(lo)) + (a(hi) - a(t)) - c * (hi - t)
  return total


@pytest.mark.parametrize('loc,scale,n', [(4.0, 1.25, 2500), (2.5, 0.7, 800),
                                         (6.0, 3.0, 50)])
def test_w1_exact_and_matches_scipy(loc, scale, n):
  x = np.random.default_rng(n).normal(loc, scale, n)
  w1 = metrics.normal_w1(x, 4.0, 1.25)
  assert w1 == pytest.approx(_w1_by_cdf(x, 4.0, 1.25), rel=1e-9)
  # scipy against a large, deterministic reference sample of N(4, 1.25).
  m = 400_000
  reference = stats.norm.ppf((np.arange(m) + 0.5) / m, 4.0, 1.25)
  assert w1 == pytest.approx(stats.wasserstein_distance(x, reference),
                             abs=2e-4)


def test_1d_known_values():
  # All samples at the mean: W1 = E|X - 4| = 1.25 sqrt(2 / pi), KS = 1/2.
  m = metrics.normal_metrics(np.full(1000, 4.0), 4.0, 1.25)
  assert m['mean'] == 4.0 and m['std'] == 0.0
  assert m['ks'] == pytest.approx(0.5)
  assert m['w1'] == pytest.approx(1.25 * math.sqrt(2 / math.pi), rel=1e-12)
  # Exact quantiles of the target: W1 and KS near 0.
  n = 10_000
  x = stats.norm.ppf((np.arange(n) + 0.5) / n, 4.0, 1.25)
  m = metrics.normal_metrics(x, 4.0, 1.25)
  assert m['ks'] == pytest.approx(0.5 / n, abs=1e-12)
  assert m['w1'] < 1e-3
  assert m['mean'] == pytest.approx(4.0, abs=1e-9)
  assert m['std'] == pytest.approx(np.std(x))
  assert all(math.isnan(v) for v in
             metrics.normal_metrics(np.array([1.0, np.nan]), 4, 1).values())


# ---------------------------------------------------------------- Frechet


def test_frechet_of_a_set_to_itself_is_zero():
  rng = np.random.default_rng(0)
  f = rng.normal(size=(2000, 64)) @ rng.normal(size=(64, 64))
  mu, sigma = metrics.gaussian_stats(f)
  assert metrics.features_frechet_distance(f, f) <= 1e-6 * np.trace(sigma)
  # Rank-deficient covariance (fewer samples than dimensions) too.
  g = rng.normal(size=(20, 64))
  assert metrics.features_frechet_distance(g, g) <= 1e-6 * np.trace(
      metrics.gaussian_stats(g)[1])


def test_frechet_diagonal_closed_form():
  mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, -1.0, 2.5])
  d1, d2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
  expected = (np.sum((mu1 - mu2)**2) +
              np.sum(d1 + d2 - 2 * np.sqrt(d1 * d2)))
  got = metrics.frechet_distance(mu1, np.diag(d1), mu2, np.diag(d2))
  assert got == pytest.approx(expected, rel=1e-12)  # 5.25 + 4.0


def test_frechet_general_matches_scipy_sqrtm_and_samples():
  rng = np.random.default_rng(1)
  a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
  s1, s2 = a @ a.T, b @ b.T
  mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
  covmean = linalg.sqrtm(s1 @ s2).real
  expected = (np.sum((mu1 - mu2)**2) + np.trace(s1) + np.trace(s2) -
              2 * np.trace(covmean))
  assert metrics.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(
      expected, rel=1e-9)
  # Fitted to samples of two Gaussians: close to the closed form.
  x = rng.multivariate_normal(mu1, s1, size=200_000)
  y = rng.multivariate_normal(mu2, s2, size=200_000)
  assert metrics.features_frechet_distance(x, y) == pytest.approx(
      expected, rel=0.02)
  assert math.isnan(metrics.frechet_distance(mu1 * np.nan, s1, mu2, s2))


def test_class_metrics_and_kl():
  uniform = np.full(10, 0.1)
  assert metrics.class_metrics(np.arange(100) % 10, uniform) == {
      'class_coverage': 10.0, 'class_kl': pytest.approx(0.0, abs=1e-15)}
  m = metrics.class_metrics(np.full(50, 3), uniform)
  assert m['class_coverage'] == 1 and m['class_kl'] == pytest.approx(
      math.log(10))
  p, q = np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.25, 0.5])
  assert metrics.kl_divergence(p, q) == pytest.approx(math.log(2))
  assert metrics.kl_divergence(q, p) == math.inf


# ------------------------------------------------------------- classifier


def _digits():
  from sklearn.datasets import load_digits  # pylint: disable=g-import-not-at-top
  d = load_digits()
  images = (d.images[..., None] / 16.0 * 2.0 - 1.0).astype(np.float32)
  return images, d.target.astype(np.int32)


@pytest.mark.usefixtures('optimised_classifier')
def test_classifier_learns_digits_deterministically_and_caches(tmp_path):
  images, labels = _digits()
  train_x, train_y, test_x, test_y = (images[:1400], labels[:1400],
                                      images[1400:], labels[1400:])

  def fit():
    return classifier_lib.train_classifier(
        classifier_lib.array_batches(train_x, train_y, 64, seed=0),
        num_classes=10, steps=150, learning_rate=3e-3, seed=0)

  model, params = fit()
  acc = classifier_lib.accuracy(model, params, test_x, test_y)
  assert acc > 0.9
  _, again = fit()
  for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(again)):
    np.testing.assert_array_equal(a, b)
  path = os.path.join(tmp_path, 'c.msgpack')
  classifier_lib.save(path, params, 10, {'test_accuracy': acc})
  loaded_model, loaded, meta = classifier_lib.load(path)
  assert meta['test_accuracy'] == acc and loaded_model.num_classes == 10
  with open(path, 'rb') as f:
    assert not f.read(2).startswith(b'\x80')  # not a pickle
  np.testing.assert_array_equal(
      classifier_lib.predict(model, params, test_x)[1],
      classifier_lib.predict(loaded_model, loaded, test_x)[1])


@pytest.mark.parametrize('shape', [(8, 8, 1), (28, 28, 1), (32, 32, 3)])
def test_classifier_takes_any_image_shape(shape):
  model = classifier_lib.Classifier(10)
  x = np.zeros((3,) + shape, np.float32)
  # Shapes only: zeros in the shapes init would give (traced, not run).
  params = jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), jax.eval_shape(
      model.init, jax.random.PRNGKey(0), x)['params'])
  logits, features = classifier_lib.predict(model, params, x, batch_size=2)
  assert logits.shape == (3, 10) and features.shape == (3, 128)


def _mock_mnist_from_digits(self, split, decoders=None, read_config=None,
                            **kwargs):
  """A TFDS mock of 'mnist' that serves sklearn's 8x8 digits, upscaled to
  28x28: train = the first 1297, test = the last 500."""
  del self, decoders, read_config, kwargs
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  images, labels = _digits()
  images = np.repeat(np.repeat((images + 1) / 2 * 255, 3, 1), 3, 2)
  images = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
  images = images.round().astype(np.uint8)
  name = str(getattr(split, 'split', split))
  part = slice(1297, None) if 'test' in name else slice(0, 1297)
  return tf.data.Dataset.from_tensor_slices(
      {'image': images[part], 'label': labels[part].astype(np.int64)})


@pytest.fixture
def mock_mnist():
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  with tfds.testing.mock_data(as_dataset_fn=_mock_mnist_from_digits):
    yield


def _image_config(name, tmp_path):
  """8x8 images with small MLPs (the evaluators only see samples, so the
  GAN can be any model): ``digits`` (offline, prepared in ``tmp_path``) or
  mocked MNIST serving the digits, resized from 28x28."""
  config = config_lib.base_config()
  config.data.name = name
  config.data.data_dir = str(tmp_path / 'tfds')
  config.data.image_size = 8
  config.data.channels = 1
  config.model.latent_dim = 8
  config.model.generator = ml_collections.ConfigDict(
      dict(name='mlp', hidden=(32,), output_activation='tanh'))
  config.model.discriminator = ml_collections.ConfigDict(
      dict(name='mlp', hidden=(32,)))
  config.eval.num_samples = 300
  config.eval.classifier.num_real = 400
  config.eval.classifier.steps = 200
  config.eval.classifier.batch_size = 64
  config.eval.classifier.learning_rate = 3e-3
  config.eval.classifier.cache_dir = str(tmp_path / 'cache')
  config.eval.kid_subsets = 10  # (100 by default; each subset costs.)
  return config


@pytest.mark.parametrize('dataset', ['digits', 'mnist'])
@pytest.mark.usefixtures('optimised_classifier')
def test_image_evaluators_train_cache_and_score(dataset, tmp_path, request,
                                                caplog, capfd):
  if dataset == 'mnist':
    request.getfixturevalue('mock_mnist')
  config = _image_config(dataset, tmp_path)
  evaluators = evaluate.build_evaluators(config, str(tmp_path))
  assert [e.name for e in evaluators] == ['classifier', 'equilibrium']
  gan, state = train_lib.build(config)
  with caplog.at_level(logging.INFO):
    record = evaluate.run_evaluators(evaluators, gan, state, 0,
                                     str(tmp_path))
  # The wait is visible: a progress bar, then the time and the cache.
  assert f'evaluation classifier ({dataset})' in capfd.readouterr().err
  done = [r.getMessage() for r in caplog.records
          if 'Trained the evaluation classifier in' in r.getMessage()]
  assert len(done) == 1 and evaluators[0].cache_path in done[0]
  assert set(record) == {'step', *evaluate.ClassifierEvaluator.metric_names,
                         'd_real', 'd_fake'}
  assert {'fid', 'fid_floor', 'kid', 'kid_std', 'kid_floor', 'precision',
          'recall', 'density', 'coverage', 'coverage_floor',
          'class_coverage', 'class_kl', 'classifier_accuracy'} < set(record)
  assert evaluators[0].trained_now
  assert record['classifier_accuracy'] > 0.85
  # An untrained generator is far from the data; real images are near.
  assert 0 <= record['fid_floor'] < record['fid'] / 5
  assert record['kid_floor'] < record['kid'] / 5
  assert record['precision_floor'] > 0.8 and record['recall_floor'] > 0.8
  assert record['coverage'] < record['coverage_floor']
  assert 1 <= record['class_coverage'] <= 10
  assert record['class_kl'] >= 0
  assert 0 < record['d_real'] < 1 and 0 < record['d_fake'] < 1
  # The reference is the test split (all 360 digits: num_real is capped at
  # the split's size where TFDS knows it); its histogram is of true labels.
  test = evaluators[0].real.heldout(config.eval.classifier.num_real)
  if dataset == 'digits':
    assert len(test['x']) == 360
  np.testing.assert_allclose(evaluators[0].data_histogram,
                             np.bincount(test['label'], minlength=10) /
                             len(test['label']))
  cached = sorted(os.listdir(tmp_path / 'cache'))
  name = os.path.basename(evaluators[0].cache_path)
  assert cached == [name, name + '.json'] and name.startswith(dataset)
  # A fresh evaluator loads the cached classifier: same numbers, no training.
  again = evaluate.build_evaluators(config, str(tmp_path))
  second = evaluate.run_evaluators(again, gan, state, 0, None)
  assert not again[0].trained_now
  assert second == pytest.approx(record, rel=1e-6)


# ------------------------------------------------------------ evaluators


def _toy_config(name='ring8', loss='ns'):
  config = config_lib.get_config('default')
  config.data.name = name
  config.loss.name = loss
  config.eval.num_samples = 500
  return config


def _constant_generator(state, value):
  """G(z) = value for every z: the last Dense of the MLP outputs its bias."""
  params = jax.tree.map(np.asarray, dict(state.g_params))
  last = max(params, key=lambda k: int(k.rsplit('_', 1)[-1]))
  params[last] = {'kernel': np.zeros_like(params[last]['kernel']),
                  'bias': np.asarray(value, np.float32)}
  return state.replace(g_params=params)


def _constant_discriminator(state, logit):
  params = jax.tree.map(np.asarray, dict(state.d_params))
  last = max(params, key=lambda k: int(k.rsplit('_', 1)[-1]))
  params[last] = {'kernel': np.zeros_like(params[last]['kernel']),
                  'bias': np.full_like(params[last]['bias'], logit)}
  return state.replace(d_params=params)


def test_mixture_evaluator_on_a_collapsed_generator():
  config = _toy_config('grid25')
  evaluators = evaluate.build_evaluators(config, None)
  assert [e.name for e in evaluators] == ['mixture', 'equilibrium']
  gan, state = train_lib.build(config)
  state = _constant_generator(state, GRID25.means[12])
  m = evaluators[0].evaluate(gan, state, 0)
  assert m == {'modes_covered': 1.0, 'hq_fraction': 1.0,
               'reverse_kl': pytest.approx(math.log(25))}


def test_gaussian1d_evaluator_on_a_constant_generator():
  config = _toy_config('gaussian1d')
  config.model.latent_dim = 4
  evaluators = evaluate.build_evaluators(config, None)
  assert [e.name for e in evaluators] == ['gaussian1d', 'equilibrium']
  gan, state = train_lib.build(config)
  m = evaluators[0].evaluate(gan, _constant_generator(state, [4.0]), 0)
  assert m['mean'] == pytest.approx(4.0) and m['std'] == pytest.approx(0.0)
  assert m['ks'] == pytest.approx(0.5)
  assert m['w1'] == pytest.approx(1.25 * math.sqrt(2 / math.pi), rel=1e-6)


@pytest.mark.parametrize('loss,expected', [('ns', 1 / (1 + math.exp(-0.7))),
                                           ('wgan_gp', 0.7)])
def test_equilibrium_reads_probabilities_or_critic_values(loss, expected):
  config = _toy_config('ring8', loss)
  config.eval.evaluators = 'equilibrium'
  (ev,) = evaluate.build_evaluators(config, None)
  gan, state = train_lib.build(config)
  m = ev.evaluate(gan, _constant_discriminator(state, 0.7), 3)
  assert m == {'d_real': pytest.approx(expected),
               'd_fake': pytest.approx(expected)}
  # A real D: its mean on held-out data, computed by hand.
  real = data.sample_real(config, config.eval.num_samples,
                          seed=config.seed + evaluate.real_data.
                          HELDOUT_SEED_OFFSET)['x']
  logits = gan.discriminator.apply({'params': state.d_params}, real,
                                   train=False)
  readout = jax.nn.sigmoid(logits) if loss == 'ns' else logits
  assert ev.evaluate(gan, state, 3)['d_real'] == pytest.approx(
      float(np.mean(readout)), rel=1e-5)


def test_run_evaluators_appends_jsonl_and_writes_scalars(tmp_path):
  config = _toy_config('ring8')
  evaluators = evaluate.build_evaluators(config, str(tmp_path))
  gan, state = train_lib.build(config)

  class Writer:
    def __init__(self):
      self.calls = []

    def write_scalars(self, step, scalars):
      self.calls.append((step, dict(scalars)))

    def flush(self):
      pass

  writer = Writer()
  first = evaluate.run_evaluators(evaluators, gan, state, 10, str(tmp_path),
                                  writer)
  second = evaluate.run_evaluators(evaluators, gan, state, 20, str(tmp_path))
  assert {k: v for k, v in first.items() if k != 'step'} == {
      k: v for k, v in second.items() if k != 'step'}  # same z each time
  with open(tmp_path / 'metrics.jsonl') as f:
    lines = [json.loads(line) for line in f]
  assert [line['step'] for line in lines] == [10, 20]
  assert set(lines[0]) == {'step', 'modes_covered', 'hq_fraction',
                           'reverse_kl', 'd_real', 'd_fake'}
  assert lines[0] == pytest.approx(first)
  assert evaluate.read_metrics(str(tmp_path)) == lines
  assert writer.calls == [(10, {f'eval/{k}': v for k, v in first.items()
                                if k != 'step'})]


def test_eval_config_is_checked():
  config = _toy_config('ring8')
  config.eval.evaluators = 'mixture, classifier'
  with pytest.raises(errors.ConfigError, match='classifier'):
    evaluate.build_evaluators(config, None)
  config.eval.evaluators = 'fid'
  with pytest.raises(errors.ConfigError, match="'fid' is not an evaluator"):
    evaluate.build_evaluators(config, None)
  config.eval.evaluators = 'none'
  assert evaluate.build_evaluators(config, None) == []
  config.eval.evaluators = 'auto'
  # A config without the eval section is refused in one line (defaults
  # live in base_config() alone; old config.json files are filled in by
  # load_config, test_load_config_fills_fields_added_later).
  older = ml_collections.ConfigDict(
      {k: v for k, v in config.to_dict().items() if k != 'eval'})
  with pytest.raises(errors.ConfigError, match='the config has no eval'):
    evaluate.build_evaluators(older, None)
  config.eval.num_samples = 1
  with pytest.raises(errors.ConfigError, match='eval.num_samples=1'):
    evaluate.build_evaluators(config, None)
  config.eval.num_samples = 500
  # A config.json or a plain dict can hold any type (a ConfigDict refuses a
  # str for the bool field itself).
  fields = config.to_dict()
  fields['eval']['at_end'] = 'no'
  config = ml_collections.ConfigDict(fields)
  with pytest.raises(errors.ConfigError,
                     match=r"^config.eval.at_end='no' is not allowed: use "
                     'True .* or False.$'):
    evaluate.build_evaluators(config, None)


# ------------------------------------------------------------------ plots


def _png_size(path):
  image = plt.imread(path)
  assert image.ndim == 3 and image.size
  return image.shape[:2]


def test_every_plot_is_a_readable_png_of_the_expected_size(tmp_path):
  rng = np.random.default_rng(0)
  images = rng.uniform(-1, 1, size=(10, 8, 8, 1))
  grid = visualize.image_grid(images, (-1, 1))
  visualize.save_image(str(tmp_path / 'grid.png'), grid)
  assert _png_size(tmp_path / 'grid.png') == (3 * 9 + 1, 4 * 9 + 1)
  # Pictures enlarge small images (x4 for 8x8: 32-pixel cells, one-pixel
  # borders), nearest neighbour: each pixel a block of its own value.
  big = visualize.readable_grid(images, (-1, 1))
  assert big.shape == (3 * 33 + 1, 4 * 33 + 1, 1)
  np.testing.assert_array_equal(big[1:33, 1:33], np.kron(
      grid[1:9, 1:9, 0], np.ones((4, 4), np.uint8))[..., None])
  assert (big[0] == 255).all() and (big[:, 33] == 255).all()
  assert visualize.readable_grid(rng.uniform(size=(4, 28, 28, 3)),
                                 (0, 1)).shape == (2 * 29 + 1,) * 2 + (3,)
  assert visualize.readable_grid(rng.uniform(size=(6, 16, 16, 1)), (0, 1),
                                 num_classes=3).shape == (3 * 33 + 1,
                                                          2 * 33 + 1, 1)
  rgb = visualize.class_grid(rng.uniform(0, 1, (6, 5, 4, 3)), 3, (0, 1))
  visualize.save_image(str(tmp_path / 'class.png'), rgb)
  assert _png_size(tmp_path / 'class.png') == (3 * 6 + 1, 2 * 5 + 1)
  visualize.scatter_2d(str(tmp_path / 's.png'), rng.normal(size=(100, 2)),
                       GRID25.means, 'scatter')
  assert _png_size(tmp_path / 's.png') == (500, 500)
  visualize.scatter_2d_by_class(str(tmp_path / 'sc.png'),
                                rng.normal(size=(100, 2)),
                                np.arange(100) % 8, data.toy.TOY['ring8'].means)
  assert _png_size(tmp_path / 'sc.png') == (500, 500)
  visualize.histogram_1d(str(tmp_path / 'h.png'), rng.normal(4, 1.25, 500),
                         4.0, 1.25, 'hist')
  assert _png_size(tmp_path / 'h.png') == (400, 600)
  history = [(s, {'d_loss': 1.0 / s, 'g_loss': math.log(s)})
             for s in range(100, 1001, 100)]
  visualize.loss_curves(str(tmp_path / 'loss.png'), history)
  assert _png_size(tmp_path / 'loss.png') == (400, 800)
  records = [{'step': s, 'fid': 10.0 / s, 'class_kl': None}
             for s in (1, 2, 3)]
  for keys, size in ((['fid'], (300, 400)),
                     (['fid', 'class_kl', 'fid', 'fid'], (600, 1200))):
    visualize.metric_curves(str(tmp_path / 'm.png'), records, keys, 'eval')
    assert _png_size(tmp_path / 'm.png') == size


def test_loss_curve_series_reads_pairs_and_records():
  history = [(200, {'d_loss': 2.0}), {'step': 100, 'd_loss': 1.0},
             {'step': 300, 'g_loss': 5.0}, (400, {'d_loss': float('nan')})]
  steps, values = visualize._history_series(history, 'd_loss')  # pylint: disable=protected-access
  np.testing.assert_array_equal(steps, [200, 100])
  np.testing.assert_array_equal(values, [2.0, 1.0])


# ------------------------------------------------------------ workdirs


@pytest.fixture(scope='module')
def default_workdir(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp('default'))
  config = config_lib.get_config('default', **{
      'train.steps': 300, 'train.log_every': 100,
      'train.checkpoint_every': 300, 'train.sample_every': 300})
  train_lib.train_and_evaluate(config, workdir)
  return workdir


def test_sample_from_workdir(default_workdir):
  path = evaluate.sample_from_workdir(default_workdir, num=64, seed=1,
                                      npy=True)
  assert path == os.path.join(default_workdir, 'samples',
                              'sample_step_0000300_seed_1_num_64.png')
  assert _png_size(path) == (500, 500)
  samples = np.load(path[:-4] + '.npy')
  assert samples.shape == (64, 2) and np.all(np.isfinite(samples))
  other = evaluate.sample_from_workdir(default_workdir, num=64, seed=1,
                                       path=str(default_workdir) + '/x.png')
  assert os.path.exists(other)
  with pytest.raises(errors.ConfigError, match='num=0'):
    evaluate.sample_from_workdir(default_workdir, num=0)
  # --jacobian_truncation overrides the run's (0 here): the samples are
  # those ganjax.sample draws with the same override, not the plain ones.
  cut = evaluate.sample_from_workdir(default_workdir, num=64, seed=1,
                                     npy=True, jacobian_truncation=0.2)
  assert cut == path[:-4] + '_truncation_0.2.png'  # path is kept
  np.testing.assert_array_equal(np.load(path[:-4] + '.npy'), samples)
  truncated = np.load(cut[:-4] + '.npy')
  np.testing.assert_allclose(
      truncated, ganjax.sample(ganjax.load(default_workdir), num=64, seed=1,
                               jacobian_truncation=0.2), rtol=1e-6)
  assert not np.allclose(truncated, samples)
  with pytest.raises(errors.ConfigError, match='jacobian_truncation=0.5'):
    evaluate.sample_from_workdir(default_workdir, jacobian_truncation=0.5)


def test_evaluate_workdir(default_workdir):
  record = evaluate.evaluate_workdir(default_workdir)
  assert set(record) == {'step', 'modes_covered', 'hq_fraction',
                         'reverse_kl', 'd_real', 'd_fake'}
  assert record['step'] == 300
  assert 0 <= record['modes_covered'] <= 8
  assert 0 <= record['hq_fraction'] <= 1
  assert 0 <= record['reverse_kl'] <= math.log(8) + 1e-12
  assert 0 < record['d_real'] < 1 and 0 < record['d_fake'] < 1
  before = evaluate.read_metrics(default_workdir)
  written = evaluate.evaluate_workdir(default_workdir, write=True)
  assert written == record  # deterministic: same z, same held-out data
  assert evaluate.read_metrics(default_workdir)[len(before):] == [record]
  # Other evaluators than the config's (launch.py --evaluators).
  mixture = evaluate.evaluate_workdir(default_workdir, evaluators='mixture')
  assert mixture == {k: record[k] for k in ('step', 'modes_covered',
                                            'hq_fraction', 'reverse_kl')}
  assert ganjax.evaluate(default_workdir, evaluators='equilibrium') == {
      k: record[k] for k in ('step', 'd_real', 'd_fake')}


def test_load_config_fills_fields_added_later(default_workdir, tmp_path):
  with open(os.path.join(default_workdir, 'config.json')) as f:
    saved = json.load(f)
  saved.pop('eval', None)
  with open(tmp_path / 'config.json', 'w') as f:
    json.dump(saved, f)
  config = evaluate.load_config(str(tmp_path))
  assert config.eval.num_samples == 2500
  assert config.model.generator.hidden == [128, 128, 128]
  with pytest.raises(errors.WorkdirError):
    evaluate.load_config(str(tmp_path / 'nowhere'))
  with pytest.raises(errors.CheckpointError):
    evaluate.load_workdir(str(tmp_path))


def test_an_old_config_json_with_flat_eval_options_is_read_nested(tmp_path):
  """Before config version 4 the evaluators' options were flat in eval."""
  from ganjax import workdir as workdir_lib  # pylint: disable=g-import-not-at-top
  config = config_lib.get_config('default').to_dict()
  config['version'] = 3
  e = config['eval']
  for section in ('mixture', 'classifier'):
    del e[section]
  e.update(hq_threshold=2.5, num_real=400, classifier_steps=77,
           classifier_batch_size=32, classifier_learning_rate=0.01,
           cache_dir='/somewhere')
  (tmp_path / 'config.json').write_text(json.dumps(config))
  loaded = workdir_lib.load_config(str(tmp_path))
  assert loaded.eval.mixture.hq_threshold == 2.5
  assert loaded.eval.classifier.to_dict() == {
      'num_real': 400, 'steps': 77, 'batch_size': 32, 'learning_rate': 0.01,
      'cache_dir': '/somewhere'}
  assert 'classifier_steps' not in loaded.eval and loaded.version == 4


def test_every_registered_evaluator_is_one_small_class():
  assert list(evaluate.REGISTRY) == ['mixture', 'gaussian1d', 'classifier',
                                     'selfsup', 'codes', 'inception',
                                     'equilibrium']
  for name, cls in evaluate.REGISTRY.items():
    assert cls.name == name and cls.metric_names
  ring = config_lib.get_config('default')
  assert evaluate.auto_evaluators(ring) == ['mixture', 'equilibrium']
