"""The family interface, proved by a second family: the VAE trains,
checkpoints, resumes, samples and evaluates through the same engine, CLI
and API as the GAN; the config refuses what a family would ignore."""

import json
import os
import subprocess
import sys

import jax
import matplotlib.image
import jax.numpy as jnp
import numpy as np
import pytest

import ganjax
from ganjax import config_lib, errors, families, loop as train, sampling
from ganjax.evaluation import registry as evaluators_lib
from ganjax.families import vae as vae_lib
from conftest import (ROOT, leaves_equal, pmap_on_two_devices_equals_jit,
                      resume_matches_straight, tiny)


@pytest.fixture(scope='module')
def digits_dir(tmp_path_factory):
  return str(tmp_path_factory.mktemp('tfds'))


def _vae(digits_dir, steps=4):
  config = tiny(config_lib.get_config('digits_vae'), steps=steps, batch=32)
  config.data.data_dir = digits_dir
  config.model.encoder.hidden = (32,)
  config.model.generator.hidden = (32,)
  config.model.latent_dim = 4
  return config


def test_negative_elbo_matches_closed_forms():
  rng = np.random.default_rng(0)
  x01 = rng.uniform(size=(3, 2, 2, 1)).astype(np.float32)
  logits = rng.normal(size=(3, 2, 2, 1)).astype(np.float32)
  mean = rng.normal(size=(3, 5)).astype(np.float32)
  log_var = rng.normal(size=(3, 5)).astype(np.float32)
  recon, kl = vae_lib.negative_elbo(jnp.asarray(x01), jnp.asarray(logits),
                                    jnp.asarray(mean), jnp.asarray(log_var))
  p = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
  want_recon = -np.sum(x01 * np.log(p) + (1 - x01) * np.log(1 - p),
                       axis=(1, 2, 3))
  var = np.exp(log_var.astype(np.float64))
  # KL(N(m, v) || N(0, 1)) = log(1 / sqrt(v)) + (v + m^2) / 2 - 1/2.
  want_kl = np.sum(-0.5 * np.log(var) + (var + mean**2) / 2 - 0.5, axis=1)
  np.testing.assert_allclose(recon, want_recon, rtol=1e-5)
  np.testing.assert_allclose(kl, want_kl, rtol=1e-5)


def test_vae_lowers_its_loss_and_its_samples_lie_in_the_data_range(
    tmp_path, digits_dir):
  config = _vae(digits_dir, steps=200)
  config.train.log_every = 100
  config.model.encoder.hidden = config.model.generator.hidden = (64,)
  state = train.train_and_evaluate(config, str(tmp_path))
  lines = [json.loads(l) for l in
           (tmp_path / train.TRAIN_METRICS).read_text().splitlines()]
  assert set(lines[0]) == {'step', 'loss', 'recon', 'kl', 'grad_norm'}
  # 64 pixels at log 2 nats each is 44 nats: a trained model is far below.
  assert lines[-1]['loss'] < 0.8 * 64 * np.log(2)
  assert lines[-1]['loss'] < lines[0]['loss']
  spec, _ = families.build(config)
  x = sampling.generate(spec, state, 50, seed=0)
  assert x.shape == (50, 8, 8, 1)
  assert -1.0 <= x.min() and x.max() <= 1.0
  assert (tmp_path / 'loss_curves.png').exists()


def test_vae_resumes_bitwise_and_loads_samples_evaluates(tmp_path,
                                                         digits_dir):
  resumed = resume_matches_straight(_vae(digits_dir, steps=6), tmp_path, 3)
  assert isinstance(resumed, vae_lib.VAEState)

  loaded = ganjax.load(str(tmp_path / 'b'))
  assert loaded.step == 6 and loaded.spec.family == 'vae'
  leaves_equal(loaded.state, resumed)
  a = ganjax.sample(loaded, num=7, seed=1)
  np.testing.assert_array_equal(a, ganjax.sample(loaded, num=7, seed=1))
  assert a.shape == (7, 8, 8, 1)
  path = ganjax.evaluation.sample_from_workdir(str(tmp_path / 'b'), num=9,
                                              npy=True)
  # 8x8 digits are drawn 4x larger (readable); the .npy keeps them raw.
  assert matplotlib.image.imread(path).shape[:2] == (3 * 33 + 1,) * 2
  raw = np.load(path[:-4] + '.npy')
  np.testing.assert_array_equal(raw, ganjax.sample(loaded, num=9))
  # A latent interpolation: deterministic, from one image to another.
  frames = ganjax.interpolate(loaded, num=5, seed=2)
  assert frames.shape == (5, 8, 8, 1)
  np.testing.assert_array_equal(frames, ganjax.interpolate(loaded, num=5,
                                                           seed=2))
  assert not np.allclose(frames[0], frames[-1])
  # 'auto' has no 'equilibrium' for a family without a discriminator.
  loaded.config.eval.evaluators = 'auto'
  assert evaluators_lib.evaluator_names(loaded.config) == ['classifier']


def test_vae_through_the_cli(tmp_path, digits_dir):
  workdir = str(tmp_path / 'run')
  run = lambda *args: subprocess.run(
      [sys.executable, 'launch.py', *args], cwd=ROOT, capture_output=True,
      text=True, timeout=300)
  r = run('--config=configs/digits_vae.py', f'--workdir={workdir}',
          '--config.train.steps=2', '--config.train.steps_per_dispatch=1',
          '--config.train.batch_size=16', '--config.eval.evaluators=none',
          f'--config.data.data_dir={digits_dir}')
  assert r.returncode == 0, r.stderr[-2000:]
  r = run('--mode=sample', f'--workdir={workdir}', '--num=4')
  assert r.returncode == 0, r.stderr[-2000:]
  assert os.listdir(os.path.join(workdir, 'samples'))


def test_vae_under_pmap_equals_jit(tmp_path, digits_dir):
  pmap_on_two_devices_equals_jit(
      tmp_path, 'from ganjax import config_lib\nfrom conftest import tiny',
      f"tiny(config_lib.get_config('digits_vae'), steps=2, batch=16); "
      f"config.data.data_dir = {digits_dir!r}",
      '(host.encoder.params, host.decoder.params)')


@pytest.mark.parametrize('field,value,says', [
    ('loss.name', 'ns', "loss.name='elbo'"),
    ('optim.d.learning_rate', 0.5, 'config.optim.d is not used'),
    ('train.n_critic', 2, 'config.train.n_critic is not used'),
    ('model.ema_decay', 0.9, 'config.model.ema_decay is not used'),
    ('eval.evaluators', 'equilibrium', "'equilibrium' does not apply"),
    ('family', 'cyclegan', "config.family='cyclegan' is not a known"),
])
def test_a_field_the_vae_would_ignore_is_refused(field, value, says):
  config = config_lib.get_config('digits_vae')
  node = config
  *parents, leaf = field.split('.')
  for p in parents:
    node = node[p]
  node[leaf] = value
  with pytest.raises(errors.ConfigError, match='^.*$') as e:
    train.build(config)
    evaluators_lib.build_evaluators(config)
  assert says in str(e.value) and '\n' not in str(e.value)


def test_a_gan_refuses_an_encoder():
  config = config_lib.get_config('default')
  config.model.encoder = {'name': 'mlp'}
  with pytest.raises(errors.ConfigError, match="not used by the 'gan'"):
    train.build(config)


def test_every_family_keeps_the_contract():
  for name, family in families.FAMILIES.items():
    assert family.name == name
    assert family.curves and set(family.batch_fields) <= {'x', 'label'}
  assert families.get('gan').discriminate is not None
  assert families.get('vae').discriminate is None
