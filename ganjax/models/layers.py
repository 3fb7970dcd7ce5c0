"""Small shared pieces of the model zoo: activations and Keras-like defaults."""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ganjax import errors

# Keras' glorot_uniform / zeros: the initializers of the TensorFlow models
# the seeds describe, so a ganjax model starts where theirs did.
kernel_init = nn.initializers.glorot_uniform()

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    'relu': nn.relu,
    'elu': nn.elu,
    'tanh': jnp.tanh,
    'sigmoid': nn.sigmoid,
    'leaky_relu': functools.partial(nn.leaky_relu, negative_slope=0.2),
    # Keras 2's LeakyReLU() default, used by the TensorFlow DCGAN tutorial.
    'leaky_relu_0.3': functools.partial(nn.leaky_relu, negative_slope=0.3),
    'linear': lambda x: x,
    'none': lambda x: x,
}


def activation(name: str) -> Callable[[jax.Array], jax.Array]:
  if name not in ACTIVATIONS:
    raise errors.ConfigError(f'activation {name!r} is not known; choose one of '
                     f'{sorted(ACTIVATIONS)}.')
  return ACTIVATIONS[name]


def batch_norm(train: bool, axis_name: str | None, name: str | None = None,
               dtype=None, momentum: float = 0.99, epsilon: float = 1e-3,
               use_scale: bool = True, use_bias: bool = True):
  """BatchNorm, by default with Keras' defaults (momentum 0.99, epsilon
  1e-3; PyTorch's are ``momentum=0.9, epsilon=1e-5`` in flax's terms).

  Under ``jax.pmap`` ``axis_name`` is the device axis, so batch statistics
  are those of the global batch and the result equals one device.
  """
  return nn.BatchNorm(use_running_average=not train, momentum=momentum,
                      epsilon=epsilon, axis_name=axis_name if train else None,
                      use_scale=use_scale, use_bias=use_bias, name=name)


def spectral(layer: nn.Module, enabled: bool, train: bool) -> Callable:
  """``layer`` as a function of its inputs, spectrally normalized when
  ``enabled`` (Miyato et al. 2018): its kernel is divided by its largest
  singular value, estimated by one step of power iteration per call.

  ``flax.linen.SpectralNorm`` as its authors intend: the layer keeps its
  name and parameters (so the trainable parameters are those of the plain
  layer); a ``SpectralNorm_<i>`` entry in the ``batch_stats`` collection
  holds, per kernel, the power-iteration vector ``u`` and the last
  ``sigma``. With ``train`` they are updated (the caller keeps them by
  applying with ``mutable=['batch_stats']``, as for BatchNorm); otherwise
  the stored ``u`` is used (one power step from it) and nothing is
  updated. A convolution kernel [kh, kw, in, out] is normalized as the
  matrix [kh*kw*in, out]. ``enabled=False`` returns ``layer`` itself: the
  module and its variables are exactly those without this call.

  One property of flax's wrapper: ``init`` stores the kernel already
  divided by its first estimate of sigma (one power step from a random
  ``u``), so the initial parameters differ from the plain layer's by that
  factor (same shapes, same normalized function); PyTorch's
  ``spectral_norm`` keeps the raw initial weights.
  """
  if not enabled:
    return layer
  return functools.partial(nn.SpectralNorm(layer), update_stats=train)


# --------------------------------------------------------------------------
# Convolutions that XLA:CPU compiles well.
#
# Two things make flax's nn.Conv / nn.ConvTranspose slow under XLA:CPU:
#
# 1. The gradients JAX derives for a convolution are convolutions with
#    permuted dimension numbers. Outside loops XLA:CPU rewrites them into
#    its canonical NHWC / HWIO layout, which its library kernels run;
#    inside a loop body (lax.scan, lax.fori_loop) it does not, and they
#    fall to a naive loop nest: 10-40x slower (jax-ml/jax#12868).
#    ``conv2d`` below states its gradients itself, already canonical, so a
#    step is as fast in a scan (``train.steps_per_dispatch``) as outside.
#    (Second derivatives, as in a gradient penalty, JAX again derives from
#    those gradients, and they are again slower inside a loop.)
# 2. A stride-s transposed convolution is a convolution of an input with
#    s - 1 zeros between neighbours; XLA:CPU runs its kernel gradient as a
#    dilated convolution an order of magnitude slower than a plain one.
#    ``phase_conv_transpose`` computes the same function as one stride-1
#    convolution with s*s times the output channels and a depth-to-space.
#
# Both compute exactly the function of the flax layer (same sums of the same
# products; tests/test_perf_layers.py checks values and gradients).
# --------------------------------------------------------------------------

_DN = ('NHWC', 'HWIO', 'NHWC')
Padding = tuple[tuple[int, int], tuple[int, int]]


def _explicit(padding):
  """'SAME' / 'VALID' as they are; an int or pairs -> ((lo, hi), (lo, hi))."""
  if isinstance(padding, str):
    if padding not in ('SAME', 'VALID'):
      raise ValueError(f'padding {padding!r} is not supported here; use '
                       "'SAME', 'VALID' or explicit (low, high) pairs.")
    return padding
  if isinstance(padding, int):
    return ((padding, padding), (padding, padding))
  return tuple((int(p), int(p)) if isinstance(p, int) else
               (int(p[0]), int(p[1])) for p in padding)


def _pair(v) -> tuple[int, int]:
  """An int or a pair (None: 1) -> a pair of ints, as flax broadcasts."""
  if v is None:
    return (1, 1)
  if isinstance(v, int):
    return (v, v)
  return tuple(int(i) for i in v)


def _conv(x, w, strides, padding, lhs_dilation=(1, 1), rhs_dilation=(1, 1),
          precision=None):
  return lax.conv_general_dilated(
      x, w, tuple(strides), tuple(padding), lhs_dilation=lhs_dilation,
      rhs_dilation=rhs_dilation, dimension_numbers=_DN, precision=precision)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def conv2d(x: jax.Array, w: jax.Array, strides: tuple[int, int],
           padding: Padding, precision=None) -> jax.Array:
  """``lax.conv_general_dilated`` in NHWC / HWIO with explicit integer
  ``padding`` ((lo, hi), (lo, hi)), whose gradients are canonical NHWC /
  HWIO convolutions too (see the note above)."""
  return _conv(x, w, strides, padding, precision=precision)


def _conv2d_fwd(x, w, strides, padding, precision):
  return _conv(x, w, strides, padding, precision=precision), (x, w)


def _conv2d_bwd(strides, padding, precision, residuals, dy):
  x, w = residuals
  kernel, size, out = w.shape[:2], x.shape[1:3], dy.shape[1:3]
  # dx: dy with stride-1 zeros between neighbours, correlated with the
  # kernel flipped in space and transposed in channels.
  dx_pad = []
  for k, n, m, s, (lo, _) in zip(kernel, size, out, strides, padding):
    lo_t = k - 1 - lo
    dx_pad.append((lo_t, n + k - 1 - (m - 1) * s - 1 - lo_t))
  w_t = jnp.flip(w, (0, 1)).transpose(0, 1, 3, 2)
  if tuple(strides) != (1, 1) and min(min(p) for p in dx_pad) >= 0:
    # That is a transposed convolution: computed in sub-pixel form, which
    # XLA:CPU runs ~1.4x faster than the input-dilated convolution.
    dx = phase_conv_transpose(dy, w_t, strides, tuple(dx_pad), precision)
  else:
    dx = _conv(dy, w_t, (1, 1), dx_pad, lhs_dilation=tuple(strides),
               precision=precision)
  # dw: a convolution over the batch: channels of x as its batch, the
  # batch as its features, dy (dilated by the stride) as its kernel.
  dw_pad = [(lo, k + (m - 1) * s - n - lo)
            for k, n, m, s, (lo, _) in zip(kernel, size, out, strides,
                                           padding)]
  dw = _conv(x.transpose(3, 1, 2, 0), dy.transpose(1, 2, 0, 3), (1, 1),
             dw_pad, rhs_dilation=tuple(strides), precision=precision)
  return dx.astype(x.dtype), dw.transpose(1, 2, 0, 3).astype(w.dtype)


conv2d.defvjp(_conv2d_fwd, _conv2d_bwd)


def conv_padding(size: Sequence[int], kernel: Sequence[int],
                 strides: Sequence[int], padding) -> Padding:
  """Explicit ((lo, hi), (lo, hi)) for 'SAME', 'VALID' or pairs, as
  ``lax.conv_general_dilated`` (and so ``nn.Conv``) resolves them."""
  padding = _explicit(padding)
  if isinstance(padding, str):
    pads = lax.padtype_to_pads(tuple(size), tuple(kernel), tuple(strides),
                               padding)
  else:
    pads = padding
  return tuple((int(lo), int(hi)) for lo, hi in pads)


class _Conv2DBase(nn.Module):
  """The fields and parameters flax's 2D convolution layers have
  (``kernel`` [kh, kw, in, out], ``bias`` [out]); subclasses say how the
  function is computed. ``dtype``: the computation dtype; parameters stay
  ``param_dtype``."""
  features: int
  kernel_size: Sequence[int]
  strides: Sequence[int] | int | None = (1, 1)
  padding: Any = 'SAME'
  use_bias: bool = True
  dtype: Any = None
  param_dtype: Any = jnp.float32
  precision: Any = None
  kernel_init: Callable = nn.initializers.lecun_normal()
  bias_init: Callable = nn.initializers.zeros_init()

  def _compute(self, x: jax.Array, kernel: jax.Array) -> jax.Array:
    raise NotImplementedError

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    kh, kw = self.kernel_size  # 2D only (an int would be 1D in flax)
    kernel = self.param('kernel', self.kernel_init,
                        (kh, kw, x.shape[-1], self.features),
                        self.param_dtype)
    bias = (self.param('bias', self.bias_init, (self.features,),
                       self.param_dtype) if self.use_bias else None)
    x, kernel, bias = nn.dtypes.promote_dtype(x, kernel, bias,
                                              dtype=self.dtype)
    y = self._compute(x, kernel)
    return y if bias is None else y + bias


class Conv(_Conv2DBase):
  """A drop-in for ``flax.linen.Conv`` (2D, NHWC, no dilation, no groups)
  computed by ``conv2d``: the same parameters and the same function. Give
  it the ``name`` the ``nn.Conv`` had (``'Conv_0'``, ...) and checkpoints
  are interchangeable."""

  def _compute(self, x, kernel):
    strides = _pair(self.strides)
    pads = conv_padding(x.shape[1:3], kernel.shape[:2], strides,
                        self.padding)
    return conv2d(x, kernel, strides, pads, self.precision)


def conv_transpose_padding(k: int, s: int, padding) -> tuple[int, int]:
  """The (low, high) padding of the stride-dilated input of
  ``lax.conv_transpose`` (what ``nn.ConvTranspose`` computes) for one
  spatial dimension: kernel size ``k``, stride ``s``, ``padding`` 'SAME' or
  'VALID', or an explicit (low, high) pair, which ``lax.conv_transpose``
  (and so flax) applies to the dilated input as it is."""
  if padding == 'SAME':
    pad_len = k + s - 2
    pad_a = k - 1 if s > k - 1 else -(-pad_len // 2)
  elif padding == 'VALID':
    pad_len = k + s - 2 + max(k - s, 0)
    pad_a = k - 1
  else:
    lo, hi = padding
    return int(lo), int(hi)
  return pad_a, pad_len - pad_a


def _phase_plan(n: int, k: int, s: int, pad: tuple[int, int]):
  """How one spatial dimension of a stride-``s`` transposed convolution
  splits into ``s`` stride-1 correlations (one per output phase).

  The transposed convolution is ``y[o] = sum_t w[t] * xd[o + t - pad_lo]``
  where ``xd`` is the input with ``s - 1`` zeros between neighbours. For
  the outputs ``o = s*q + r`` of phase ``r`` only the taps ``t`` with
  ``(r + t - pad_lo) % s == 0`` meet a non-zero, and they read
  ``x[q + d_r + j]``: a stride-1 correlation of ``x`` with the sub-kernel
  ``w[t0::s]``. All phases are laid over one common window of ``T`` input
  positions (a tap index of ``k`` marks a zero), so the ``s`` sub-kernels
  stack into one kernel with ``s`` times the output channels.

  Returns:
    (out_len, per_phase_len, tap_index [s, T] into the kernel padded with
    one zero slice, (pad_lo, pad_hi) of the stride-1 correlation).
  """
  pad_lo, pad_hi = pad
  out_len = (n - 1) * s + 1 + pad_lo + pad_hi - k + 1
  per_phase = -(-out_len // s)
  phases = []
  for r in range(s):
    t0 = (pad_lo - r) % s
    taps = list(range(t0, k, s))
    phases.append((taps, (r + t0 - pad_lo) // s))
  used = [(taps, d) for taps, d in phases if taps]
  lo = min(d for _, d in used)
  hi = max(d + len(taps) - 1 for taps, d in used)
  index = np.full((s, hi - lo + 1), k, np.int32)
  for r, (taps, d) in enumerate(phases):
    for j, t in enumerate(taps):
      index[r, d + j - lo] = t
  return out_len, per_phase, index, (int(-lo),
                                     int(per_phase - 1 + hi - (n - 1)))


def phase_kernel(kernel: jax.Array, index_h: np.ndarray,
                 index_w: np.ndarray) -> jax.Array:
  """[kh, kw, in, out] -> [Th, Tw, in, sh*sw*out]: the sub-kernels of all
  output phases, stacked along the output channels (phase-major)."""
  kh, kw, cin, cout = kernel.shape
  sh, th = index_h.shape
  sw, tw = index_w.shape
  padded = jnp.pad(kernel, ((0, 1), (0, 1), (0, 0), (0, 0)))
  sub = padded[index_h[:, :, None, None], index_w[None, None, :, :]]
  # [sh, Th, sw, Tw, in, out] -> [Th, Tw, in, sh, sw, out]
  return sub.transpose(1, 3, 4, 0, 2, 5).reshape(th, tw, cin, sh * sw * cout)


def phase_conv_transpose(x: jax.Array, kernel: jax.Array,
                         strides: Sequence[int], padding='SAME',
                         precision=None) -> jax.Array:
  """``lax.conv_transpose(x, kernel, strides, padding)`` (NHWC, HWIO, no
  kernel flip: what ``flax.linen.ConvTranspose`` computes), as ONE stride-1
  convolution with ``sh*sw`` times the output channels followed by a
  depth-to-space interleave.

  The same function: every output is the same sum of the same products
  (the extra taps multiply zeros). XLA:CPU runs a stride-1 convolution and
  its two gradients with its fast kernels; the input-dilated convolution
  of ``lax.conv_transpose`` and, above all, its kernel gradient, it does
  not.
  """
  b, h, w, _ = x.shape
  kh, kw, _, cout = kernel.shape
  sh, sw = strides
  padding = _explicit(padding)
  pads = padding if not isinstance(padding, str) else (padding, padding)
  out_h, qh, index_h, pad_h = _phase_plan(
      h, kh, sh, conv_transpose_padding(kh, sh, pads[0]))
  out_w, qw, index_w, pad_w = _phase_plan(
      w, kw, sw, conv_transpose_padding(kw, sw, pads[1]))
  identity = lambda index, k: index.shape == (1, k) and (
      index[0] == np.arange(k)).all()
  if identity(index_h, kh) and identity(index_w, kw):
    stacked = kernel  # stride 1 'SAME'/'VALID': a plain convolution
  else:
    stacked = phase_kernel(kernel, index_h, index_w)
  y = conv2d(x, stacked, (1, 1), (pad_h, pad_w), precision)
  if sh == sw == 1:
    return y[:, :out_h, :out_w]
  y = y.reshape(b, qh, qw, sh, sw, cout).transpose(0, 1, 3, 2, 4, 5)
  return y.reshape(b, qh * sh, qw * sw, cout)[:, :out_h, :out_w]


class PhaseConvTranspose(_Conv2DBase):
  """A drop-in for ``flax.linen.ConvTranspose`` (2D, NHWC, no kernel
  transpose, no dilation): the same parameters and the same function,
  computed by ``phase_conv_transpose``. Give it the ``name`` the
  ``nn.ConvTranspose`` had (e.g. ``'ConvTranspose_0'``) and checkpoints
  are interchangeable."""

  def _compute(self, x, kernel):
    return phase_conv_transpose(x, kernel, _pair(self.strides), self.padding,
                                self.precision)


# --------------------------------------------------------------------------
# Mixed precision.
# --------------------------------------------------------------------------

DTYPES = {'float32': jnp.float32, 'bfloat16': jnp.bfloat16,
          'float16': jnp.float16}


def compute_dtype(name: str | None, field: str = 'dtype'):
  """The computation dtype a module field names (None: float32 throughout).

  Parameters stay float32 whatever this is; only the layers' arithmetic
  runs in it. Modules cast their output (logits, samples) back to float32,
  so losses and the gradient penalty are computed in float32.
  """
  if name is None:
    return None
  if name not in DTYPES:
    raise errors.ConfigError(
        f'{field}={name!r} is not a known compute dtype; choose one of '
        f'{sorted(DTYPES)} (or leave it unset for float32).')
  return DTYPES[name]
