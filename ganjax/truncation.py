"""Jacobian-based truncation of the latent space at sampling time.

A continuous generator fed a connected latent (a Gaussian) cannot put all
its mass on disconnected modes: between two modes it leaves a thin band of
samples, where G(z) moves fast with z. Tanielian et al. 2020 (*Learning
disconnected manifolds: a no GAN's land*, ICML) bound that mass and remove
it after training by rejecting the latents where the Frobenius norm of G's
Jacobian ``||dG(z)/dz||_F`` is largest (their Jacobian-based truncation).

``config.model.jacobian_truncation`` [0.0 = off] is the fraction rejected:

* the threshold is the ``1 - fraction`` quantile of ``||dG/dz||_F^2`` over
  ``CALIBRATION_SAMPLES`` latents drawn from a fixed key (so it depends on
  the weights only, and a picture, an evaluation and ``ganjax.sample`` of
  one checkpoint all use the same one);
* every sample is then drawn by rejection: a latent whose squared norm is
  above the threshold is redrawn, so the samples are i.i.d. from the
  truncated latent distribution (a conditional GAN keeps each sample's
  label; the norm is taken at that label);
* training is unchanged: only sampling (pictures, evaluations,
  ``ganjax.sample``, ``launch.py --mode=sample``) is truncated.

A G whose Jacobian norm is the same everywhere (a linear G) rejects
nothing. The cost is ``latent_dim`` Jacobian-vector products through G per
candidate latent (``J v`` one latent direction at a time, so memory stays
that of one forward and backward pass), plus the calibration draw.
Measured on a 2-core CPU: the grid MLP (2-d latent) takes 0.01 s per 500
latents, so the calibration is instant; the MNIST DCGAN (100-d latent)
takes 140 s per 500, so one calibration of 10,000 takes about 45 minutes.
It is meant for small latents on a CPU, or for a GPU; a warning says so
when a CPU is asked to do it with a latent above 16 dimensions.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import hashlib

import jax
import jax.numpy as jnp
import numpy as np
from absl import logging

from ganjax import errors, steps
from ganjax.models import conditional
from ganjax.state import GAN, GANState

CALIBRATION_SAMPLES = 10_000
CALIBRATION_KEY = 0x7A_C0DE
BATCH_SIZE = 500
MAX_ROUNDS = 200


def with_fraction(gan: GAN, fraction: float | None) -> GAN:
  """``gan`` sampling with ``fraction`` rejected instead of its config's
  (``None``: ``gan`` as it is; 0: every latent kept)."""
  if fraction is None:
    return gan
  if fraction and gan.family != 'gan':
    raise errors.ConfigError(
        f'jacobian_truncation={fraction!r}: truncation needs a generator '
        f'of the gan family; this is a {gan.family!r} model (use 0).')
  if not 0.0 <= fraction < 0.5:
    raise errors.ConfigError(
        f'jacobian_truncation={fraction!r} is not allowed: use 0 (off) or '
        'the fraction of latents to reject, in (0, 0.5), e.g. 0.05.')
  return dataclasses.replace(gan, jacobian_truncation=float(fraction))


@functools.partial(jax.jit, static_argnums=0)
def jacobian_sq_norms(gan: GAN, state: GANState, z: jax.Array,
                      labels: jax.Array | None = None) -> jax.Array:
  """``||dG(z_i)/dz_i||_F^2`` [batch] of the sampling generator (inference
  mode, EMA weights when kept), one latent direction at a time.

  ``J v`` comes from the pullback's own pullback: ``u -> J^T u`` is linear,
  and its vector-Jacobian product is ``v -> J v``. This is forward mode
  built from reverse mode, so it also runs through layers that define only
  a custom backward pass (``jax.custom_vjp``, e.g. the fast convolutions of
  ``ganjax.models.layers``), which ``jax.jvp`` cannot.
  """
  fn = lambda zz: steps.generate(gan, state, zz, labels).reshape(
      zz.shape[0], -1).astype(jnp.float32)
  out, pullback = jax.vjp(fn, z)
  _, push = jax.vjp(pullback, jnp.zeros_like(out))

  def direction(e):
    (tangent,) = push((jnp.broadcast_to(e, z.shape),))
    return jnp.sum(tangent ** 2, axis=1)

  basis = jnp.eye(gan.latent_dim, dtype=z.dtype)
  return jnp.sum(jax.lax.map(direction, basis), axis=0)


def _labels_for(gan: GAN, num: int) -> np.ndarray | None:
  if not gan.num_classes:
    return None
  return np.asarray(conditional.cycled_labels(num, gan.num_classes))


def sq_norms(gan: GAN, state: GANState, z: np.ndarray,
             labels: np.ndarray | None = None) -> np.ndarray:
  """``jacobian_sq_norms`` in batches of ``BATCH_SIZE`` (numpy in and out)."""
  out = []
  for start in range(0, len(z), BATCH_SIZE):
    chunk = z[start:start + BATCH_SIZE]
    size = len(chunk)
    pad = [(0, BATCH_SIZE - size)]  # one compiled shape for every chunk
    chunk = np.pad(chunk, pad + [(0, 0)])
    y = None
    if labels is not None:
      y = np.pad(np.asarray(labels[start:start + BATCH_SIZE]), pad)
    out.append(np.asarray(jacobian_sq_norms(gan, state, chunk, y))[:size])
  return np.concatenate(out) if out else np.zeros((0,), np.float32)


_THRESHOLDS: collections.OrderedDict = collections.OrderedDict()
_CACHE_SIZE = 8


def _fingerprint(gan: GAN, state: GANState, fraction: float) -> tuple:
  """What the threshold depends on: the generator, its latent law and the
  bytes of its sampling weights (so a new checkpoint is a new key)."""
  params = state.g_ema_params if state.g_ema_params else state.g_params
  digest = hashlib.sha1()
  for leaf in jax.tree.leaves((params, state.g_batch_stats)):
    digest.update(np.asarray(leaf).tobytes())
  return (repr(gan.generator), gan.latent_dim, gan.latent_dist,
          gan.num_classes, float(fraction), digest.hexdigest())


def threshold(gan: GAN, state: GANState, fraction: float) -> float:
  """The ``1 - fraction`` quantile of the squared Jacobian norms over the
  calibration latents (balanced labels when conditional).

  Kept for the last few generators, so the evaluators of one evaluation
  (each draws its own samples) and the picture of the same checkpoint
  calibrate once.
  """
  key = _fingerprint(gan, state, fraction)
  if key in _THRESHOLDS:
    _THRESHOLDS.move_to_end(key)
    return _THRESHOLDS[key]
  z = np.asarray(gan.sample_latent(jax.random.PRNGKey(CALIBRATION_KEY),
                                   CALIBRATION_SAMPLES))
  norms = sq_norms(gan, state, z, _labels_for(gan, CALIBRATION_SAMPLES))
  limit = float(np.quantile(norms, 1.0 - fraction))
  _THRESHOLDS[key] = limit
  if len(_THRESHOLDS) > _CACHE_SIZE:
    _THRESHOLDS.popitem(last=False)
  return limit


def latents(gan: GAN, state: GANState, key: jax.Array, num: int,
            labels: np.ndarray | None = None) -> np.ndarray:
  """``num`` latents for sampling: ``gan.sample_latent(key, num)`` itself
  when ``gan.jacobian_truncation`` is 0, else drawn from the same key by
  rejection of the latents above the truncation threshold."""
  z = np.array(gan.sample_latent(key, num))
  fraction = gan.jacobian_truncation
  if not fraction:
    return z
  if gan.latent_dim > 16 and jax.default_backend() == 'cpu':
    logging.log_first_n(
        logging.WARNING, 'Jacobian truncation with a %d-d latent on a CPU: '
        '%d Jacobian-vector products per latent for %d calibration latents '
        'and every sample; this can take many minutes (a GPU, or '
        'config.model.jacobian_truncation=0, avoids it).', 1,
        gan.latent_dim, gan.latent_dim, CALIBRATION_SAMPLES)
  limit = threshold(gan, state, fraction)
  pending = np.arange(num)
  for round_ in range(MAX_ROUNDS):
    y = None if labels is None else np.asarray(labels)[pending]
    rejected = sq_norms(gan, state, z[pending], y) > limit
    pending = pending[rejected]
    if not pending.size:
      return z
    fresh = gan.sample_latent(jax.random.fold_in(key, round_ + 1),
                              pending.size)
    z[pending] = np.asarray(fresh)
  raise RuntimeError(
      f'Jacobian truncation: {pending.size} of {num} latents were still '
      f'rejected after {MAX_ROUNDS} draws; lower '
      f'config.model.jacobian_truncation ({fraction}).')
