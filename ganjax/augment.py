"""Differentiable augmentation of D's inputs for GANs on small data.

Two schemes, both pure functions of a PRNG key and NHWC images in
[-1, 1], jittable, and differentiable w.r.t. the images (so G's gradient
passes through the augmentation of its samples):

* **DiffAugment** (Zhao et al. 2020, *Differentiable Augmentation for
  Data-Efficient GAN Training*; reference mit-han-lab/data-efficient-gans,
  ``DiffAugment_tf.py`` / ``DiffAugment_pytorch.py``): every transform of
  the policy is applied to every example, with per-example parameters.
  ``policy`` is a comma-separated list of groups, applied in the order
  written (the reference's default for small data is
  ``'color,translation,cutout'``):

  - ``color``: brightness ``x + b``, ``b ~ U[-0.5, 0.5)``; then saturation
    ``m_c + s (x - m_c)``, ``s ~ U[0, 2)``, ``m_c`` the mean over channels
    of each pixel (the identity on one channel); then contrast
    ``m + c (x - m)``, ``c ~ U[0.5, 1.5)``, ``m`` the mean of each image
    over H, W and C.
  - ``translation``: an integer shift of the content by ``(dy, dx)``,
    ``dy`` uniform in ``[-H//8, H//8]`` and ``dx`` in ``[-W//8, W//8]``
    (ratio 1/8), zero padding (0 is mid-grey in [-1, 1]). The reference
    writes ``out[i] = x[i + t]``; here ``out[i] = x[i - t]``, ``t`` the
    content's displacement: the same distribution (symmetric).
  - ``cutout``: a ``H//2 x W//2`` square (ratio 1/2) set to 0; its centre
    row ``cy`` is uniform in ``[0, H - (H//2) % 2]`` (``cx`` likewise) and
    it covers rows ``[cy - (H//2)//2, cy - (H//2)//2 + H//2)``, clipped to
    the image (a square at the border is cut off, as in the reference).

* **ADA** (Karras et al. 2020, *Training Generative Adversarial Networks
  with Limited Data*; reference NVlabs/stylegan2-ada-pytorch,
  ``training/augment.py`` ``AugmentPipe``): each transform is applied to
  each example independently with probability ``p`` (all probability
  multipliers 1, as the reference's presets); ``p`` is a float32 scalar
  (traced: it lives in the training state) moved by ``ada_update``.
  ``pipeline`` names groups of ADA's presets (``train.py --augpipe``);
  whatever their order in the string, they run in the reference's order
  blit, color, cutout:

  - ``blit`` (pixel blitting, exact, no resampling): x-flip (when
    selected, flipped with probability 1/2); rotation by ``k * 90``
    degrees, ``k`` uniform in {0, 1, 2, 3} (square images only); integer
    translation by ``round(u * W)`` columns and ``round(u * H)`` rows, ``u
    ~ U(-0.125, 0.125)`` (``xint_max``), with reflection padding, as the
    reference's ``reflect`` pad of its geometric pipeline.
  - ``color``, applied in this order as the reference composes its colour
    matrix: brightness ``x + b``, ``b ~ N(0, 0.2^2)``; contrast ``c x``
    (about 0, mid-grey, not about the image mean), ``log2 c ~ N(0,
    0.5^2)``; luma flip ``x - 2 m_c`` (when selected, with probability
    1/2; ``-x`` on one channel); hue rotation by ``theta ~ U(-pi, pi)``
    about the luma axis ``(1, 1, 1)/sqrt(3)`` (three channels only);
    saturation ``m_c + s (x - m_c)``, ``log2 s ~ N(0, 1)``. With one
    channel the reference reduces its colour matrix to the grey axis:
    the same as these formulas (hue and saturation are the identity).
  - ``cutout``: a rectangle of half the image's height and width
    (``cutout_size`` 0.5) set to 0, centred at a uniform point of the
    image: pixels with ``|(i + 0.5)/H - cy| < 1/4`` and ``|(j + 0.5)/W - cx|
    < 1/4``. Not in ADA's default preset ``bgc``; in ``bgcfnc``.

  Left out of ADA's pipeline: the general geometric group ``geom``
  (isotropic and anisotropic scaling, arbitrary rotation, fractional
  translation: they need the reference's wavelet up/down-sampling around
  a bilinear resampler), image-space filtering and additive noise.

  The controller (``ada_update``, the reference's ``training_loop.py``):
  ``r_t = E[sign(D(x_real))]`` over the real logits seen since the last
  adjustment, and every ``interval`` D steps (``ada_interval`` = 4)
  ``p <- clip(p + sign(r_t - target) * batch * interval / speed_images,
  0, 1)``: ``target`` 0.6 (``ada_target``), ``speed_images`` 500,000
  (``ada_kimg`` = 500: p can move by 1 in 500k real images). The
  references clip at 0 only (p > 1 augments as p = 1 but must come back
  down first); ``max_p=jnp.inf`` reproduces that.

For the training step (the integrator's notes):

* the same policy (or pipeline and ``p``) is applied to the real and the
  fake batch in every D call (the loss, and the gradient penalty's and
  R1's critic calls, which score augmented images too: stylegan2-ada's R1
  is the gradient w.r.t. the real image before augmentation, through the
  augmentation) and to G's samples in G's step, with independent draws for
  the real and the fake batch (the references call the augmentation once
  per batch);
* keys: a key of its own for every augmentation call (split from the
  step's key like z's), never a key also used for something else;
* under ``pmap`` the parameters must differ between devices but equal a
  single-device run: pass ``axis_name`` and they are drawn for the global
  batch and sliced (``diff_augment``, ``ada_augment``), or draw them with
  ``diff_augment_params`` / ``ada_params`` for the global batch and slice
  them with ``device_slice``, as ``ganjax.steps.draw_global`` does for z.

Parameters are a list of one-entry dicts ``{op name: array with a leading
batch axis}``, in the order they apply; ``apply(params, x)`` runs them.
"""

from __future__ import annotations

import math
from typing import Callable

import jax
import jax.numpy as jnp
from jax import lax

Params = list[dict[str, jax.Array]]

DIFF_AUGMENT_POLICIES = ('color', 'translation', 'cutout')
ADA_PIPELINES = ('blit', 'color', 'cutout')

# DiffAugment's constants (the reference's ratios, numerator and
# denominator: a shift of up to H * 1 // 8, a square of H * 1 // 2).
TRANSLATION_RATIO = (1, 8)
CUTOUT_RATIO = (1, 2)

# ADA's constants (AugmentPipe's defaults).
ADA_XINT_MAX = 0.125
ADA_BRIGHTNESS_STD = 0.2
ADA_CONTRAST_STD = 0.5      # of log2
ADA_HUE_MAX = 1.0           # 1 = the full circle
ADA_SATURATION_STD = 1.0    # of log2
ADA_CUTOUT_SIZE = 0.5
# The controller's (training_loop.py, train.py).
ADA_TARGET = 0.6
ADA_INTERVAL = 4
ADA_SPEED_IMAGES = 500_000


def _ratio(n: int, ratio: tuple[int, int]) -> int:
  return n * ratio[0] // ratio[1]


def _groups(spec: str, known: tuple[str, ...], what: str) -> list[str]:
  names = [n.strip() for n in spec.split(',') if n.strip()]
  for n in names:
    if n not in known:
      raise ValueError(f'unknown {what} {n!r} in {spec!r}; known: '
                       f'{", ".join(known)}')
  return names


# ---------------------------------------------------------------------------
# The operations: op(x, value) on a batch, value with a leading batch axis.

def _per_example(v: jax.Array) -> jax.Array:
  return v.reshape(v.shape[0], 1, 1, 1)


def _channel_mean(x):
  return jnp.mean(x, axis=-1, keepdims=True)


def _image_mean(x):
  return jnp.mean(x, axis=(1, 2, 3), keepdims=True)


def _reflect(index: jax.Array, n: int) -> jax.Array:
  """Indices mirrored into [0, n) without repeating the edge (d c b | a b
  c d | c b a), torch's and numpy's 'reflect'."""
  if n == 1:
    return jnp.zeros_like(index)
  period = 2 * (n - 1)
  index = jnp.mod(index, period)
  return jnp.where(index >= n, period - index, index)


def _shift(x: jax.Array, shift: jax.Array, reflect: bool) -> jax.Array:
  """Moves each image's content by ``shift[b] = (dy, dx)`` whole pixels:
  ``out[i, j] = x[i - dy, j - dx]``, zero (or mirrored) outside."""
  _, h, w, _ = x.shape
  rows = jnp.arange(h)[None, :] - shift[:, :1]
  cols = jnp.arange(w)[None, :] - shift[:, 1:]
  if reflect:
    rows, cols = _reflect(rows, h), _reflect(cols, w)
  else:
    inside = (((rows >= 0) & (rows < h))[:, :, None]
              & ((cols >= 0) & (cols < w))[:, None, :])
    rows, cols = jnp.clip(rows, 0, h - 1), jnp.clip(cols, 0, w - 1)
  out = jax.vmap(lambda img, r, c: img[r][:, c])(x, rows, cols)
  if reflect:
    return out
  return jnp.where(inside[..., None], out, jnp.zeros((), x.dtype))


def _box_mask(x, rows_in, cols_in):
  """0 where both ``rows_in [B, H]`` and ``cols_in [B, W]``, else 1."""
  cut = rows_in[:, :, None] & cols_in[:, None, :]
  return jnp.where(cut[..., None], jnp.zeros((), x.dtype), x)


def _cutout(x, centre):
  """DiffAugment's square of H//2 x W//2 around integer ``centre``."""
  _, h, w, _ = x.shape
  ch, cw = _ratio(h, CUTOUT_RATIO), _ratio(w, CUTOUT_RATIO)
  top = centre[:, :1] - ch // 2
  left = centre[:, 1:] - cw // 2
  rows = jnp.arange(h)[None, :]
  cols = jnp.arange(w)[None, :]
  return _box_mask(x, (rows >= top) & (rows < top + ch),
                   (cols >= left) & (cols < left + cw))


def _cutout_centred(x, box):
  """ADA's rectangle: ``box[b] = (cy, cx, size)`` in image units."""
  _, h, w, _ = x.shape
  cy, cx, size = box[:, :1], box[:, 1:2], box[:, 2:]
  rows = (jnp.arange(h)[None, :] + 0.5) / h
  cols = (jnp.arange(w)[None, :] + 0.5) / w
  return _box_mask(x, jnp.abs(rows - cy) < size / 2,
                   jnp.abs(cols - cx) < size / 2)


def _xflip(x, flip):
  return jnp.where(_per_example(flip) > 0, x[:, :, ::-1], x)


def _rotate90(x, k):
  if x.shape[1] != x.shape[2]:
    raise ValueError(f'rotate90 needs square images, got {x.shape[1:3]}')
  turns = jnp.stack([jnp.rot90(x, i, axes=(1, 2)) for i in range(4)])
  return turns[k, jnp.arange(x.shape[0])]


def _hue(x, theta):
  """Rotation by ``theta`` about the luma axis (three channels)."""
  if x.shape[-1] != 3:
    return x
  v = jnp.full((3,), 1 / math.sqrt(3), x.dtype)
  c, s = jnp.cos(theta)[:, None, None], jnp.sin(theta)[:, None, None]
  vv = jnp.outer(v, v)[None]
  cross = jnp.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]],
                    x.dtype)[None] / math.sqrt(3)
  # Rodrigues: R = c I + s [v]_x + (1 - c) v v^T; applied as x + (R - I) x
  # so that theta = 0 is exactly the identity.
  delta = (c - 1) * jnp.eye(3, dtype=x.dtype)[None] + s * cross + (1 - c) * vv
  return x + jnp.einsum('bij,bhwj->bhwi', delta, x)


# Every op keeps x exactly when its value is the identity's (0 shift, 0
# brightness, factor 1, ...): written as x + (f - 1) * (...).
_OPS: dict[str, Callable[[jax.Array, jax.Array], jax.Array]] = {
    'brightness': lambda x, b: x + _per_example(b),
    'saturation': lambda x, s: x + (_per_example(s) - 1) * (
        x - _channel_mean(x)),
    'contrast': lambda x, c: x + (_per_example(c) - 1) * (x - _image_mean(x)),
    'ada_contrast': lambda x, c: x + (_per_example(c) - 1) * x,
    'lumaflip': lambda x, i: x - 2 * _per_example(i) * _channel_mean(x),
    'hue': _hue,
    'translation': lambda x, t: _shift(x, t, reflect=False),
    'translation_reflect': lambda x, t: _shift(x, t, reflect=True),
    'cutout': _cutout,
    'cutout_centred': _cutout_centred,
    'xflip': _xflip,
    'rotate90': _rotate90,
}


def apply(params: Params, x: jax.Array) -> jax.Array:
  """Applies drawn parameters (``diff_augment_params``, ``ada_params``) to
  ``x [B, H, W, C]``, in their order; keeps shape and dtype."""
  for entry in params:
    (name, value), = entry.items()
    if jnp.issubdtype(value.dtype, jnp.floating):
      value = value.astype(x.dtype)
    x = _OPS[name](x, value)
  return x


# ---------------------------------------------------------------------------
# DiffAugment.

def diff_augment_params(key: jax.Array, batch: int, shape: tuple[int, ...],
                        policy: str) -> Params:
  """Draws DiffAugment's parameters for ``batch`` images of ``shape``
  ``(H, W, C)`` (the reference's ranges, see the module docstring)."""
  h, w = shape[0], shape[1]
  params = []
  for i, group in enumerate(_groups(policy, DIFF_AUGMENT_POLICIES,
                                    'DiffAugment policy')):
    k = jax.random.split(jax.random.fold_in(key, i), 3)
    if group == 'color':
      u = [jax.random.uniform(k[j], (batch,)) for j in range(3)]
      params += [{'brightness': u[0] - 0.5}, {'saturation': u[1] * 2},
                 {'contrast': u[2] + 0.5}]
    elif group == 'translation':
      sy, sx = _ratio(h, TRANSLATION_RATIO), _ratio(w, TRANSLATION_RATIO)
      params.append({'translation': jnp.stack([
          jax.random.randint(k[0], (batch,), -sy, sy + 1),
          jax.random.randint(k[1], (batch,), -sx, sx + 1)], axis=1)})
    else:  # cutout
      ch, cw = _ratio(h, CUTOUT_RATIO), _ratio(w, CUTOUT_RATIO)
      params.append({'cutout': jnp.stack([
          jax.random.randint(k[0], (batch,), 0, h + 1 - ch % 2),
          jax.random.randint(k[1], (batch,), 0, w + 1 - cw % 2)], axis=1)})
  return params


def diff_augment(key: jax.Array, x: jax.Array, policy: str,
                 axis_name: str | None = None) -> jax.Array:
  """DiffAugment of ``x [B, H, W, C]`` with ``policy`` (e.g.
  ``'color,translation,cutout'``; ``''`` is the identity).

  With ``axis_name`` (inside ``pmap``/``vmap`` over devices, ``x`` this
  device's slice) the parameters are drawn for the global batch and
  sliced: N devices augment as one device does the global batch.
  """
  return apply(_draw(key, x.shape[0], axis_name, lambda k, n:
                     diff_augment_params(k, n, x.shape[1:], policy)), x)


# ---------------------------------------------------------------------------
# ADA.

def _gate(key, batch, p, value, identity):
  """``value`` where a uniform draw is below ``p``, else ``identity``."""
  chosen = jax.random.uniform(key, (batch,)) < p
  if value.ndim > 1:
    chosen = chosen.reshape((batch,) + (1,) * (value.ndim - 1))
  return jnp.where(chosen, value, jnp.asarray(identity, value.dtype))


def ada_params(key: jax.Array, batch: int, shape: tuple[int, ...],
               p: jax.Array | float,
               pipeline: str = 'blit,color') -> Params:
  """Draws ADA's parameters for ``batch`` images of ``shape`` ``(H, W,
  C)``: each transform of ``pipeline`` chosen per example with probability
  ``p`` (a traced float32 scalar is fine), the identity's value otherwise."""
  h, w = shape[0], shape[1]
  groups = set(_groups(pipeline, ADA_PIPELINES, 'ADA pipeline'))
  p = jnp.asarray(p, jnp.float32)
  params = []

  def draw(name, index, sample, identity):
    k_value, k_gate = jax.random.split(jax.random.fold_in(key, index))
    value = sample(k_value)
    params.append({name: _gate(k_gate, batch, p, value, identity)})

  uniform = lambda k, *s: jax.random.uniform(k, (batch,) + s)
  normal = lambda k: jax.random.normal(k, (batch,))
  if 'blit' in groups:
    draw('xflip', 0, lambda k: jax.random.randint(k, (batch,), 0, 2), 0)
    draw('rotate90', 1, lambda k: jax.random.randint(k, (batch,), 0, 4), 0)
    draw('translation_reflect', 2, lambda k: jnp.round(
        (uniform(k, 2) * 2 - 1) * ADA_XINT_MAX
        * jnp.array([h, w], jnp.float32)).astype(jnp.int32), 0)
  if 'color' in groups:
    draw('brightness', 3, lambda k: normal(k) * ADA_BRIGHTNESS_STD, 0.0)
    draw('ada_contrast', 4, lambda k: jnp.exp2(normal(k) * ADA_CONTRAST_STD), 1.0)
    draw('lumaflip', 5, lambda k: jax.random.randint(
        k, (batch,), 0, 2).astype(jnp.float32), 0.0)
    draw('hue', 6, lambda k: (uniform(k) * 2 - 1) * jnp.pi * ADA_HUE_MAX, 0.0)
    draw('saturation', 7, lambda k: jnp.exp2(normal(k) * ADA_SATURATION_STD),
         1.0)
  if 'cutout' in groups:
    draw('cutout_centred', 8, lambda k: jnp.concatenate(
        [uniform(k, 2), jnp.full((batch, 1), ADA_CUTOUT_SIZE)], axis=1),
         jnp.array([0.5, 0.5, 0.0]))
  return params


def ada_augment(key: jax.Array, x: jax.Array, p: jax.Array | float,
                pipeline: str = 'blit,color',
                axis_name: str | None = None) -> jax.Array:
  """ADA's augmentation of ``x [B, H, W, C]`` with probability ``p`` per
  example and per transform (``p = 0``: ``x`` itself, bit for bit).
  ``axis_name`` as in ``diff_augment``."""
  return apply(_draw(key, x.shape[0], axis_name, lambda k, n:
                     ada_params(k, n, x.shape[1:], p, pipeline)), x)


def ada_update(p: jax.Array | float, sign_real_mean: jax.Array | float, *,
               batch: int, interval: int = ADA_INTERVAL,
               target: float = ADA_TARGET,
               speed_images: int = ADA_SPEED_IMAGES,
               max_p: float = 1.0) -> jax.Array:
  """ADA's p after one adjustment (stylegan2-ada's heuristic r_t).

  Args:
    p: the current probability (float32 scalar, from the state).
    sign_real_mean: ``r_t``, the mean of ``sign(D(x_real))`` over the real
      logits of the last ``interval`` D steps (over all devices).
    batch: the global batch of real images per D step.
    interval: D steps between adjustments (``ada_interval``, 4).
    target: ``ada_target`` (0.6).
    speed_images: images for p to move by 1 (``ada_kimg * 1000``, 500k).
    max_p: the upper clip (1; ``jnp.inf`` as the references, which clip at
      0 only).

  Returns:
    ``clip(p + sign(r_t - target) * batch * interval / speed_images, 0,
    max_p)`` as float32: up when D is overconfident on real data (r_t >
    target), down when r_t < target, unchanged at equality.
  """
  p = jnp.asarray(p, jnp.float32)
  step = jnp.float32(batch * interval / speed_images)
  direction = jnp.sign(jnp.asarray(sign_real_mean, jnp.float32) - target)
  return jnp.clip(p + direction * step, 0.0, max_p).astype(jnp.float32)


# ---------------------------------------------------------------------------
# Devices.

def device_slice(params, local: int, axis_name: str | None):
  """This device's ``local`` examples of parameters drawn for the global
  batch (``local * devices``), inside ``pmap`` over ``axis_name``."""
  if axis_name is None:
    return params
  start = lax.axis_index(axis_name) * local
  return jax.tree.map(
      lambda a: lax.dynamic_slice_in_dim(a, start, local), params)


def _draw(key, local, axis_name, sample):
  if axis_name is None:
    return sample(key, local)
  devices = lax.psum(1, axis_name)
  return device_slice(sample(key, local * devices), local, axis_name)
