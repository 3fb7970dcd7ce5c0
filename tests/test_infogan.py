"""InfoGAN (``config.family='infogan'``): its latents and codes, the
mutual-information term against its closed form, Q learning the codes,
resume, pmap, the engine's sampling and the ``codes`` evaluator, and the
fields each family refuses."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import pytest

import ganjax
from ganjax import config_lib, errors, families, loop as train, sampling
from ganjax.evaluation import codes as codes_lib
from ganjax.evaluation import registry as evaluators_lib
from ganjax.families import infogan
from conftest import (pmap_on_two_devices_equals_jit,
                      resume_matches_straight, tiny)


@pytest.fixture(scope='module')
def digits_dir(tmp_path_factory):
  return str(tmp_path_factory.mktemp('tfds'))


def _small(digits_dir, steps=4, batch=32):
  """digits_infogan with MLPs a few units wide."""
  config = tiny(config_lib.get_config('digits_infogan'), steps=steps,
                batch=batch)
  config.data.data_dir = digits_dir
  config.model.latent_dim = 8
  config.model.codes = dict(categorical=(5, 3), continuous=2)
  config.model.generator = dict(name='mlp', hidden=(32,),
                                output_activation='tanh')
  config.model.discriminator = dict(name='infogan_mlp', hidden=(32,))
  return config


def _spec(digits_dir):
  return families.build_spec(_small(digits_dir), (8, 8, 1))


def test_latents_hold_noise_one_hot_categories_and_uniform_codes(
    digits_dir):
  spec = _spec(digits_dir)
  assert spec.latent_dim == 8 + 5 + 3 + 2
  z = np.asarray(spec.sample_latent(jax.random.PRNGKey(0), 4000))
  assert z.shape == (4000, 18)
  assert -1 <= z[:, :8].min() and z[:, :8].max() <= 1  # latent_dist uniform
  for lo, hi in ((8, 13), (13, 16)):
    one_hot = z[:, lo:hi]
    assert set(np.unique(one_hot)) == {0.0, 1.0}
    np.testing.assert_array_equal(one_hot.sum(1), 1.0)
    # Uniform categories: each near 1/K of the draws.
    np.testing.assert_allclose(one_hot.mean(0), 1 / (hi - lo), atol=0.03)
  assert -1 <= z[:, 16:].min() and z[:, 16:].max() <= 1
  assert abs(z[:, 16:].mean()) < 0.05
  cats, cont = infogan.codes_of(spec, jnp.asarray(z))
  np.testing.assert_array_equal(cats[0], np.argmax(z[:, 8:13], 1))
  np.testing.assert_array_equal(cont, z[:, 16:])
  # with_codes sets one code and keeps the rest.
  w = np.asarray(infogan.with_codes(spec, jnp.asarray(z[:6]),
                                    categorical={1: 2}))
  np.testing.assert_array_equal(w[:, 13:16], np.tile([0, 0, 1], (6, 1)))
  np.testing.assert_array_equal(np.delete(w, range(13, 16), 1),
                                np.delete(z[:6], range(13, 16), 1))


def test_information_loss_equals_its_closed_form(digits_dir):
  spec = _spec(digits_dir)
  z = spec.sample_latent(jax.random.PRNGKey(1), 64)
  q = jax.random.normal(jax.random.PRNGKey(2), (64, 5 + 3 + 2))
  loss, m = infogan.information_loss(spec, q, z)
  zz, qq = np.asarray(z, np.float64), np.asarray(q, np.float64)
  ce = 0.0
  bound = 0.0
  for (lo, hi) in ((8, 13), (13, 16)):
    logits = qq[:, lo - 8:hi - 8]
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    term = -np.mean(np.sum(zz[:, lo:hi] * logp, 1))
    ce += term
    bound += np.log(hi - lo) - term
  nll = 0.5 * np.mean(np.sum((qq[:, 8:] - zz[:, 16:]) ** 2, 1))
  np.testing.assert_allclose(m['info_ce'], ce, rtol=1e-5)
  np.testing.assert_allclose(m['info_nll'], nll, rtol=1e-5)
  np.testing.assert_allclose(m['mi_lower_bound'], bound, rtol=1e-5)
  np.testing.assert_allclose(loss, ce + nll, rtol=1e-5)
  # A Q that reads the codes exactly reaches the bound log 5 + log 3.
  cats, cont = infogan.codes_of(spec, z)
  perfect = jnp.concatenate([50.0 * jax.nn.one_hot(cats[0], 5),
                             50.0 * jax.nn.one_hot(cats[1], 3), cont], -1)
  loss, m = infogan.information_loss(spec, perfect, z)
  assert float(loss) < 1e-6 and m['q_accuracy'] == 1.0
  np.testing.assert_allclose(m['mi_lower_bound'], np.log(15), rtol=1e-6)


def test_q_learns_to_read_the_codes_back(tmp_path, digits_dir):
  config = _small(digits_dir, steps=150, batch=64)
  config.train.log_every = 50
  config.model.generator.hidden = (64,)
  config.model.discriminator.hidden = (64,)
  config.optim.d.learning_rate = 1e-3  # (2e-4 in the paper: slower)
  train.train_and_evaluate(config, str(tmp_path))
  lines = [json.loads(l) for l in
           (tmp_path / train.TRAIN_METRICS).read_text().splitlines()]
  assert {'d_loss', 'g_loss', 'info_ce', 'info_nll', 'mi_lower_bound',
          'q_accuracy', 'd_real', 'd_fake'} <= set(lines[0])
  first, last = lines[0], lines[-1]
  assert last['info_ce'] < 0.5 * first['info_ce']
  assert last['q_accuracy'] > 0.85  # (chance: 0.27, the mean of 1/5, 1/3)
  # log 5 + log 3 = 2.71 nats is the most the two categorical codes hold.
  assert 0.6 * np.log(15) < last['mi_lower_bound'] <= np.log(15)
  assert (tmp_path / 'loss_curves.png').exists()


def test_infogan_resumes_bitwise_and_samples_through_the_api(tmp_path,
                                                             digits_dir):
  resumed = resume_matches_straight(_small(digits_dir, steps=4), tmp_path, 2)
  assert isinstance(resumed, infogan.InfoGANState)
  loaded = ganjax.load(str(tmp_path / 'b'))
  assert loaded.step == 4 and loaded.spec.family == 'infogan'
  a = ganjax.sample(loaded, num=7, seed=1)
  np.testing.assert_array_equal(a, ganjax.sample(loaded, num=7, seed=1))
  assert a.shape == (7, 8, 8, 1) and np.abs(a).max() <= 1
  # The same codes, the same noise: the same images; another c1: others.
  z = loaded.spec.sample_latent(jax.random.PRNGKey(3), 4)
  fn = sampling.generate_fn(loaded.spec)
  state = sampling.on_device(loaded.spec, loaded.state)
  x0 = fn(state, infogan.with_codes(loaded.spec, z, {0: 0}), None)
  x1 = fn(state, infogan.with_codes(loaded.spec, z, {0: 1}), None)
  assert not np.allclose(x0, x1)
  loaded.config.eval.evaluators = 'auto'
  assert evaluators_lib.evaluator_names(loaded.config) == [
      'classifier', 'codes', 'equilibrium']
  # The family's own training picture, one row per category of c1.
  assert sorted(p.name for p in (tmp_path / 'b' / 'samples').glob(
      'infogan_*.png')) == ['infogan_0000002.png', 'infogan_0000004.png']


def test_code_picture_sweeps_a_continuous_code_without_a_category(
    tmp_path, digits_dir, monkeypatch):
  config = _small(digits_dir)
  config.model.codes = dict(categorical=(), continuous=2)
  spec, state = families.build(config)
  path = str(tmp_path / 'sweep.png')
  monkeypatch.setitem(families.FAMILIES, 'infogan', dataclasses.replace(
      families.FAMILIES['infogan'],
      picture=lambda c, s: infogan.code_picture(c, s, per_row=4)))
  sampling.save_family_picture(config, spec, state, path, 'digits')
  # 4 x 4 digits of 8x8, drawn 4x larger with a 1-pixel grid.
  assert plt.imread(path).shape[:2] == (4 * 33 + 1, 4 * 33 + 1)


def test_infogan_under_pmap_equals_jit(tmp_path, digits_dir):
  pmap_on_two_devices_equals_jit(
      tmp_path, 'from test_infogan import _small',
      f'_small({digits_dir!r}, steps=2, batch=16)',
      '(host.generator.params, host.discriminator.params)')


@pytest.mark.usefixtures('optimised_classifier')
def test_codes_evaluator_matches_categories_to_classes(tmp_path, digits_dir,
                                                       monkeypatch):
  """A generator whose c1 = k draws real digits of class perm[k]: the
  evaluator finds the permutation (accuracy near the classifier's)."""
  config = _small(digits_dir)
  config.model.codes = dict(categorical=(10,), continuous=1)
  config.eval.evaluators = 'codes'
  config.eval.num_samples = 300
  config.eval.classifier.steps = 200
  config.eval.classifier.learning_rate = 3e-3
  config.eval.classifier.cache_dir = str(tmp_path / 'cache')
  evaluator, = evaluators_lib.build_evaluators(config)
  spec, state = families.build(config)
  real = evaluator.real.heldout(360)
  by_class = [real['x'][real['label'] == c] for c in range(10)]
  perm = np.random.default_rng(0).permutation(10)

  def fake_generate_fn(spec_):
    def fn(state_, z, labels):
      del state_, labels
      cats, _ = infogan.codes_of(spec_, jnp.asarray(z))
      c = np.asarray(cats[0])
      return np.stack([by_class[perm[k]][i % len(by_class[perm[k]])]
                       for i, k in enumerate(c)])
    return fn

  monkeypatch.setattr(codes_lib.sampling, 'generate_fn', fake_generate_fn)
  m = evaluator.evaluate(spec, state, 0)
  assert m['code_classes'] == 10
  assert m['code_accuracy'] > 0.85
  # Noise in place of digits: about chance.
  monkeypatch.setattr(codes_lib.sampling, 'generate_fn', lambda s: (
      lambda st, z, y: np.random.default_rng(1).uniform(
          -1, 1, (len(z), 8, 8, 1)).astype(np.float32)))
  assert evaluator.evaluate(spec, state, 0)['code_accuracy'] < 0.4


@pytest.mark.parametrize('family,field,value,says', [
    ('gan', 'model.codes', {'categorical': (10,), 'continuous': 0},
     "config.family='infogan'"),
    ('gan', 'loss.info_weight', 2.0, "config.family='infogan'"),
    ('vae', 'model.codes', {'categorical': (), 'continuous': 2},
     'config.model.codes is not used by the vae'),
    ('infogan', 'loss.gp_weight', 10.0, 'loss.gp_weight is not used'),
    ('infogan', 'model.ema_decay', 0.9, 'model.ema_decay is not used'),
    ('infogan', 'loss.name', 'wgan_gp', 'not supported by the infogan'),
    ('infogan', 'model.codes', {'categorical': (), 'continuous': 0},
     'needs latent codes'),
    ('infogan', 'model.codes', {'categorical': (1,), 'continuous': 0},
     'an integer >= 2'),
    ('infogan', 'loss.info_weight', -1.0, 'use a value >= 0'),
    ('infogan', 'model.discriminator', {'name': 'mlp'},
     "choose one of ['infogan', 'infogan_mlp']"),
])
def test_each_family_refuses_what_it_would_ignore(family, field, value,
                                                  says):
  name = {'gan': 'default', 'vae': 'digits_vae',
          'infogan': 'digits_infogan'}[family]
  config = config_lib.get_config(name)
  node = config
  *parents, leaf = field.split('.')
  for p in parents:
    node = node[p]
  node[leaf] = value
  with pytest.raises(errors.ConfigError) as e:
    train.build(config)
  assert says in str(e.value) and '\n' not in str(e.value)
