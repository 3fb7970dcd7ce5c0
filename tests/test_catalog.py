"""Finding a config: ``launch.py --list_configs`` prints every config with
its one-line description, its data and whether that data is here offline."""

from unittest import mock

import tensorflow_datasets as tfds
from absl import flags

from ganjax import catalog
from conftest import ROOT  # pylint: disable=unused-import  # puts ROOT on the path


def test_every_config_is_listed_with_its_data_and_availability(tmp_path):
  entries = {e.name: e for e in catalog.entries(
      {'data.data_dir': str(tmp_path)})}
  assert set(entries) == set(catalog.config_names())
  assert {'default', 'digits_vae', 'mnist_dcgan', 'svhn_wgan'} <= set(entries)
  assert all(e.description and '\n' not in e.description
             for e in entries.values())
  assert entries['default'].data == 'ring8' and entries['default'].offline
  assert entries['digits_vae'].offline  # built from scikit-learn
  mnist = entries['mnist_dcgan']
  assert mnist.data == 'mnist' and not mnist.offline
  assert f'not prepared in {tmp_path}' in mnist.how
  with mock.patch.object(tfds.core.DatasetBuilder, 'is_prepared',
                         return_value=True):
    catalog._tfds_prepared.cache_clear()  # pylint: disable=protected-access
    svhn = catalog.entries({'data.data_dir': str(tmp_path)})
  catalog._tfds_prepared.cache_clear()  # pylint: disable=protected-access
  svhn = {e.name: e for e in svhn}['svhn_wgan']
  assert svhn.offline and f'prepared in {tmp_path}' in svhn.how


def test_launch_list_configs_prints_the_table(capsys):
  import launch  # pylint: disable=g-import-not-at-top
  try:
    flags.FLAGS(['launch.py', '--list_configs'])
    launch.main(['launch.py'])
  finally:
    flags.FLAGS.unparse_flags()
  out = capsys.readouterr().out.splitlines()
  assert out[0].split() == ['config', 'data', 'offline?']
  row = [l for l in out if l.startswith('digits_vae ')][0]
  assert row.split()[1:3] == ['digits', 'yes']
  assert len(out) == 1 + 2 * len(catalog.config_names())
