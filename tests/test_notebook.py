"""examples/colab.ipynb runs top to bottom and renders its pictures."""

import os

import nbclient
import nbformat

from conftest import ROOT


def test_colab_notebook_runs_and_renders_images(tmp_path):
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
  # Last sample grid, loss curves, scatter, and the variant's samples.
  assert len(images) >= 4
  text = ''.join(o.get('text', '') for o in outputs)
  assert 'trained to step 2000' in text
  assert "'modes_covered'" in text
