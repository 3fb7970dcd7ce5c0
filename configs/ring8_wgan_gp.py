r"""Ring of 8 Gaussians, WGAN-GP with a weak penalty and an EMA of G.

  python launch.py --config=configs/ring8_wgan_gp.py --workdir=runs/ring8_wgan_gp
  python launch.py --config=configs/ring8_wgan_gp.py --workdir=/tmp/ring8_wgan_gp --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Trains an MLP WGAN-GP (Gulrajani et al. 2017) on ``ring8`` (8 Gaussians on
the unit circle, std 0.01; generated, no download). G: 3 hidden ReLU layers
of 256; D: 3 hidden ReLU layers of 128; z ~ N(0, I) of size 2.

* gradient-penalty weight ``loss.gp_weight=0.1`` (the paper's is 10);
* 2 critic steps per G step (``train.n_critic=2``, not 5) and Adam 1e-3
  (betas 0.5, 0.9) for both, decayed along a half cosine to 0 over the run
  (``optim.*.schedule='cosine'``);
* samples and evaluations use an EMA of G's weights (``model.ema_decay=
  0.99``);
* 4,000 steps of batch 256, 100 steps per dispatch.

CPU time: about 52 s of process CPU per run, 52 s wall on a 2-core CPU
shared by 2 runs at once (compile and evaluation included).
Measured (docs/RESULTS.md, python benchmarks/quality.py): 8.0 modes (min
8), HQ 97.6% +- 0.6 (min 96.8%), reverse KL 0.001 (max 0.001), seeds 0-9.
Why each choice: docs/RESULTS.md, "Lab notes".
"""

from ganjax import config_lib


def get_config():
  config = config_lib.base_config()
  config.data.name = 'ring8'
  config.model.latent_dim = 2
  config.model.generator = dict(name='mlp', hidden=(256, 256, 256))
  config.model.discriminator = dict(name='mlp', hidden=(128, 128, 128))
  config.model.ema_decay = 0.99
  config.loss.name = 'wgan_gp'
  config.loss.gp_weight = 0.1
  for opt in (config.optim.g, config.optim.d):
    opt.learning_rate = 1e-3
    opt.b1 = 0.5
    opt.b2 = 0.9
    opt.schedule = 'cosine'
    opt.final_lr_fraction = 0.0
  config.train.steps = 4000
  config.train.batch_size = 256
  config.train.n_critic = 2
  config.train.steps_per_dispatch = 100
  config.train.log_every = 500
  config.train.checkpoint_every = 4000
  config.train.sample_every = 4000
  config.train.num_samples = 2500
  config.eval.every = 1000
  return config
