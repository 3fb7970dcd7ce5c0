"""Tests of the feature metrics comparable with papers: KID, precision /
recall / density / coverage, the Inception Score, the FID Inception-v3 port
(against pytorch-fid on the same random weights), and the ``selfsup`` and
``inception`` evaluators."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import math
import os
import sys
import types
from unittest import mock

import ml_collections
import numpy as np
import pytest
from PIL import Image

from ganjax import config_lib, errors
from ganjax import evaluation as evaluate
from ganjax.evaluation import inception, metrics

# ------------------------------------------------------------------- KID


def _mmd2_torch_fidelity(x, y):
  """torch-fidelity's ``mmd2`` (unbiased) of the polynomial kernel, written
  its way: row sums without the diagonal."""
  d = x.shape[1]
  k_xx, k_yy = (x @ x.T / d + 1)**3, (y @ y.T / d + 1)**3
  k_xy = (x @ y.T / d + 1)**3
  m = len(x)
  kt_xx = (k_xx.sum(axis=1) - np.diagonal(k_xx)).sum()
  kt_yy = (k_yy.sum(axis=1) - np.diagonal(k_yy)).sum()
  return (kt_xx + kt_yy) / (m * (m - 1)) - 2 * k_xy.sum(axis=0).sum() / m**2


def _kid_torch_fidelity(f1, f2, subsets, size, seed):
  """torch-fidelity's ``kid_features_to_metric`` loop on numpy arrays."""
  rng = np.random.RandomState(seed)
  mmds = np.zeros(subsets)
  for i in range(subsets):
    a = f1[rng.choice(len(f1), size, replace=False)]
    b = f2[rng.choice(len(f2), size, replace=False)]
    mmds[i] = _mmd2_torch_fidelity(a, b)
  return float(np.mean(mmds)), float(np.std(mmds))


def test_kid_equals_torch_fidelitys_formula_and_closed_forms():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(60, 8))
  y = rng.normal(0.3, 1.2, size=(50, 8))
  got = metrics.kid(x, y, num_subsets=20, subset_size=30, seed=3)
  assert got == pytest.approx(_kid_torch_fidelity(x, y, 20, 30, 3),
                              rel=1e-12)
  # Subsets as large as the sets: every subset is the whole set, so the
  # mean is the full unbiased MMD^2 (a double loop over pairs) and std 0.
  a, b = x[:7], y[:6]
  k = lambda u, v: (u @ v / 8 + 1)**3
  pairs = lambda s: [(i, j) for i in range(len(s)) for j in range(len(s))
                     if i != j]
  full = (sum(k(a[i], a[j]) for i, j in pairs(a)) / (7 * 6) +
          sum(k(b[i], b[j]) for i, j in pairs(b)) / (6 * 5) -
          2 * sum(k(u, v) for u in a for v in b) / (7 * 6))
  assert metrics.mmd2_unbiased(a, b) == pytest.approx(full, rel=1e-12)
  # A set against itself: the pairs i != j minus all pairs, twice.
  kbb = (b @ b.T / 8 + 1)**3
  mean, std = metrics.kid(b, b[::-1], num_subsets=5, subset_size=100)
  assert mean == pytest.approx(2 * ((kbb.sum() - np.trace(kbb)) / 30 -
                                    kbb.sum() / 36), rel=1e-12)
  assert std < 1e-9 * abs(mean)
  # Constant sets u and v: MMD^2 = k(u,u) + k(v,v) - 2 k(u,v).
  u, v = np.ones((5, 4)), np.full((9, 4), 2.0)
  assert metrics.kid(u, v, 3, 5)[0] == pytest.approx(8 + 125 - 2 * 27)
  assert all(math.isnan(t) for t in metrics.kid(u * np.nan, v))


# ------------------------------------------------------------------ PRDC


def test_prdc_hand_computed_values():
  real = np.arange(6.0)[:, None]   # Each real's 1st neighbour is at 1.
  fake = np.array([[0.5], [10.0], [20.0]])  # Radii 9.5, 9.5, 10.
  m = metrics.prdc(real, fake, nearest_k=1)
  # precision: 0.5 lies in the balls of 0 and 1, 10 and 20 in none -> 1/3;
  # recall: every real is within 9.5 of 0.5 -> 1; density: (2 + 0 + 0) / 3
  # balls per fake / k -> 2/3; coverage: reals 0 and 1 have a fake in
  # their ball -> 2/6.
  assert m == pytest.approx({'precision': 1 / 3, 'recall': 1.0,
                             'density': 2 / 3, 'coverage': 2 / 6})
  same = metrics.prdc(real, real, nearest_k=2)
  assert same['precision'] == same['recall'] == same['coverage'] == 1.0
  with pytest.raises(ValueError, match='nearest_k=5'):
    metrics.prdc(real, real, nearest_k=5)


# ------------------------------------------------------- Inception Score


def test_inception_score_closed_forms():
  assert metrics.inception_score(np.zeros((40, 1008)), 4) == pytest.approx(
      (1.0, 0.0))
  # Confident and balanced over 5 classes in every split: IS = 5.
  logits = np.where(np.eye(5)[np.arange(50) % 5], 50.0, 0.0)
  assert metrics.inception_score(logits, 10) == pytest.approx((5.0, 0.0),
                                                              rel=1e-9)
  # One class only: IS = 1.
  assert metrics.inception_score(np.tile(logits[:1], (20, 1)), 2)[0] == (
      pytest.approx(1.0))


# ------------------------------------------------- pytorch-fid, the port


def _pytorch_fid():
  """pytorch-fid's ``inception`` and ``fid_score`` modules.

  Its network subclasses torchvision's Inception blocks; torchvision's
  package ``__init__`` registers C++ operators that a CPU-only torch
  cannot load, so the real torchvision package is entered without running
  that ``__init__`` (its Python modules, which pytorch-fid uses, are
  unchanged)."""
  import torch  # pylint: disable=g-import-not-at-top,unused-import
  if 'torchvision' not in sys.modules:
    spec = importlib.util.find_spec('torchvision')
    package = types.ModuleType('torchvision')
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__version__ = importlib.metadata.version('torchvision')
    sys.modules['torchvision'] = package
    importlib.import_module('torchvision.models.inception')
    package.models = sys.modules['torchvision.models']
  from pytorch_fid import fid_score  # pylint: disable=g-import-not-at-top
  from pytorch_fid import inception as fid_inception  # pylint: disable=g-import-not-at-top
  return fid_inception, fid_score


@pytest.fixture(scope='module')
def torch_inception(tmp_path_factory):
  """pytorch-fid's ``InceptionV3`` (pool3, resize and [-1, 1] scaling on)
  with random weights instead of the download, its inner Inception-v3 (for
  the fc layer) and those weights saved as a ``.pth`` state dict."""
  import torch  # pylint: disable=g-import-not-at-top
  fid_inception, _ = _pytorch_fid()
  inner = {}

  def keep(self, state_dict, *args, **kwargs):  # Instead of loading.
    del state_dict, args, kwargs
    inner['net'] = self

  with mock.patch.object(fid_inception, 'load_state_dict_from_url',
                         lambda *a, **k: {}), \
       mock.patch.object(torch.nn.Module, 'load_state_dict', keep):
    model = fid_inception.InceptionV3(
        [fid_inception.InceptionV3.BLOCK_INDEX_BY_DIM[2048]],
        resize_input=True, normalize_input=True, use_fid_inception=True)
  net = inner['net']
  g = torch.Generator().manual_seed(0)
  with torch.no_grad():  # BatchNorm statistics and affine away from 0/1.
    for name, t in net.state_dict().items():
      if name.endswith(('running_var', 'bn.weight')):
        t.copy_(torch.rand(t.shape, generator=g) + 0.5)
      elif name.endswith(('running_mean', 'bn.bias', 'fc.bias')):
        t.copy_(torch.randn(t.shape, generator=g) * 0.1)
  model.eval()
  net.eval()
  path = str(tmp_path_factory.mktemp('inception') / 'random.pth')
  torch.save(net.state_dict(), path)
  return model, net, path


def test_inception_port_equals_pytorch_fid(torch_inception):
  import torch  # pylint: disable=g-import-not-at-top
  model, net, path = torch_inception
  # An 8x8 grey image in [0, 1] (grey repeated to RGB, as ganjax does),
  # resized inside both networks to 299 x 299.
  images = np.random.default_rng(0).uniform(size=(1, 8, 8, 1))
  with torch.no_grad():
    x = torch.from_numpy(np.repeat(images, 3, -1).transpose(0, 3, 1, 2))
    pool_t = model(x.float())[0][:, :, 0, 0]
    logits_t = net.fc(pool_t).numpy()
  pool_t = pool_t.numpy()
  pool, logits = inception.features_and_logits(inception.load_weights(path),
                                               images, batch_size=1)
  assert pool.shape == (1, 2048) and logits.shape == (1, 1008)
  scale = np.abs(pool_t).max()
  assert scale > 0.1 and np.abs(pool_t).min() >= 0
  np.testing.assert_allclose(pool, pool_t, atol=1e-5 * scale, rtol=1e-4)
  np.testing.assert_allclose(logits, logits_t, atol=1e-5, rtol=1e-4)


def test_resize_equals_torch_bilinear_up_and_down():
  import torch  # pylint: disable=g-import-not-at-top
  images = np.random.default_rng(1).uniform(size=(1, 7, 400, 3))
  expected = torch.nn.functional.interpolate(
      torch.from_numpy(images.transpose(0, 3, 1, 2)), size=(299, 299),
      mode='bilinear', align_corners=False).numpy().transpose(0, 2, 3, 1)
  got = np.asarray(inception.preprocess(images.astype(np.float32)))
  np.testing.assert_allclose(got, 2 * expected - 1, atol=1e-5)


@pytest.mark.parametrize('n1,n2', [(300, 200), (12, 9)])
def test_frechet_distance_equals_pytorch_fid(n1, n2):
  """Full-rank covariances, and fewer vectors than dimensions (the
  singular-value path of ``features_frechet_distance``)."""
  _, fid_score = _pytorch_fid()
  rng = np.random.default_rng(2)
  a = rng.normal(size=(n1, 16)) @ rng.normal(size=(16, 16))
  b = rng.normal(0.5, 1.0, size=(n2, 16)) @ rng.normal(size=(16, 16))
  sa, sb = metrics.gaussian_stats(a), metrics.gaussian_stats(b)
  expected = fid_score.calculate_frechet_distance(sa[0], sa[1], sb[0], sb[1])
  assert metrics.frechet_distance(*sa, *sb) == pytest.approx(expected,
                                                             rel=1e-6)
  assert metrics.features_frechet_distance(a, b) == pytest.approx(
      expected, rel=1e-6)


def _one_line(exc):
  message = str(exc.value)
  assert '\n' not in message
  return message


def test_missing_inception_weights_fail_in_one_line(tmp_path, monkeypatch):
  with pytest.raises(errors.ConfigError) as e:
    inception.weights_path(str(tmp_path / 'nope.pth'), str(tmp_path))
  assert inception.WEIGHTS_URL in _one_line(e)

  def offline(url, path):
    raise OSError('[Errno -2] Name or service not known')

  monkeypatch.setattr(inception, 'download', offline)
  with pytest.raises(errors.ConfigError) as e:
    inception.weights_path(None, str(tmp_path))
  message = _one_line(e)
  assert inception.WEIGHTS_URL in message and 'Name or service' in message
  (tmp_path / 'bad.pth').write_bytes(b'not weights')
  with pytest.raises(errors.ConfigError) as e:
    inception.load_weights(str(tmp_path / 'bad.pth'))
  assert 'not a readable FID Inception weights file' in _one_line(e)


# ------------------------------------------------------------ evaluators


def _digits_config(tmp_path, **data_fields):
  config = config_lib.base_config()
  config.data.name = 'digits'
  config.data.data_dir = str(tmp_path / 'tfds')
  config.data.image_size = 8
  config.data.channels = 1
  for key, value in data_fields.items():
    config.data[key] = value
  config.model.latent_dim = 8
  config.model.generator = ml_collections.ConfigDict(
      dict(name='mlp', hidden=(32,), output_activation='tanh'))
  config.model.discriminator = ml_collections.ConfigDict(
      dict(name='mlp', hidden=(32,)))
  config.eval.classifier.cache_dir = str(tmp_path / 'cache')
  config.eval.kid_subsets = 10
  return config


def _noise_samples(evaluator, num, seed=0):
  """Makes ``evaluator`` score uniform noise in [-1, 1] as its samples (no
  generator to build: the evaluators only see samples)."""
  noise = np.random.default_rng(seed).uniform(
      -1, 1, (num, 8, 8, 1)).astype(np.float32)
  evaluator.samples = lambda spec, state, rng_seed: noise
  return noise


def test_inception_evaluator_wiring(tmp_path, monkeypatch):
  """The evaluator around the network (tested above against pytorch-fid):
  images mapped from [-1, 1] to [0, 1], the reference, the floors, the IS.
  A stand-in network (pixels as features, a fixed linear map as logits)
  keeps it fast."""
  seen = []
  projection = np.random.default_rng(3).normal(size=(64, 1008))

  def stand_in(variables, images, batch_size):
    del variables, batch_size
    seen.append(images)
    pixels = np.asarray(images, np.float64).reshape(len(images), -1)
    return pixels, pixels @ projection

  monkeypatch.setattr(inception, 'load_weights', lambda path: {})
  monkeypatch.setattr(inception, 'features_and_logits', stand_in)
  (tmp_path / 'w.pth').write_bytes(b'')
  config = _digits_config(tmp_path)
  config.eval.evaluators = 'inception'
  config.eval.num_samples = 20
  config.eval.inception.num_real = 30
  config.eval.inception.weights = str(tmp_path / 'w.pth')
  (ev,) = evaluate.build_evaluators(config, None)
  noise = _noise_samples(ev, 20)
  m = ev.evaluate(None, None, 0)
  assert set(m) == set(evaluate.InceptionEvaluator.metric_names)
  reference, training, samples = seen
  assert reference.shape == (30, 8, 8, 1) and training.shape == (20, 8, 8, 1)
  np.testing.assert_allclose(samples, (noise + 1) / 2, rtol=1e-6)
  assert reference.min() >= 0 and reference.max() <= 1
  unit = lambda x: np.asarray(x, np.float64).reshape(len(x), -1)
  assert m['inception_fid'] == pytest.approx(metrics.features_frechet_distance(
      unit(samples), unit(reference)))
  assert m['inception_fid_floor'] < m['inception_fid']
  assert (m['inception_score'], m['inception_score_std']) == pytest.approx(
      metrics.inception_score(unit(samples) @ projection, 10))
  assert 'inception' not in evaluate.auto_evaluators(config)


def _write_unlabelled_digits(root, n_train, n_test):
  """The digits as 8x8 PNGs in an unlabelled image folder:
  root/{train,test}/all/<i>.png."""
  from sklearn.datasets import load_digits  # pylint: disable=g-import-not-at-top
  images = (load_digits().images * 255 / 16).round().astype(np.uint8)
  for split, part in (('train', images[:n_train]),
                      ('test', images[-n_test:])):
    os.makedirs(os.path.join(root, split, 'all'))
    for i, image in enumerate(part):
      Image.fromarray(image).save(os.path.join(root, split, 'all',
                                               f'{i}.png'))


@pytest.mark.usefixtures('optimised_classifier')
def test_selfsup_scores_an_unlabelled_image_folder(tmp_path):
  _write_unlabelled_digits(str(tmp_path / 'folder'), 200, 60)
  config = _digits_config(tmp_path, name='image_folder',
                          path=str(tmp_path / 'folder'))
  config.eval.num_samples = 60
  config.eval.batch_size = 60  # One compiled shape for every pass.
  config.eval.classifier.steps = 100
  config.eval.classifier.batch_size = 32
  config.eval.classifier.learning_rate = 3e-3
  evaluators = evaluate.build_evaluators(config, None)
  assert [e.name for e in evaluators] == ['selfsup', 'equilibrium']
  _noise_samples(evaluators[0], 60)
  m = evaluators[0].evaluate(None, None, 0)
  assert set(m) == set(evaluate.SelfSupervisedEvaluator.metric_names)
  assert evaluators[0].trained_now and m['selfsup_accuracy'] > 0.6
  # Real training images against the held-out ones, and noise.
  assert m['selfsup_fid_floor'] < m['selfsup_fid'] / 5
  assert m['selfsup_kid_floor'] < m['selfsup_kid']
  assert m['selfsup_precision_floor'] > 0.8 > m['selfsup_precision']
  name = os.path.basename(evaluators[0].cache_path)
  # Named for the folder's path (another folder gets its own network).
  assert name.startswith('image_folder_') and name.endswith(
      '-rotation-v1.msgpack')
  assert sorted(os.listdir(tmp_path / 'cache')) == [name, name + '.json']
  again = evaluate.build_evaluators(config, None)[0]
  _noise_samples(again, 60)
  assert again.evaluate(None, None, 0) == pytest.approx(m, rel=1e-6)
  assert not again.trained_now


@pytest.mark.parametrize('field,value', [
    ('kid_subsets', 0), ('kid_subset_size', 1), ('nearest_k', 0),
    ('inception.num_real', 1), ('inception.batch_size', 0),
    ('inception.weights', 3)])
def test_new_eval_options_are_checked(field, value):
  config = config_lib.base_config()
  parent = config.eval
  *path, leaf = field.split('.')
  for part in path:
    parent = parent[part]
  with parent.ignore_type():
    parent[leaf] = value
  with pytest.raises(errors.ConfigError, match=f'config.eval.{field}='):
    evaluate.validate(config)


def test_nearest_k_beyond_the_samples_fails_when_built(tmp_path):
  config = _digits_config(tmp_path)
  config.eval.num_samples = 6
  evaluate.validate(config)  # Fine for evaluators without neighbours...
  with pytest.raises(errors.ConfigError) as e:
    evaluate.build_evaluators(config, None)  # ... not for the classifier.
  assert 'config.eval.nearest_k=5' in _one_line(e)
