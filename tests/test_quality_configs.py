"""The quality configs of docs/RESULTS.md build, train a few steps, and the
quality benchmark's report code turns run records into the tables."""

import ast
import glob
import importlib.util
import json
import math
import os

import jax
import matplotlib.pyplot as plt
import numpy as np
import pytest

from conftest import ROOT, tiny

import ganjax
from ganjax import config_lib, loop as train

# One quality config per kind of data and picture (2D scatter, 1D
# histogram, digit grid) runs through the whole loop here; every config's
# two steps are pinned by tests/test_regression.py and every docstring is
# checked below, so the others would only compile the same loop again.
QUALITY_CONFIGS = ('ring8_ns', 'gaussian1d_tuned', 'digits_wgan_gp')


def _quality_module():
  path = os.path.join(ROOT, 'benchmarks', 'quality.py')
  spec = importlib.util.spec_from_file_location('quality_benchmark', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


@pytest.mark.parametrize('name', QUALITY_CONFIGS)
def test_quality_config_trains_a_few_steps(name, tmp_path):
  config = ganjax.get_config(name)
  config_lib.validate(config)
  config = tiny(config, steps=2, batch=8)
  config.train.steps_per_dispatch = 1
  config.parallel = 'jit'
  if config.data.name == 'digits':
    config.data.data_dir = str(tmp_path / 'tfds')
  state = train.train_and_evaluate(config, str(tmp_path / 'run'))
  assert int(state.step) == 2
  for leaf in jax.tree.leaves(state.g_params):
    assert np.all(np.isfinite(np.asarray(leaf)))
  assert os.listdir(tmp_path / 'run' / 'samples')
  if config.data.name == 'digits':  # 16 8x8 digits, drawn 4x larger
    picture = plt.imread(str(tmp_path / 'run' / 'samples' /
                             'step_0000002.png'))
    assert picture.shape[:2] == (4 * 33 + 1, 4 * 33 + 1)


def test_every_config_docstring_is_short_and_has_its_command():
  """Command, what it trains, result and time; lab notes go to
  docs/RESULTS.md (issue 17)."""
  for path in glob.glob(os.path.join(ROOT, 'configs', '*.py')):
    name = os.path.splitext(os.path.basename(path))[0]
    with open(path) as f:
      doc = ast.get_docstring(ast.parse(f.read()), clean=False)
    assert doc and f'configs/{name}.py' in doc, name
    assert len(doc.splitlines()) <= 25, (name, len(doc.splitlines()))
    # A smoke test that trains no evaluation classifier (tried for
    # svhn_wgan by tests/test_train.py).
    smoke = [l for l in doc.splitlines() if l.endswith(
        '# smoke test: no final evaluation')]
    assert len(smoke) == 1, name
    assert ('--config.train.steps=2 --config.eval.at_end=False' in smoke[0]
            and (name == 'default' or f'--config=configs/{name}.py'
                 in smoke[0])), name
    assert 'issue ' not in doc, name


def test_quality_benchmark_lists_every_config():
  quality = _quality_module()
  names = {spec[0] for spec in quality.EXPERIMENTS.values()}
  assert set(QUALITY_CONFIGS) <= names
  for name in names:
    assert os.path.exists(config_lib.config_path(name))


# The report's header fields, for the report tests.
META = {'date': 'd', 'machine': 'm', 'jobs': 1, 'load_start': '0',
        'load_end': '0', 'total_wall_s': 60.0, 'only': [], 'seeds': 2,
        'overrides': {}, 'command': 'python benchmarks/quality.py'}


def test_quality_report_from_records(tmp_path):
  quality = _quality_module()
  runs = []
  for seed, (modes, hq, kl) in enumerate(((8, 0.98, 0.01), (7, 0.96, 0.03))):
    runs.append({'experiment': 'ring8_ns', 'config': 'ring8_ns',
                 'kind': 'mixture', 'seed': seed, 'steps': 10, 'wall_s': 1.0,
                 'cpu_s': 2.0, 'settings': 'x', 'overrides': {},
                 'picture': '', 'metrics': {'modes_covered': modes,
                                            'hq_fraction': hq,
                                            'reverse_kl': kl}})
  summary = quality.summarize(runs)['ring8_ns']
  assert summary['modes_covered'][0] == pytest.approx(7.5)
  assert summary['modes_covered'][1] == pytest.approx(math.sqrt(0.5))
  out = tmp_path / 'RESULTS.md'
  quality.write_report(str(out), runs, META)
  text = out.read_text()
  assert '| **ganjax NS-GAN**' in text
  assert '7.5 ± 0.7 |' in text
  assert '97.0% ± 1.4' in text
  assert 'PacGAN' in text and 'not run here' in text
  # 2 seeds < 10 and a mean below 8 modes: the target is not met.
  row = [l for l in text.splitlines() if l.startswith('| `ring8_ns`')][0]
  assert '**no**' in row
  json.dumps(runs)  # records stay JSON-serialisable
  # The hand-written lab notes at the end survive a rewrite.
  notes = '\n' + quality.NOTES + '\n\nkept by hand\n'
  out.write_text(text + notes)
  quality.write_report(str(out), runs, META)
  assert out.read_text() == text + notes


def test_small_data_study_report(tmp_path):
  """The small-data study's arms get their table, what each ingredient
  changed and whether the best arm meets the target."""
  quality = _quality_module()
  runs = []
  for key, fid in (('sd_ns', 30.0), ('sd_hinge_sn', 12.0),
                   ('sd_hinge_sn_diffaug', 14.0)):
    for seed in range(2):
      runs.append({'experiment': key, 'config': 'digits_wgan_gp',
                   'kind': 'classifier', 'seed': seed, 'steps': 10,
                   'wall_s': 1.0, 'cpu_s': 2.0, 'settings': 'x',
                   'overrides': quality.ALL_RUNS[key][2], 'picture': '',
                   'metrics': {'fid': fid, 'fid_floor': 10.0,
                               'class_coverage': 10, 'class_kl': 0.01,
                               'classifier_accuracy': 0.98}})
  out = tmp_path / 'RESULTS.md'
  quality.write_report(str(out), runs, META)
  text = out.read_text()
  row = [l for l in text.splitlines() if l.startswith('| `sd_hinge_sn` |')]
  assert row and '| hinge + SN | none |' in row[0] and '| 2/2 |' in row[0]
  assert '* hinge + SN instead of NS (none): 3.00 -> 1.20' in text
  assert '* DiffAugment on hinge + SN: 1.20 -> 1.40' in text
  assert 'Best arm at the same budget: `sd_hinge_sn`' in text
  assert '**met**' in text


def test_sngan32_digits_study_report(tmp_path):
  """The narrowed ResNet SNGAN-32 on digits gets its own table."""
  quality = _quality_module()
  runs = [{'experiment': 'sngan32_digits', 'config': 'cifar10_sngan',
           'kind': 'classifier', 'seed': seed, 'steps': 10, 'wall_s': 5.0,
           'cpu_s': 5.0, 'settings': 'x',
           'overrides': quality.ALL_RUNS['sngan32_digits'][2], 'picture': '',
           'metrics': {'fid': fid, 'fid_floor': 20.0, 'class_coverage': 10,
                       'class_kl': 0.02, 'classifier_accuracy': 0.98}}
          for seed, fid in enumerate((40.0, 60.0))]
  out = tmp_path / 'RESULTS.md'
  quality.write_report(str(out), runs, META)
  text = out.read_text()
  assert '## ResNet SNGAN-32 on the digits at 32x32' in text
  assert '| 2 | 50.0 ± 14.1 | 20.0 ± 0.0 | 2.50 ± 0.71 | 10.0 ± 0.0 |' in text
  assert quality.ALL_RUNS['sngan32_digits'][2]['model.generator'][
      'features'] == 32
