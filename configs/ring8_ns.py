r"""Ring of 8 Gaussians, non-saturating GAN tuned for quality (issue 9).

  python launch.py --config=configs/ring8_ns.py --workdir=runs/ring8_ns

Trains an MLP GAN on ``ring8`` (8 Gaussians on the unit circle, std 0.01;
generated, no download) with the non-saturating loss. What differs from
``configs/default.py`` and why:

* G and D are wider: 3 hidden ReLU layers of 256 (not 128), so G can cut
  its 2-d latent space into 8 pieces with little mass on the arcs between
  the modes (the high-quality fraction);
* Adam learning rate 5e-4 (not 1e-3), beta1 0.5, for both: smaller
  oscillations around each mode;
* samples and evaluations use an exponential moving average of G's weights
  (``model.ema_decay=0.99``, Yazici et al. 2019);
* 4,000 steps of batch 256, 100 steps per dispatch
  (``train.steps_per_dispatch``), evaluation every 1,000 steps.

CPU time: about 30-60 s on a 2-core CPU alone (compile included; 75-175 s
measured on a loaded shared machine). Measured (docs/RESULTS.md, seeds
0-9): most seeds reach all 8 modes with a high-quality fraction of 97-98%
and a reverse KL below 0.02, but NS training is not stable on every seed:
over the 10 seeds the mean is 7.9 modes, 85% HQ, reverse KL 0.38 (three
seeds left unbalanced or smeared modes), short of the issue's targets;
``configs/ring8_wgan_gp.py`` is the robust one for coverage.
"""

from ganjax import config_lib


def get_config():
  config = config_lib.base_config()
  config.data.name = 'ring8'
  config.model.latent_dim = 2
  config.model.generator = dict(name='mlp', hidden=(256, 256, 256))
  config.model.discriminator = dict(name='mlp', hidden=(256, 256, 256))
  config.model.ema_decay = 0.99
  config.loss.name = 'ns'
  for opt in (config.optim.g, config.optim.d):
    opt.learning_rate = 5e-4
    opt.b1 = 0.5
  config.train.steps = 4000
  config.train.batch_size = 256
  config.train.steps_per_dispatch = 100
  config.train.log_every = 500
  config.train.checkpoint_every = 4000
  config.train.sample_every = 4000
  config.train.num_samples = 2500
  config.eval.every = 1000
  return config
