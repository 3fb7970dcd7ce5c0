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
"""

from __future__ import annotations

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
  """Frechet distance of Gaussians fitted to two feature sets [N, D]."""
  return frechet_distance(*gaussian_stats(features1),
                          *gaussian_stats(features2))


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
