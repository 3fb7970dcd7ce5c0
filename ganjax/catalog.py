"""Every config of ``configs/``: its one-line description, the data it
needs, and whether that data can be had on this machine without a network
(``python launch.py --list_configs`` prints the table).

Data is available offline when it is generated (the toy distributions),
built from local files (``digits``, from scikit-learn's bundled copy), a
TFDS dataset already prepared in its ``data_dir`` (``tfds.builder(...).
is_prepared()``), or an image folder whose ``config.data.path`` exists.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import glob
import os

import ml_collections

from ganjax import config_lib
from ganjax.data import images, toy


@dataclasses.dataclass(frozen=True)
class Entry:
  """One config: ``name`` (``configs/<name>.py``), the first line of its
  docstring, ``config.data.name``, and whether (and how) the data is here."""
  name: str
  description: str
  data: str
  offline: bool
  how: str


def config_names() -> list[str]:
  """The names of the repository's ``configs/*.py``, sorted."""
  root = os.path.dirname(config_lib.config_path('default'))
  return sorted(os.path.splitext(os.path.basename(p))[0]
                for p in glob.glob(os.path.join(root, '*.py')))


def description(name: str) -> str:
  """The first line of ``configs/<name>.py``'s docstring (read, not run)."""
  with open(config_lib.config_path(name)) as f:
    doc = ast.get_docstring(ast.parse(f.read())) or ''
  return doc.strip().splitlines()[0] if doc.strip() else ''


def data_availability(config: ml_collections.ConfigDict) -> tuple[bool, str]:
  """``(offline, how)``: whether ``config``'s data is here without a
  network, and in a few words why or what it takes."""
  d = config.data
  if d.name in toy.TOY:
    return True, 'generated'
  if d.name in images.OFFLINE_DATASETS:
    return True, 'built from scikit-learn, no download'
  if d.name == images.FOLDER:
    if d.path and os.path.isdir(os.path.expanduser(d.path)):
      return True, f'folder {d.path}'
    return False, 'needs --config.data.path=DIR'
  prepared, where = _tfds_prepared(d.name, d.data_dir)
  if prepared:
    return True, f'TFDS, prepared in {where}'
  return False, (f'TFDS, not prepared in {where}: downloaded on first use '
                 'where there is a network')


@functools.lru_cache(maxsize=None)
def _tfds_prepared(name: str, data_dir: str | None) -> tuple[bool, str]:
  """Whether TFDS has ``name`` prepared in ``data_dir`` (None: its default,
  ``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``), and that folder."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  builder = tfds.builder(name, data_dir=data_dir)
  return (builder.is_prepared(),
          os.path.dirname(os.path.dirname(builder.data_dir)))


def entries(overrides: dict | None = None) -> list[Entry]:
  """Every config, each with ``overrides`` applied (e.g.
  ``{'data.data_dir': DIR}`` to ask about another TFDS folder)."""
  out = []
  for name in config_names():
    config = config_lib.get_config(name, **(overrides or {}))
    offline, how = data_availability(config)
    out.append(Entry(name, description(name), config.data.name, offline,
                     how))
  return out


def table(overrides: dict | None = None) -> str:
  """``entries`` as text: one line per config (name, data, offline or not
  and why), its description indented on the next."""
  rows = entries(overrides)
  width = max(len(e.name) for e in rows)
  data_width = max(len(e.data) for e in rows)
  lines = [f'{"config":{width}}  {"data":{data_width}}  offline?']
  for e in rows:
    lines.append(f'{e.name:{width}}  {e.data:{data_width}}  '
                 f'{"yes" if e.offline else "no "} ({e.how})')
    lines.append(f'{"":{width}}  {e.description}')
  return '\n'.join(lines)
