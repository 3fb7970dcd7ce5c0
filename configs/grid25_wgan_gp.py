r"""Grid of 25 Gaussians, WGAN-GP with Jacobian truncation.

  python launch.py --config=configs/grid25_wgan_gp.py --workdir=runs/grid25_wgan_gp
  python launch.py --config=configs/grid25_wgan_gp.py --workdir=/tmp/grid25_wgan_gp --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Trains an MLP WGAN-GP (Gulrajani et al. 2017) on ``grid25`` (25 Gaussians
at {-4, -2, 0, 2, 4}^2, std 0.05, PacGAN's grid; generated, no download).
G: 3 hidden ReLU layers of 256, D: 3 of 128, z ~ N(0, I) of size 2.

* gradient-penalty weight ``loss.gp_weight=1`` (the paper's is 10) and 3
  critic steps per G step (``train.n_critic=3``, not 5);
* Adam 1e-3 (betas 0.5, 0.9) for both, held for the first 60% of the run
  and then decayed along a half cosine to 0 (``optim.*.schedule='cosine'``,
  ``decay_start=0.6``);
* samples and evaluations use an EMA of G's weights (``model.ema_decay=
  0.99``), drawn with Jacobian-based truncation
  (``model.jacobian_truncation=0.05``, as ``configs/grid25_ns.py``);
* 20,000 steps of batch 256, 100 steps per dispatch.

CPU time: about 265-300 s wall per run on a 2-core CPU shared by 2 runs
at once (compile, truncation and evaluation included). Measured
(docs/RESULTS.md, python benchmarks/quality.py, seeds 0-9): 25.0 modes
(min 25), HQ 99.3% +- 0.9 (min 97.4%), reverse KL 0.008 (max 0.010); with
every latent kept, HQ 95.7% +- 1.8. Why each choice, and what was tried:
docs/RESULTS.md, "Lab notes".
"""

from ganjax import config_lib


def get_config():
  config = config_lib.base_config()
  config.data.name = 'grid25'
  config.model.latent_dim = 2
  config.model.generator = dict(name='mlp', hidden=(256, 256, 256))
  config.model.discriminator = dict(name='mlp', hidden=(128, 128, 128))
  config.model.ema_decay = 0.99
  config.model.jacobian_truncation = 0.05
  config.loss.name = 'wgan_gp'
  config.loss.gp_weight = 1.0
  for opt in (config.optim.g, config.optim.d):
    opt.learning_rate = 1e-3
    opt.b1 = 0.5
    opt.b2 = 0.9
    opt.schedule = 'cosine'
    opt.decay_start = 0.6
    opt.final_lr_fraction = 0.0
  config.train.steps = 20000
  config.train.batch_size = 256
  config.train.n_critic = 3
  config.train.steps_per_dispatch = 100
  config.train.log_every = 500
  config.train.checkpoint_every = 20000
  config.train.sample_every = 20000
  config.train.num_samples = 2500
  config.eval.every = 1000
  return config
