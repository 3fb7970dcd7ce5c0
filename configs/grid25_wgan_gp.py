r"""Grid of 25 Gaussians, WGAN-GP tuned for quality (issue 9).

  python launch.py --config=configs/grid25_wgan_gp.py --workdir=runs/grid25_wgan_gp

Trains an MLP WGAN-GP (Gulrajani et al. 2017) on ``grid25`` (25 Gaussians
at {-4, -2, 0, 2, 4}^2, std 0.05, PacGAN's grid; generated, no download).
G and D: 3 hidden ReLU layers of 128, z ~ N(0, I) of size 2. Departures
from the paper's defaults (lambda 10, 5 critic steps, Adam 1e-4, betas
0.5/0.9) and why:

* gradient-penalty weight ``loss.gp_weight=1`` (not 10): with modes 0.05
  wide, 2 apart, a critic held to slope 1 everywhere gives G almost no
  signal at the scale of a mode; a weaker penalty lets it sharpen the samples;
* 2 critic steps per G step (``train.n_critic=2``, not 5) and Adam 1e-3
  (betas 0.5, 0.9) for both: the same quality in far fewer updates;
* samples and evaluations use an EMA of G's weights (``model.ema_decay=
  0.99``);
* 6,000 steps of batch 256 (the high-quality fraction still rises
  after 4,000), 100 steps per dispatch.

CPU time: about 60-120 s on a 2-core CPU (compile included). Expected
(docs/RESULTS.md, 10 seeds): all 25 modes and a reverse KL below 0.02, with
a high-quality fraction around 90% (measured: 25.0 modes, 89.5% +- 2.6 HQ,
reverse KL 0.007, seeds 0-9): WGAN-GP leaves some samples on the bridges
between modes, below the issue's 97% target.
"""

from ganjax import config_lib


def get_config():
  """``ring8_wgan_gp``'s settings on the grid, for 6,000 steps."""
  config = config_lib.get_config('ring8_wgan_gp')
  config.data.name = 'grid25'
  config.train.steps = 6000
  config.train.checkpoint_every = 6000
  config.train.sample_every = 6000
  return config
