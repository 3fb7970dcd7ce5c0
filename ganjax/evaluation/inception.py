"""The FID Inception-v3 in Flax linen: the network and weights that
pytorch-fid and clean-fid use (TensorFlow's 2015-12-05 Inception graph,
ported to PyTorch as ``pt_inception-2015-12-05-6726825d.pth``).

``FIDInception`` maps images [N, 299, 299, 3] in [-1, 1] to the pool3
features [N, 2048] and the logits [N, 1008]. It differs from torchvision's
Inception-v3 where pytorch-fid's ``fid_inception_v3`` does: 1008 classes,
average pools that leave the padding out of the mean, and a max pool in the
last block's pooling branch. Layer names are the PyTorch module names, so
the ``.pth`` state dict maps key by key (``params_from_state_dict``).

``preprocess`` does what pytorch-fid's ``InceptionV3(resize_input=True,
normalize_input=True)`` does to images in [0, 1]: bilinear resize to 299 x
299 (``align_corners=False``, no antialiasing) and scaling to [-1, 1].

Weights: ``load_weights(path)`` reads the ``.pth`` (with PyTorch, whose
``torch.load(weights_only=True)`` reads no pickled code) or a ``.npz`` of
the same keys; ``weights_path(path)`` finds or downloads the file and
fails in one line saying how to get it.
"""

from __future__ import annotations

import functools
import os
import urllib.request
from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from ganjax import errors
from ganjax.evaluation import classifier

WEIGHTS_URL = ('https://github.com/mseitzer/pytorch-fid/releases/download/'
               'fid_weights/pt_inception-2015-12-05-6726825d.pth')
WEIGHTS_FILE = 'pt_inception-2015-12-05-6726825d.pth'
SIZE = 299
FEATURES = 2048
CLASSES = 1008


class BasicConv(nn.Module):
  """Conv (no bias) -> BatchNorm (eps 1e-3, running statistics) -> ReLU."""
  features: int
  kernel: Sequence[int] = (1, 1)
  stride: int = 1
  padding: Sequence[int] = (0, 0)

  @nn.compact
  def __call__(self, x):
    ph, pw = self.padding
    x = nn.Conv(self.features, tuple(self.kernel), (self.stride,) * 2,
                padding=((ph, ph), (pw, pw)), use_bias=False,
                name='conv')(x)
    x = nn.BatchNorm(use_running_average=True, epsilon=1e-3, name='bn')(x)
    return nn.relu(x)


def _avg_pool(x):
  """3x3 stride 1, padding 1, the padding left out of the mean (as
  TensorFlow's pool and pytorch-fid's ``count_include_pad=False``)."""
  return nn.avg_pool(x, (3, 3), (1, 1), ((1, 1), (1, 1)),
                     count_include_pad=False)


def _max_pool(x, stride: int = 2, pad: int = 0):
  return nn.max_pool(x, (3, 3), (stride, stride), ((pad, pad), (pad, pad)))


def _branch(x, convs):
  """Applies BasicConvs given as (name, features, kernel, stride, pad)."""
  for name, features, kernel, stride, pad in convs:
    x = BasicConv(features, kernel, stride, pad, name=name)(x)
  return x


K1, K3, P1 = (1, 1), (3, 3), (1, 1)
K17, K71, P03, P30 = (1, 7), (7, 1), (0, 3), (3, 0)
K13, K31, P01, P10 = (1, 3), (3, 1), (0, 1), (1, 0)
P0 = (0, 0)


class InceptionA(nn.Module):
  pool_features: int

  @nn.compact
  def __call__(self, x):
    return jnp.concatenate([
        _branch(x, [('branch1x1', 64, K1, 1, P0)]),
        _branch(x, [('branch5x5_1', 48, K1, 1, P0),
                    ('branch5x5_2', 64, (5, 5), 1, (2, 2))]),
        _branch(x, [('branch3x3dbl_1', 64, K1, 1, P0),
                    ('branch3x3dbl_2', 96, K3, 1, P1),
                    ('branch3x3dbl_3', 96, K3, 1, P1)]),
        _branch(_avg_pool(x), [('branch_pool', self.pool_features, K1, 1,
                                P0)]),
    ], axis=-1)


class InceptionB(nn.Module):

  @nn.compact
  def __call__(self, x):
    return jnp.concatenate([
        _branch(x, [('branch3x3', 384, K3, 2, P0)]),
        _branch(x, [('branch3x3dbl_1', 64, K1, 1, P0),
                    ('branch3x3dbl_2', 96, K3, 1, P1),
                    ('branch3x3dbl_3', 96, K3, 2, P0)]),
        _max_pool(x),
    ], axis=-1)


class InceptionC(nn.Module):
  channels_7x7: int

  @nn.compact
  def __call__(self, x):
    c7 = self.channels_7x7
    return jnp.concatenate([
        _branch(x, [('branch1x1', 192, K1, 1, P0)]),
        _branch(x, [('branch7x7_1', c7, K1, 1, P0),
                    ('branch7x7_2', c7, K17, 1, P03),
                    ('branch7x7_3', 192, K71, 1, P30)]),
        _branch(x, [('branch7x7dbl_1', c7, K1, 1, P0),
                    ('branch7x7dbl_2', c7, K71, 1, P30),
                    ('branch7x7dbl_3', c7, K17, 1, P03),
                    ('branch7x7dbl_4', c7, K71, 1, P30),
                    ('branch7x7dbl_5', 192, K17, 1, P03)]),
        _branch(_avg_pool(x), [('branch_pool', 192, K1, 1, P0)]),
    ], axis=-1)


class InceptionD(nn.Module):

  @nn.compact
  def __call__(self, x):
    return jnp.concatenate([
        _branch(x, [('branch3x3_1', 192, K1, 1, P0),
                    ('branch3x3_2', 320, K3, 2, P0)]),
        _branch(x, [('branch7x7x3_1', 192, K1, 1, P0),
                    ('branch7x7x3_2', 192, K17, 1, P03),
                    ('branch7x7x3_3', 192, K71, 1, P30),
                    ('branch7x7x3_4', 192, K3, 2, P0)]),
        _max_pool(x),
    ], axis=-1)


class InceptionE(nn.Module):
  """``max_pool_branch``: the last block pools its branch with a max pool
  (pytorch-fid's ``FIDInceptionE_2``), the one before with an average."""
  max_pool_branch: bool = False

  @nn.compact
  def __call__(self, x):
    b3 = _branch(x, [('branch3x3_1', 384, K1, 1, P0)])
    d3 = _branch(x, [('branch3x3dbl_1', 448, K1, 1, P0),
                     ('branch3x3dbl_2', 384, K3, 1, P1)])
    pool = (_max_pool(x, 1, 1) if self.max_pool_branch else _avg_pool(x))
    return jnp.concatenate([
        _branch(x, [('branch1x1', 320, K1, 1, P0)]),
        _branch(b3, [('branch3x3_2a', 384, K13, 1, P01)]),
        _branch(b3, [('branch3x3_2b', 384, K31, 1, P10)]),
        _branch(d3, [('branch3x3dbl_3a', 384, K13, 1, P01)]),
        _branch(d3, [('branch3x3dbl_3b', 384, K31, 1, P10)]),
        _branch(pool, [('branch_pool', 192, K1, 1, P0)]),
    ], axis=-1)


class FIDInception(nn.Module):
  """[N, 299, 299, 3] in [-1, 1] -> (pool3 [N, 2048], logits [N, 1008])."""

  @nn.compact
  def __call__(self, x):
    x = _branch(x, [('Conv2d_1a_3x3', 32, K3, 2, P0),
                    ('Conv2d_2a_3x3', 32, K3, 1, P0),
                    ('Conv2d_2b_3x3', 64, K3, 1, P1)])
    x = _max_pool(x)
    x = _branch(x, [('Conv2d_3b_1x1', 80, K1, 1, P0),
                    ('Conv2d_4a_3x3', 192, K3, 1, P0)])
    x = _max_pool(x)
    x = InceptionA(32, name='Mixed_5b')(x)
    x = InceptionA(64, name='Mixed_5c')(x)
    x = InceptionA(64, name='Mixed_5d')(x)
    x = InceptionB(name='Mixed_6a')(x)
    for name, c7 in (('Mixed_6b', 128), ('Mixed_6c', 160), ('Mixed_6d', 160),
                     ('Mixed_6e', 192)):
      x = InceptionC(c7, name=name)(x)
    x = InceptionD(name='Mixed_7a')(x)
    x = InceptionE(name='Mixed_7b')(x)
    x = InceptionE(max_pool_branch=True, name='Mixed_7c')(x)
    pool3 = x.mean(axis=(1, 2))
    return pool3, nn.Dense(CLASSES, name='fc')(pool3)


def resize_matrix(in_size: int, out_size: int) -> np.ndarray:
  """[out, in] weights of bilinear resizing along one axis with
  ``align_corners=False`` and no antialiasing (PyTorch's
  ``F.interpolate(mode='bilinear')``): output i reads the input at
  ``max((i + 0.5) * in / out - 0.5, 0)``, interpolating its two
  neighbours (the last one repeated at the edge)."""
  src = np.maximum((np.arange(out_size) + 0.5) * in_size / out_size - 0.5,
                   0.0)
  lo = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
  hi = np.minimum(lo + 1, in_size - 1)
  frac = src - lo
  weights = np.zeros((out_size, in_size), np.float64)
  np.add.at(weights, (np.arange(out_size), lo), 1.0 - frac)
  np.add.at(weights, (np.arange(out_size), hi), frac)
  return weights


def preprocess(images: jax.Array) -> jax.Array:
  """Images [N, H, W, C] in [0, 1] (C = 1 or 3; grey repeated to RGB) ->
  [N, 299, 299, 3] in [-1, 1], resized as ``resize_matrix``."""
  if images.shape[-1] == 1:
    images = jnp.repeat(images, 3, axis=-1)
  rows = jnp.asarray(resize_matrix(images.shape[1], SIZE), jnp.float32)
  cols = jnp.asarray(resize_matrix(images.shape[2], SIZE), jnp.float32)
  resized = jnp.einsum('oh,nhwc,pw->nopc', rows, images, cols,
                       precision=jax.lax.Precision.HIGHEST)
  return 2.0 * resized - 1.0


@functools.partial(jax.jit, static_argnums=0)
def _apply(model: FIDInception, variables: Any, images: jax.Array):
  return model.apply(variables, preprocess(images))


def features_and_logits(variables: Any, images: np.ndarray,
                        batch_size: int = 50) -> tuple[np.ndarray, np.ndarray]:
  """pool3 features [N, 2048] and logits [N, 1008] (float64) of images in
  [0, 1], in batches of a fixed size (``classifier.in_batches``)."""
  model = FIDInception()
  return classifier.in_batches(lambda x: _apply(model, variables, x),
                               images, batch_size)


def params_from_state_dict(state: dict[str, np.ndarray]) -> dict[str, Any]:
  """The Flax variables ``{'params', 'batch_stats'}`` of a PyTorch state
  dict of the FID Inception (``Mixed_5b.branch1x1.conv.weight``, ...):
  conv kernels [O, I, kh, kw] -> [kh, kw, I, O], the fc weight transposed,
  BatchNorm weight/bias -> scale/bias and running mean/var -> mean/var."""
  renamed = {'weight': 'scale', 'running_mean': 'mean', 'running_var': 'var'}
  variables: dict[str, Any] = {'params': {}, 'batch_stats': {}}
  for key, value in state.items():
    *path, leaf = key.split('.')
    if leaf == 'num_batches_tracked':
      continue
    value = np.asarray(value, np.float32)
    if path[-1] == 'conv':
      collection, leaf, value = 'params', 'kernel', value.transpose(2, 3, 1, 0)
    elif path[-1] == 'fc':
      collection = 'params'
      if leaf == 'weight':
        leaf, value = 'kernel', value.T
    else:  # bn
      collection = 'batch_stats' if leaf.startswith('running') else 'params'
      leaf = renamed.get(leaf, leaf)
    node = variables[collection]
    for part in path:
      node = node.setdefault(part, {})
    node[leaf] = value
  return variables


def _read_state_dict(path: str) -> dict[str, np.ndarray]:
  if path.endswith('.npz'):
    with np.load(path) as f:
      return {k: f[k] for k in f.files}
  try:
    import torch  # pylint: disable=g-import-not-at-top
  except ImportError:
    raise errors.ConfigError(
        f'reading the PyTorch file {path} needs torch (pip install '
        "'torch>=2.13' --index-url https://download.pytorch.org/whl/cpu), "
        'or give an .npz of its state dict (numpy.savez(path, '
        '**{k: v.numpy() for k, v in torch.load(pth).items()})).') from None
  state = torch.load(path, map_location='cpu', weights_only=True)
  return {k: v.numpy() for k, v in state.items()}


def _reason(e: Exception) -> str:
  """An exception's first line, short, for a one-line message."""
  return str(e).splitlines()[0][:160] if str(e) else type(e).__name__


def load_weights(path: str) -> dict[str, Any]:
  """Flax variables from a ``.pth`` or ``.npz`` state dict; one line when
  the file does not hold the FID Inception's weights."""
  try:
    variables = params_from_state_dict(_read_state_dict(path))
    expected = jax.eval_shape(FIDInception().init, jax.random.PRNGKey(0),
                              jnp.zeros((1, SIZE, SIZE, 3), jnp.float32))
    got = jax.tree.map(np.shape, variables)
    want = jax.tree.map(lambda s: tuple(s.shape), expected)
    if got != want:
      raise ValueError('its tensors are not those of the FID Inception')
  except errors.GanjaxError:
    raise
  except Exception as e:  # pylint: disable=broad-except
    raise errors.ConfigError(
        f'{path} is not a readable FID Inception weights file '
        f'({_reason(e)}); download {WEIGHTS_URL} again.') from None
  return variables


def default_weights_path(cache_dir: str) -> str:
  return os.path.join(cache_dir, WEIGHTS_FILE)


def download(url: str, path: str) -> None:
  """Downloads ``url`` to ``path`` atomically."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = f'{path}.tmp{os.getpid()}'
  with urllib.request.urlopen(url, timeout=60) as response, \
      open(tmp, 'wb') as f:
    while chunk := response.read(1 << 20):
      f.write(chunk)
  os.replace(tmp, path)


def weights_path(path: str | None, cache_dir: str) -> str:
  """``path`` when given (it must exist); else the file in ``cache_dir``,
  downloaded from pytorch-fid's release when absent. One line on
  failure, saying how to get the file."""
  how = (f'download {WEIGHTS_URL} on a machine with internet and set '
         'config.eval.inception.weights to its path (or copy it to '
         f'{default_weights_path(cache_dir)})')
  if path:
    if not os.path.exists(path):
      raise errors.ConfigError(
          f'config.eval.inception.weights={path!r} does not exist: {how}.')
    return path
  path = default_weights_path(cache_dir)
  if not os.path.exists(path):
    try:
      download(WEIGHTS_URL, path)
    except Exception as e:  # pylint: disable=broad-except
      raise errors.ConfigError(
          f'the FID Inception weights are not in {cache_dir} and could not '
          f'be downloaded ({_reason(e)}): {how}.') from None
  return path
