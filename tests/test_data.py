"""The input pipeline: every dataset's stream contract, determinism and
resume, the offline digits builder, image folders, the on-device stream,
toy statistics and each bad input."""

import os
import socket
import subprocess
import sys
import textwrap
from unittest import mock

import jax
import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from ganjax import config_lib, data, errors, parallel
from ganjax.data import digits as digits_lib
from ganjax.data import images, on_device, toy

TFDS_NAMES = ('mnist', 'fashion_mnist', 'svhn_cropped', 'cifar10', 'digits')
NUM_CLASSES = {'mnist': 10, 'fashion_mnist': 10, 'svhn_cropped': 10,
               'cifar10': 10, 'digits': 10}


def image_config(name, batch=8, n_critic=2, **data_fields):
  c = config_lib.base_config()
  c.data.name = name
  c.train.batch_size = batch
  c.train.n_critic = n_critic
  for key, value in data_fields.items():
    c.data[key] = value
  return c


def take(stream, n):
  return [jax.tree.map(np.asarray, next(stream)) for _ in range(n)]


def assert_same(a, b):
  assert len(a) == len(b)
  for x, y in zip(a, b):
    np.testing.assert_array_equal(x['x'], y['x'])
    np.testing.assert_array_equal(x['label'], y['label'])


@pytest.fixture
def mocked():
  """TFDS as random data; the network probe must not be consulted."""
  with tfds.testing.mock_data(num_examples=40), mock.patch.object(
      images, '_network_reaches',
      side_effect=AssertionError('probed the network under mock_data')):
    yield


@pytest.fixture(scope='module')
def digits_dir(tmp_path_factory):
  """``digits`` prepared for real into a fresh data_dir, with every Python
  socket connection refused (no network)."""
  data_dir = str(tmp_path_factory.mktemp('tfds'))
  with mock.patch.object(socket.socket, 'connect',
                         side_effect=OSError('network disabled in test')), \
      mock.patch.object(images, '_network_reaches',
                        side_effect=AssertionError('probed the network')):
    builder = images.open_builder('digits', data_dir)
  assert builder.is_prepared()
  return data_dir


def write_png(path, array):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  Image.fromarray(array).save(path)


@pytest.fixture
def folder(tmp_path):
  """An ImageFolder: train/{cats,dogs}/*.png of various sizes, RGB and
  grayscale."""
  rng = np.random.default_rng(0)
  for c, cls in enumerate(('cats', 'dogs')):
    for i in range(6):
      shape = (10 + i, 12, 3) if i % 2 else (9, 9 + i)
      write_png(str(tmp_path / 'train' / cls / f'{i}.png'),
                rng.integers(0, 256, shape, dtype=np.uint8))
  return str(tmp_path)


# --- every TFDS dataset under mock_data --------------------------------------

@pytest.mark.parametrize('name', TFDS_NAMES)
def test_stream_contract_under_mock_data(name, mocked, monkeypatch):
  config = image_config(name)
  shape = data.data_shape(config)
  assert shape == data.NATIVE_SHAPES[name]
  first, second = take(data.make_stream(config), 2)
  x, label = first['x'], first['label']
  assert x.shape == (2, 8) + shape and x.dtype == np.float32
  assert label.shape == (2, 8) and label.dtype == np.int32
  assert -1.0 <= x.min() < x.max() <= 1.0
  assert ((0 <= label) & (label < NUM_CLASSES[name])).all()
  assert not np.array_equal(first['x'], second['x'])
  # Same seed: same batches; another seed: others.
  assert_same(take(data.make_stream(config), 2), [first, second])
  other = take(data.make_stream(config, seed=1), 2)
  assert not np.array_equal(other[0]['x'], first['x'])
  # Per-device layout: [devices, n_critic, batch / devices, ...], device d
  # holding examples [d * 2, (d + 1) * 2) of each critic batch.
  monkeypatch.setattr(jax, 'local_device_count', lambda: 4)
  sharded = parallel.shard(first, 'pmap')
  assert sharded['x'].shape == (4, 2, 2) + shape
  assert sharded['label'].shape == (4, 2, 2)
  for d in range(4):
    np.testing.assert_array_equal(sharded['x'][d], x[:, 2 * d:2 * d + 2])
    np.testing.assert_array_equal(sharded['label'][d],
                                  label[:, 2 * d:2 * d + 2])


def test_resize_channels_and_value_range_under_mock_data(mocked):
  config = image_config('svhn_cropped', image_size=16, channels=1,
                        value_range=(0.0, 1.0))
  assert data.data_shape(config) == (16, 16, 1)
  x = take(data.make_stream(config), 1)[0]['x']
  assert x.shape == (2, 8, 16, 16, 1)
  assert 0.0 <= x.min() < x.max() <= 1.0
  config = image_config('mnist', image_size=32, channels=3)
  x = take(data.make_stream(config), 1)[0]['x']
  assert x.shape == (2, 8, 32, 32, 3)
  np.testing.assert_array_equal(x[..., 0], x[..., 2])  # Gray repeated.


def test_pixel_values_span_the_range_and_match_the_host_path():
  levels = np.arange(256, dtype=np.uint8)
  for value_range in ((-1.0, 1.0), (0.0, 1.0), (-0.5, 2.0), (-0.3, 0.7)):
    values = images.pixel_values(value_range)
    assert values.dtype == np.float32 and values.shape == (256,)
    assert values[0] == np.float32(value_range[0])
    np.testing.assert_allclose(values[-1], value_range[1], rtol=1e-6)
    assert values[-1] <= np.float32(value_range[1])
    assert (np.diff(values) > 0).all()
    # The tf.data path's arithmetic gives the table's values exactly, so
    # the host and on-device streams agree bit for bit.
    np.testing.assert_array_equal(
        images.to_float(levels, value_range).numpy(), values)


def test_tfdata_resume_continues_the_stream_under_mock_data(mocked):
  # 40 examples, 16 per step: every step crosses into a new epoch, so the
  # per-epoch reshuffle is part of what must line up.
  config = image_config('mnist')
  full = take(data.make_stream(config), 9)
  assert_same(take(data.make_stream(config, start_step=5), 4), full[5:])
  assert_same(take(data.make_stream(config, start_step=1), 8), full[1:])


def test_sample_real_is_numpy_and_seeded(mocked):
  config = image_config('cifar10', on_device=True)
  a = data.sample_real(config, 12, seed=3)
  assert isinstance(a['x'], np.ndarray) and a['x'].shape == (12, 32, 32, 3)
  assert_same([data.sample_real(config, 12, seed=3)], [a])


# --- the offline digits builder ----------------------------------------------

def test_digits_builder_prepares_offline_with_the_sklearn_data(digits_dir):
  from sklearn import datasets
  builder = tfds.builder('digits', data_dir=digits_dir)
  assert builder.info.splits['train'].num_examples == digits_lib.NUM_TRAIN
  assert builder.info.splits['test'].num_examples == digits_lib.NUM_TEST
  got = {}
  for split in ('train', 'test'):
    for ex in tfds.as_numpy(builder.as_dataset(split=split)):
      assert ex['image'].shape == (8, 8, 1) and ex['image'].dtype == np.uint8
      got.setdefault(split, []).append((ex['image'].tobytes(),
                                        int(ex['label'])))
  sk = datasets.load_digits()
  expected = sorted((im.tobytes(), int(t)) for im, t in
                    zip(digits_lib.to_uint8(sk.images), sk.target))
  assert sorted(got['train'] + got['test']) == expected  # All, exactly once.
  test_labels = np.bincount([lbl for _, lbl in got['test']], minlength=10)
  share = np.bincount(sk.target) * digits_lib.NUM_TEST / len(sk.target)
  assert (np.abs(test_labels - share) <= 1).all()  # Stratified by class.
  assert digits_lib.to_uint8(np.array([[[0.0, 16.0]]])).ravel().tolist() == [
      0, 255]


@pytest.mark.parametrize('size', (0, 16, 28))
def test_digits_stream_end_to_end(digits_dir, size):
  config = image_config('digits', batch=16, n_critic=1, data_dir=digits_dir,
                        image_size=size)
  side = size or 8
  assert data.data_shape(config) == (side, side, 1)
  with mock.patch.object(images, '_network_reaches',
                         side_effect=AssertionError('probed the network')):
    batches = take(data.make_stream(config), 2)
  x = batches[0]['x']
  assert x.shape == (1, 16, side, side, 1) and x.dtype == np.float32
  assert x.min() == -1.0 and x.max() == 1.0


def test_digits_resume_across_epochs(digits_dir):
  # 1,437 examples, 64 per step: epoch 0 ends inside step 22.
  config = image_config('digits', batch=32, n_critic=2, data_dir=digits_dir,
                        shuffle_buffer=2000)
  full = take(data.make_stream(config), 26)
  assert_same(take(data.make_stream(config, start_step=21), 5), full[21:])
  # One epoch holds every training example once (full shuffle buffer).
  epoch = np.concatenate([b['x'].reshape(64, -1) for b in full[:23]])[:1437]
  source = images.load_arrays(images.open_builder('digits', digits_dir),
                              'train', (8, 8, 1))[0]
  values = images.pixel_values((-1.0, 1.0))
  assert sorted(map(bytes, epoch)) == sorted(
      map(bytes, values[source.astype(np.int32)].reshape(1437, -1)))


def test_each_process_reads_its_own_shard(digits_dir, folder):
  for builder, split, shape in (
      (images.open_builder('digits', digits_dir), 'test', (8, 8, 1)),
      (images.open_builder('image_folder', path=folder), 'train',
       (8, 8, 3))):
    whole = images.load_arrays(builder, split, shape)[0]
    shards = [images.load_arrays(builder, split, shape, process_index=p,
                                 process_count=2)[0] for p in (0, 1)]
    assert abs(len(shards[0]) - len(shards[1])) <= 1
    assert sorted(map(bytes, np.concatenate(shards))) == sorted(
        map(bytes, whole))


def test_prepared_tfds_directory_as_image_folder(digits_dir):
  path = os.path.join(digits_dir, 'digits', '1.0.0')
  config = image_config('image_folder', path=path, split='test')
  assert data.data_shape(config) == (8, 8, 1)
  b = take(data.make_stream(config), 1)[0]
  assert b['x'].shape == (2, 8, 8, 8, 1)


# --- the on-device stream ----------------------------------------------------

def test_on_device_stream_contract_and_resume(digits_dir):
  config = image_config('digits', batch=32, n_critic=2, data_dir=digits_dir,
                        image_size=16, on_device=True)
  stream = data.make_stream(config)
  assert isinstance(stream, on_device.OnDeviceStream)
  first = next(stream)
  assert isinstance(first['x'], jax.Array)
  assert first['x'].shape == (2, 32, 16, 16, 1)
  assert first['x'].dtype == np.float32 and first['label'].dtype == np.int32
  x = np.asarray(first['x'])
  assert -1.0 <= x.min() < x.max() <= 1.0
  # The device copy is the host pipeline's data: every drawn image is one of
  # the dataset's images, with its label.
  source, labels = images.load_arrays(
      images.open_builder('digits', digits_dir), 'train', (16, 16, 1))
  table = {bytes(im): lbl for im, lbl in zip(
      images.pixel_values((-1.0, 1.0))[source.astype(np.int32)], labels)}
  for im, lbl in zip(x.reshape(64, 16, 16, 1),
                     np.asarray(first['label']).ravel()):
    assert table[bytes(im)] == lbl
  # Through parallel.device_stream (jit): the arrays go on unchanged.
  through = next(parallel.device_stream(data.make_stream(config), 'jit'))
  np.testing.assert_array_equal(np.asarray(through['x']), x)
  # Resume, across the end of epoch 0 (inside step 22), and seeds.
  full = take(data.make_stream(config), 25)
  assert_same(take(data.make_stream(config, start_step=20), 5), full[20:])
  other = take(data.make_stream(config, seed=1), 1)
  assert not np.array_equal(other[0]['x'], full[0]['x'])


def test_on_device_epochs_are_permutations():
  # Image i is the constant i: the drawn values name the drawn indices.
  n = 50
  pixels = np.repeat(np.arange(n, dtype=np.uint8), 4).reshape(n, 2, 2, 1)
  stream = on_device.OnDeviceStream(pixels, np.arange(n), (3, 4),
                                    (0.0, 255.0), seed=7)
  drawn = np.concatenate([np.asarray(next(stream)['label']).ravel()
                          for _ in range(25)])  # 300 = 6 epochs
  for e in range(6):
    assert sorted(drawn[e * n:(e + 1) * n]) == list(range(n))
  assert not np.array_equal(drawn[:n], drawn[n:2 * n])  # Reshuffled.
  b = next(on_device.OnDeviceStream(pixels, np.arange(n), (3, 4),
                                    (0.0, 255.0), seed=7, start_step=2))
  np.testing.assert_array_equal(np.asarray(b['label']).ravel(),
                                drawn[24:36])
  np.testing.assert_array_equal(np.asarray(b['x'])[..., 0, 0, 0],
                                np.asarray(b['label']))


def test_on_device_stream_on_two_devices():
  """With two (CPU) devices the batch axis is split between them and the
  values equal the one-device stream's; pmap through parallel works."""
  script = textwrap.dedent("""
      import os
      os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') +
                                 ' --xla_force_host_platform_device_count=2')
      import sys, types
      import jax, numpy as np
      # These modules without the package's __init__ (its API imports the
      # training loop and with it TensorFlow: seconds of CPU, unused here).
      package = types.ModuleType('ganjax')
      package.__path__ = [os.path.join(sys.argv[1], 'ganjax')]
      sys.modules['ganjax'] = package
      from ganjax import parallel
      from ganjax.data import on_device
      n = 30
      pixels = np.repeat(np.arange(n, dtype=np.uint8), 4).reshape(n, 2, 2, 1)
      two = on_device.OnDeviceStream(pixels, np.arange(n), (2, 8), (-1, 1), 3)
      one = on_device.OnDeviceStream(pixels, np.arange(n), (2, 8), (-1, 1), 3,
                                     devices=jax.devices()[:1])
      b2, b1 = next(two), next(one)
      assert len(b2['x'].sharding.device_set) == 2
      shard = b2['x'].addressable_shards[0].data
      assert shard.shape == (2, 4, 2, 2, 1), shard.shape
      np.testing.assert_array_equal(np.asarray(b2['x']), np.asarray(b1['x']))
      b = next(parallel.device_stream(iter([b2]), 'pmap'))
      assert b['x'].shape == (2, 2, 4, 2, 2, 1)
      np.testing.assert_array_equal(np.asarray(b['label'][1]),
                                    np.asarray(b1['label'])[:, 4:])
      print('ok')
      """)
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  env = dict(os.environ, PYTHONPATH=root, JAX_PLATFORMS='cpu')
  out = subprocess.run([sys.executable, '-c', script, root],
                       capture_output=True,
                       text=True, env=env, timeout=120, check=False)
  assert out.returncode == 0 and out.stdout.strip() == 'ok', out.stderr[-3000:]


# --- image folders -----------------------------------------------------------

def test_image_folder_stream(folder):
  config = image_config('image_folder', batch=4, n_critic=1, path=folder,
                        image_size=16)
  assert data.data_shape(config) == (16, 16, 3)
  batches = take(data.make_stream(config), 3)
  assert batches[0]['x'].shape == (1, 4, 16, 16, 3)
  labels = np.concatenate([b['label'].ravel() for b in batches])
  assert set(labels) == {0, 1}  # cats, dogs (sorted class folders)
  config.data.channels = 1
  assert take(data.make_stream(config), 1)[0]['x'].shape == (1, 4, 16, 16, 1)
  assert_same(take(data.make_stream(config, start_step=2), 1),
              take(data.make_stream(config), 3)[2:])


def test_image_folder_needs_an_image_size(folder):
  config = image_config('image_folder', path=folder)
  with pytest.raises(errors.ConfigError, match='image_size=0'):
    data.data_shape(config)


# --- bad input ---------------------------------------------------------------

def one_line(excinfo):
  message = str(excinfo.value)
  assert '\n' not in message
  return message


def test_unknown_dataset_lists_the_supported_ones():
  with pytest.raises(errors.ConfigError) as e:
    data.make_stream(image_config('imagenet'))
  message = one_line(e)
  assert "'imagenet'" in message
  for name in data.DATASETS:
    assert repr(name) in message


def test_not_prepared_and_no_network_fails_fast(tmp_path):
  config = image_config('svhn_cropped', data_dir=str(tmp_path))
  with mock.patch.object(images, '_network_reaches',
                         return_value=False) as probe, \
      pytest.raises(errors.DataError) as e:
    data.make_stream(config)
  probe.assert_called()  # Asked the network first: no download retries.
  message = one_line(e)
  assert "'svhn_cropped'" in message and str(tmp_path) in message
  assert 'download_and_prepare' in message and 'copy' in message


def test_network_probe_is_bounded_and_says_no_on_an_unreachable_host():
  assert not images._network_reaches('host.invalid', timeout=1.0)  # pylint: disable=protected-access
  with mock.patch('socket.create_connection',
                  side_effect=TimeoutError('timed out')) as connect:
    assert not images._network_reaches('example.org')  # pylint: disable=protected-access
  # The probe never waits longer than its timeout (3 s by default).
  assert connect.call_args.kwargs['timeout'] == 3.0


def test_batch_not_divisible_by_devices(monkeypatch):
  monkeypatch.setattr(jax, 'device_count', lambda: 3)
  with pytest.raises(errors.ConfigError) as e:
    data.make_stream(image_config('ring8', batch=64))
  message = one_line(e)
  assert 'batch_size=64' in message and '3 devices' in message


def test_empty_image_folder(tmp_path):
  config = image_config('image_folder', path=str(tmp_path), image_size=8)
  with pytest.raises(errors.DataError) as e:
    data.make_stream(config)
  assert str(tmp_path) in one_line(e) and 'no images' in one_line(e)
  os.makedirs(tmp_path / 'train' / 'cats')  # Class folder, no images.
  with pytest.raises(errors.DataError, match='no images'):
    data.data_shape(config)


def test_unreadable_file_in_image_folder_is_named(folder):
  bad = os.path.join(folder, 'train', 'dogs', '3.png')
  with open(bad, 'wb') as f:
    f.write(b'not an image')
  config = image_config('image_folder', path=folder, image_size=8)
  with pytest.raises(errors.DataError) as e:
    data.make_stream(config)
  assert bad in one_line(e)


def test_image_folder_without_path_or_with_unknown_split(folder):
  with pytest.raises(errors.ConfigError, match='config.data.path'):
    data.data_shape(image_config('image_folder', image_size=8))
  config = image_config('image_folder', path=folder, image_size=8,
                        split='test')
  with pytest.raises(errors.ConfigError) as e:
    data.make_stream(config)
  assert "'test'" in one_line(e) and "['train']" in one_line(e)


# --- toy distributions -------------------------------------------------------

@pytest.mark.parametrize('name', sorted(toy.TOY))
def test_toy_mean_and_spread(name):
  dist = toy.TOY[name]
  batch = next(toy.toy_stream(dist, (1, 20_000), seed=0))
  x, modes = batch['x'][0], batch['label'][0]
  assert x.shape == (20_000, dist.dim) and x.dtype == np.float32
  # Around its mode, each sample is N(0, std^2) in every coordinate.
  residual = x - dist.means[modes]
  np.testing.assert_allclose(residual.mean(0), 0.0, atol=4 * dist.std / 100)
  np.testing.assert_allclose(residual.std(0), dist.std, rtol=0.03)
  # Modes are equally likely; the mixture's mean is the means' mean.
  counts = np.bincount(modes, minlength=dist.num_modes)
  np.testing.assert_allclose(counts / 20_000, 1 / dist.num_modes, atol=0.01)
  np.testing.assert_allclose(x.mean(0), dist.means.mean(0), atol=0.05)
  if name == 'gaussian1d':
    assert abs(x.mean() - 4.0) < 0.04 and abs(x.std() - 1.25) < 0.03
  if name == 'ring8':
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=0.05)
  if name == 'grid25':  # Mixture variance per axis: var{-4..4} + std^2 = 8.
    np.testing.assert_allclose(x.std(0), np.sqrt(8 + 0.05**2), rtol=0.03)


def test_toy_stream_is_seeded_and_resumes():
  config = image_config('grid25', batch=16, n_critic=3)
  full = take(data.make_stream(config), 6)
  assert full[0]['x'].shape == (3, 16, 2) and full[0]['label'].shape == (3, 16)
  assert_same(take(data.make_stream(config, start_step=4), 2), full[4:])
  assert not np.array_equal(take(data.make_stream(config, seed=5), 1)[0]['x'],
                            full[0]['x'])
