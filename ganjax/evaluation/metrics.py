"""Pure metric functions on numpy arrays (float64 inside).

Every function here takes samples or features and returns plain Python
floats; nothing reads a config, a model or a file. The exact definitions
are in ``docs/EVALUATION.md``.

* ``mixture_metrics``: the PacGAN protocol for 2D mixtures (modes covered,
  high-quality fraction, reverse KL of the mode histogram to uniform).
* ``normal_metrics``: mean, std, Kolmogorov-Smirnov statistic and
  1-Wasserstein distance of 1D samples against a normal N(mean, std).
* ``frechet_distance`` / ``gaussian_stats``: the Frechet distance of two
  Gaussians fitted to feature sets (FID without Inception).
* ``class_metrics``: classes predicted among samples and the KL divergence
  of their histogram to the data's.
* ``kid``: the kernel inception distance of Binkowski et al. 2018 (unbiased
  MMD^2 with the cubic polynomial kernel, mean and std over subsets).
* ``prdc``: precision / recall (Kynkaanniemi et al. 2019) and density /
  coverage (Naeem et al. 2020), computed by the ``prdc`` package.
* ``inception_score``: exp E_x KL(p(y|x) || p(y)) from logits, over splits.
* ``feature_metrics``: all of FID, KID and PRDC of one feature set against
  a reference.
"""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
from scipy import special, stats

# PacGAN (Lin et al. 2018): a sample is high quality within 3 standard
# deviations of its nearest mode.
HQ_THRESHOLD = 3.0


def _as_2d(samples: np.ndarray) -> np.ndarray:
  samples = np.asarray(samples, np.float64)
  return samples.reshape(samples.shape[0], -1)


def nearest_mode(samples: np.ndarray, means: np.ndarray,
                 std: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Index of each sample's nearest mode (Euclidean) and its distance to it
  in units of that mode's std.

  Args:
    samples: [N, D].
    means: [K, D] mode centres.
    std: the modes' common std, or one per mode [K].

  Returns:
    ``(index [N] int, normalized distance [N] float)``; a non-finite sample
    gets index -1 and distance inf.
  """
  x = _as_2d(samples)
  means = _as_2d(means)
  stds = np.broadcast_to(np.asarray(std, np.float64), (means.shape[0],))
  finite = np.all(np.isfinite(x), axis=1)
  x = np.where(finite[:, None], x, 0.0)
  dist = np.sqrt(((x[:, None, :] - means[None, :, :])**2).sum(-1))  # [N, K]
  index = np.argmin(dist, axis=1)
  normalized = dist[np.arange(len(x)), index] / stds[index]
  index = np.where(finite, index, -1)
  normalized = np.where(finite, normalized, np.inf)
  return index, normalized


def mixture_metrics(samples: np.ndarray, means: np.ndarray,
                    std: float | np.ndarray,
                    threshold: float = HQ_THRESHOLD) -> dict[str, float]:
  """PacGAN's mode-collapse metrics for a mixture of K Gaussians.

  A sample is *high quality* (HQ) when its distance to the nearest mode
  (Euclidean), divided by that mode's std, is below ``threshold``.

  * ``modes_covered``: modes with at least one HQ sample (0..K).
  * ``hq_fraction``: HQ samples / all samples.
  * ``reverse_kl``: KL(p || uniform) = sum_k p_k log(K p_k), p_k = the
    fraction of HQ samples whose nearest mode is k (0 log 0 = 0). With no
    HQ sample at all p is undefined; ``reverse_kl`` is then log K, the
    largest value KL(p || uniform) takes (all mass on one mode): no HQ
    sample scores as badly as complete collapse.

  Non-finite samples count in N and are never high quality.
  """
  means = _as_2d(means)
  k = means.shape[0]
  n = int(np.asarray(samples).shape[0])
  if n == 0:
    raise ValueError('mixture_metrics needs at least one sample.')
  index, normalized = nearest_mode(samples, means, std)
  hq = normalized < threshold
  counts = np.bincount(index[hq], minlength=k).astype(np.float64)
  total = counts.sum()
  if total == 0:
    reverse_kl = math.log(k)
  else:
    p = counts / total
    reverse_kl = float(np.sum(special.xlogy(p, p * k)))
  return {'modes_covered': float(np.count_nonzero(counts)),
          'hq_fraction': float(total / n),
          'reverse_kl': max(reverse_kl, 0.0)}


def normal_ks(samples: np.ndarray, mean: float, std: float) -> float:
  """Kolmogorov-Smirnov statistic sup_t |F_n(t) - Phi((t - mean) / std)|.

  With sorted samples x_(1) <= ... <= x_(n) and F = the normal CDF:
  max over i of max(i/n - F(x_(i)), F(x_(i)) - (i-1)/n), the two-sided
  statistic of ``scipy.stats.kstest(samples, 'norm', (mean, std))``.
  """
  x = np.sort(np.asarray(samples, np.float64).reshape(-1))
  n = x.size
  cdf = stats.norm.cdf(x, loc=mean, scale=std)
  i = np.arange(1, n + 1, dtype=np.float64)
  return float(max(np.max(i / n - cdf), np.max(cdf - (i - 1) / n)))


def normal_w1(samples: np.ndarray, mean: float, std: float) -> float:
  """Exact 1-Wasserstein distance between the samples' empirical law and
  N(mean, std^2).

  W1 = int_0^1 |Q_n(u) - Q(u)| du, Q_n the empirical quantile function
  (x_(i) on ((i-1)/n, i/n]) and Q(u) = mean + std Phi^{-1}(u). With
  M(u) = int_0^u Q = mean u - std phi(Phi^{-1}(u)) (phi the standard normal
  density, since d/du phi(Phi^{-1}(u)) = -Phi^{-1}(u)) and the crossing
  point u* = F(x_(i)) clipped to the interval [a, b]:

    int_a^b |x - Q(u)| du = x (u* - a) - (M(u*) - M(a))
                            + (M(b) - M(u*)) - x (b - u*).

  Every term is bounded (phi <= 0.4), so the sum is exact up to rounding.
  """
  x = np.sort(np.asarray(samples, np.float64).reshape(-1))
  n = x.size
  a = np.arange(n, dtype=np.float64) / n
  b = np.arange(1, n + 1, dtype=np.float64) / n
  u = np.clip(stats.norm.cdf(x, loc=mean, scale=std), a, b)

  def m(q):
    return mean * q - std * stats.norm.pdf(stats.norm.ppf(q))

  ma, mb, mu = m(a), m(b), m(u)
  pieces = x * (u - a) - (mu - ma) + (mb - mu) - x * (b - u)
  return float(np.sum(np.maximum(pieces, 0.0)))


def normal_metrics(samples: np.ndarray, mean: float,
                   std: float) -> dict[str, float]:
  """``mean``, ``std`` (population, ddof=0), ``ks`` and ``w1`` of 1D samples
  against N(mean, std^2). Non-finite samples make every value NaN."""
  x = np.asarray(samples, np.float64).reshape(-1)
  if not np.all(np.isfinite(x)):
    return {k: math.nan for k in ('mean', 'std', 'ks', 'w1')}
  return {'mean': float(np.mean(x)), 'std': float(np.std(x)),
          'ks': normal_ks(x, mean, std), 'w1': normal_w1(x, mean, std)}


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Mean [D] and covariance [D, D] (unbiased, ddof=1) of features [N, D]."""
  f = _as_2d(features)
  if f.shape[0] < 2:
    raise ValueError('gaussian_stats needs at least two feature vectors.')
  return f.mean(axis=0), np.cov(f, rowvar=False).reshape(f.shape[1],
                                                         f.shape[1])


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
  """The symmetric PSD square root, negative eigenvalues (rounding) cut."""
  sigma = (sigma + sigma.T) / 2
  w, v = np.linalg.eigh(sigma)
  return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
  """Tr((S1 S2)^(1/2)) for PSD S1, S2, via the eigenvalues of the symmetric
  PSD matrix S1^(1/2) S2 S1^(1/2) (similar to S1 S2), so no complex
  ``sqrtm`` and no failure on singular covariances."""
  root1 = _psd_sqrt(np.asarray(sigma1, np.float64))
  inner = root1 @ np.asarray(sigma2, np.float64) @ root1
  w = np.linalg.eigvalsh((inner + inner.T) / 2)
  return float(np.sum(np.sqrt(np.clip(w, 0.0, None))))


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray,
                     sigma2: np.ndarray) -> float:
  """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)): the squared 2-Wasserstein
  distance between N(mu1, S1) and N(mu2, S2). Clipped at 0 (rounding);
  NaN when an input is not finite."""
  mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
  sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
  sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
  if not all(np.all(np.isfinite(a)) for a in (mu1, mu2, sigma1, sigma2)):
    return math.nan
  diff = mu1 - mu2
  value = (diff @ diff + np.trace(sigma1) + np.trace(sigma2)
           - 2.0 * trace_sqrt_product(sigma1, sigma2))
  return float(max(value, 0.0))


def features_frechet_distance(features1: np.ndarray,
                              features2: np.ndarray) -> float:
  """Frechet distance of Gaussians fitted to two feature sets [N, D].

  With fewer vectors than dimensions (e.g. a few hundred 2048-d Inception
  features) ``Tr((S1 S2)^(1/2))`` is taken from the centred features A
  [N1, D] and B [N2, D] (S1 = A^T A / (N1 - 1), S2 = B^T B / (N2 - 1)): the
  non-zero eigenvalues of S1 S2 are the squared singular values of A B^T
  / sqrt((N1 - 1)(N2 - 1)), so the trace is their sum, with no D x D
  eigendecomposition. Otherwise ``frechet_distance`` of the fitted
  Gaussians."""
  a, b = _as_2d(features1), _as_2d(features2)
  if min(len(a), len(b)) >= a.shape[1]:
    return frechet_distance(*gaussian_stats(a), *gaussian_stats(b))
  if min(len(a), len(b)) < 2:
    raise ValueError('features_frechet_distance needs at least two feature '
                     'vectors in each set.')
  if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
    return math.nan
  ca, cb = a - a.mean(axis=0), b - b.mean(axis=0)
  na, nb = len(a) - 1, len(b) - 1
  diff = a.mean(axis=0) - b.mean(axis=0)
  cross = np.linalg.svd(ca @ cb.T, compute_uv=False).sum() / math.sqrt(
      na * nb)
  value = (diff @ diff + np.sum(ca * ca) / na + np.sum(cb * cb) / nb -
           2.0 * cross)
  return float(max(value, 0.0))


def class_histogram(labels: np.ndarray, num_classes: int) -> np.ndarray:
  """Fractions [num_classes] of ``labels`` in each class."""
  counts = np.bincount(np.asarray(labels, np.int64).reshape(-1),
                       minlength=num_classes)[:num_classes]
  return counts / max(counts.sum(), 1)


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
  """KL(p || q) = sum_k p_k log(p_k / q_k) in nats, 0 log 0 = 0; inf when
  some p_k > 0 has q_k = 0."""
  p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
  return float(max(np.sum(special.rel_entr(p, q)), 0.0))


def class_metrics(predicted: np.ndarray, data_histogram: np.ndarray
                  ) -> dict[str, float]:
  """``class_coverage``: distinct classes among ``predicted`` labels;
  ``class_kl``: KL(histogram of ``predicted`` || ``data_histogram``)
  (NaN when there is no prediction)."""
  predicted = np.asarray(predicted).reshape(-1)
  if predicted.size == 0:
    return {'class_coverage': 0.0, 'class_kl': math.nan}
  hist = class_histogram(predicted, len(data_histogram))
  return {'class_coverage': float(np.unique(predicted).size),
          'class_kl': kl_divergence(hist, data_histogram)}


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
  """k(x, y) = (x . y / d + 1)^3 for rows of x [N, d] and y [M, d]."""
  return (x @ y.T / x.shape[1] + 1.0)**3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
  """The unbiased estimate of MMD^2 between the laws of x [m, d] and y
  [n, d] with ``polynomial_kernel``: the mean of k over pairs of distinct
  rows of x, plus the same for y, minus twice the mean of k over (x, y)."""
  m, n = len(x), len(y)
  kxx, kyy = polynomial_kernel(x, x), polynomial_kernel(y, y)
  return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) +
               (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) -
               2.0 * polynomial_kernel(x, y).mean())


def kid(features1: np.ndarray, features2: np.ndarray, num_subsets: int = 100,
        subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
  """Kernel Inception Distance (Binkowski et al. 2018), in any feature space.

  ``num_subsets`` times, ``s = min(subset_size, N1, N2)`` rows are drawn
  without replacement from each set (``np.random.RandomState(seed).choice``,
  first from ``features1``, then from ``features2``, as torch-fidelity
  does) and ``mmd2_unbiased`` is taken of the pair. Returns the mean and
  the standard deviation (ddof=0) over the subsets; NaN when a feature is
  not finite. Unbiased, so it can be negative when the laws are equal.
  """
  x, y = _as_2d(features1), _as_2d(features2)
  if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
    return math.nan, math.nan
  size = min(subset_size, len(x), len(y))
  if size < 2:
    raise ValueError('kid needs at least two feature vectors in each set.')
  rng = np.random.RandomState(seed)
  values = []
  for _ in range(num_subsets):
    xs = x[rng.choice(len(x), size, replace=False)]
    ys = y[rng.choice(len(y), size, replace=False)]
    values.append(mmd2_unbiased(xs, ys))
  return float(np.mean(values)), float(np.std(values))


def prdc(real_features: np.ndarray, fake_features: np.ndarray,
         nearest_k: int = 5) -> dict[str, float]:
  """Precision, recall (Kynkaanniemi et al. 2019), density and coverage
  (Naeem et al. 2020) of ``fake_features`` against ``real_features``, with
  balls to each point's ``nearest_k``-th nearest neighbour in its own set
  (Euclidean), by ``prdc.compute_prdc``. NaN when a feature is not
  finite."""
  from prdc import compute_prdc  # pylint: disable=g-import-not-at-top
  real, fake = _as_2d(real_features), _as_2d(fake_features)
  names = ('precision', 'recall', 'density', 'coverage')
  if not (np.all(np.isfinite(real)) and np.all(np.isfinite(fake))):
    return {k: math.nan for k in names}
  if min(len(real), len(fake)) < nearest_k + 2:
    raise ValueError(f'prdc with nearest_k={nearest_k} needs at least '
                     f'{nearest_k + 2} vectors in each set.')
  with contextlib.redirect_stdout(io.StringIO()):  # It prints the sizes.
    out = compute_prdc(real, fake, nearest_k)
  return {k: float(out[k]) for k in names}


def inception_score(logits: np.ndarray,
                    splits: int = 10) -> tuple[float, float]:
  """exp(E_x KL(p(y|x) || p(y))) of softmax(``logits``) [N, C], computed on
  each of ``splits`` consecutive parts (rows i N / splits to (i + 1) N /
  splits, rounded down; p(y) the part's mean), as Salimans et al. 2016 and
  torch-fidelity; the mean and std (ddof=0) over the parts. NaN when a
  logit is not finite."""
  logits = _as_2d(logits)
  if len(logits) < splits:
    raise ValueError(f'inception_score needs at least {splits} samples (one '
                     'per split).')
  if not np.all(np.isfinite(logits)):
    return math.nan, math.nan
  log_p = special.log_softmax(logits, axis=1)
  n = len(log_p)
  scores = []
  for i in range(splits):
    part = log_p[i * n // splits:(i + 1) * n // splits]
    log_py = np.log(np.exp(part).mean(axis=0))
    kl = np.sum(np.exp(part) * (part - log_py), axis=1)
    scores.append(math.exp(float(np.mean(kl))))
  return float(np.mean(scores)), float(np.std(scores))


# The metrics of ``feature_metrics`` whose value for real data is its
# ``<name>_floor``.
FLOORED = ('fid', 'kid', 'precision', 'recall', 'density', 'coverage')


def feature_metrics(features: np.ndarray, reference: np.ndarray,
                    kid_subsets: int = 100, kid_subset_size: int = 1000,
                    nearest_k: int = 5, seed: int = 0) -> dict[str, float]:
  """``fid``, ``kid``, ``kid_std``, ``precision``, ``recall``, ``density``
  and ``coverage`` of ``features`` [N, D] against ``reference`` [M, D]."""
  kid_mean, kid_std = kid(features, reference, kid_subsets, kid_subset_size,
                          seed)
  return {'fid': features_frechet_distance(features, reference),
          'kid': kid_mean, 'kid_std': kid_std,
          **prdc(reference, features, nearest_k)}
