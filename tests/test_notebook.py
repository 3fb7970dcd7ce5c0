"""examples/colab.ipynb runs top to bottom and renders its pictures."""

import os

import nbclient
import nbformat

from conftest import ROOT, TEST_XLA_FLAGS


def test_colab_notebook_runs_and_renders_images(tmp_path, monkeypatch):
  # The kernel trains for minutes: it compiles with XLA's optimisation on,
  # as a user's would (conftest.TEST_XLA_FLAGS turns it off for the
  # compile-bound tests; here it cost 94 CPU-s against 63).
  monkeypatch.setenv('XLA_FLAGS', os.environ.get('XLA_FLAGS', '').replace(
      TEST_XLA_FLAGS, '').strip())
  path = os.path.join(ROOT, 'examples', 'colab.ipynb')
  nb = nbformat.read(path, as_version=4)
  client = nbclient.NotebookClient(
      nb, timeout=600, kernel_name='python3',
      resources={'metadata': {'path': os.path.join(ROOT, 'examples')}})
  client.execute()
  outputs = [o for cell in nb.cells if cell.cell_type == 'code'
             for o in cell.get('outputs', [])]
  assert not [o for o in outputs if o.output_type == 'error']
  images = [o for o in outputs if 'image/png' in o.get('data', {})]
  # Toy: last sample grid, loss curves, scatter, the variant's samples.
  # Images: the DCGAN's live grid and interpolation; the VAE's live grid,
  # samples, interpolation.
  assert len(images) >= 9
  text = ''.join(o.get('text', '') for o in outputs)
  assert 'trained to step 2000' in text
  assert "'modes_covered'" in text
  assert 'trained to step 200' in text  # the DCGAN
  # The sample grid shown while training (show_samples=True) is one output
  # updated in place, so each training cell ends with one picture.
  live = [cell for cell in nb.cells if cell.cell_type == 'code' and
          'show_samples=True' in cell.source]
  assert len(live) == 2
  for cell in live:
    assert any('image/png' in o.get('data', {}) for o in cell.outputs)
