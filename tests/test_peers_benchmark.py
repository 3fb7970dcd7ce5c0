"""benchmarks/dcgan_peers.py's PyTorch peers, at tiny size: the ResNet
SNGAN-32 has ganjax's parameter counts, and one eager step of both models
runs. The ``torch.compile`` rows are not compiled here (inductor takes ~30
CPU-s for the DCGAN, ~125 for the ResNet); they were smoke-run through the
script (docs/BENCHMARKS.md)."""

import importlib
import os
import sys

import pytest

torch = pytest.importorskip('torch')

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ganjax's ResNet SNGAN-32 on 32x32x3 (ganjax/models/resnet.py,
# tests/test_resnet.py).
G_PARAMS, D_PARAMS = 4_276_739, 1_053_825


@pytest.fixture(scope='module')
def peers():
  sys.path.insert(0, os.path.join(ROOT, 'benchmarks'))
  try:
    return importlib.import_module('dcgan_peers')
  finally:
    sys.path.pop(0)


def test_torch_sngan32_has_ganjax_parameter_counts(peers):
  g, d = peers.torch_sngan32_models()
  _, gan = peers._ganjax_gan(  # pylint: disable=protected-access
      True, 8, model='sngan32')
  assert (peers.count_params(g), peers.count_params(d)) == (
      G_PARAMS, D_PARAMS) == peers.ganjax_param_counts(gan)


def _one_step(step, last):
  step()
  loss = float(last[0].detach())
  assert loss == loss  # not NaN


@pytest.mark.parametrize('model,widths', [('dcgan', {}),
                                          ('sngan32', dict(ngf=16, ndf=16))])
def test_torch_eager_step_runs(peers, model, widths):
  step, last, g, _ = peers.torch_gan(model, 4, torch.device('cpu'), **widths)
  before = [p.detach().clone() for p in g.parameters()]
  _one_step(step, last)
  assert any(not torch.equal(a, p) for a, p in zip(before, g.parameters()))


def test_a_worker_past_its_timeout_is_a_failed_row(peers, tmp_path):
  script = tmp_path / 'slow.py'
  script.write_text('import time\ntime.sleep(30)\n')
  result = peers.run_worker('torch', [], script=str(script), timeout=0.5)
  assert result == {'error': 'stopped after --worker_timeout=0.5 s'}
