r"""Seed 003's 1D Gaussian GAN with Gaussian noise into G (issue 9).

  python launch.py --config=configs/gaussian1d_moments_normal.py --workdir=runs/gaussian1d_moments_normal

``configs/gaussian1d_moments.py`` (seed 003: the slides' 46-parameter tanh
G, the four-moment minibatch D, SGD with momentum, 5,000 epochs of 20 D and
20 G updates, batch 500) with one change: the noise into G is z ~ N(0, 1)
(``model.latent_dist='normal'``) instead of the slides' uniform noise.

Why: a D that sees only the minibatch's mean, std, skewness and excess
kurtosis accepts every distribution with the target's four moments, so G
lands on whichever of them its start leads to. From uniform noise, G must
build the normal's quantile function out of tanh units, and the moments
never ask for it: seed 003 as published ends with the right mean and std
but a KS distance of 0.099 over 10 seeds. From Gaussian noise the target is
an affine map of z, which G's small initial weights keep it close to
(its tanh units start in their linear range), so the moment match is also
a match of the shape.

Measured (docs/RESULTS.md, python benchmarks/quality.py, seeds 0-9, 2,500
samples per evaluation): mean 3.991, std 1.267, KS 0.024 +- 0.010
(0.012-0.044), W1 0.054: the three issue-9 1D targets are met on the
mean over seeds, and by 7 of the 10 seeds alone (seeds 1 and 2 have KS
0.044 and 0.035, seed 7 std 1.344). An EMA of G's weights
(``model.ema_decay=0.99``) did not help (KS 0.030 over seeds 0-4,
against 0.029 without). 17 s per run on a 2-core CPU, 2 runs at once,
with ``train.steps_per_dispatch=1000``.
"""

from ganjax import config_lib


def get_config():
  config = config_lib.get_config('gaussian1d_moments')
  config.model.latent_dist = 'normal'
  return config
