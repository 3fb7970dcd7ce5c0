r"""Grid of 25 Gaussians, WGAN-GP tuned for quality (issue 9).

  python launch.py --config=configs/grid25_wgan_gp.py --workdir=runs/grid25_wgan_gp

Trains an MLP WGAN-GP (Gulrajani et al. 2017) on ``grid25`` (25 Gaussians
at {-4, -2, 0, 2, 4}^2, std 0.05, PacGAN's grid; generated, no download).
G: 3 hidden ReLU layers of 256, D: 3 of 128, z ~ N(0, I) of size 2. Departures
from the paper's defaults (lambda 10, 5 critic steps, Adam 1e-4, betas
0.5/0.9) and why:

* gradient-penalty weight ``loss.gp_weight=1`` (not 10): with modes 0.05
  wide, 2 apart, a critic held to slope 1 everywhere gives G almost no
  signal at the scale of a mode (0.1 and 0.3, which help on the ring, made
  some grid seeds slower to find all modes);
* 3 critic steps per G step (``train.n_critic=3``, not 5) and Adam 1e-3
  (betas 0.5, 0.9) for both;
* the learning rate is held for the first 60% of the run and then
  decays along a half cosine to 0 (``optim.*.schedule='cosine'``,
  ``decay_start=0.6``): the grid needs the full rate for longer than the
  ring (a cosine from the start left 80% HQ), and the decay then settles
  the samples on the modes;
* samples and evaluations use an EMA of G's weights (``model.ema_decay=
  0.99``), drawn with Jacobian-based truncation (Tanielian et al. 2020,
  ``model.jacobian_truncation=0.05``): the 5% of latents where
  ``||dG/dz||`` is largest, the bridges of samples a continuous G leaves
  between neighbouring modes, are rejected and redrawn (training is
  unchanged; configs/grid25_ns.py says more);
* 20,000 steps of batch 256, 100 steps per dispatch: longer training
  thins the bridges of samples between neighbouring modes (seeds 0 and 2:
  HQ 94.6% and 69.2% after 9,000 steps, 95.9% and 87.8% after 15,000,
  96.3% and 91.1% after 20,000).

CPU time: about 265-300 s wall per run on a 2-core CPU shared by 2 runs
at once (compile, truncation and evaluation included). Measured
(docs/RESULTS.md, python benchmarks/quality.py, seeds 0-9): 25.0 modes
(min 25), HQ 99.3% +- 0.9 (min 97.4%), reverse KL 0.008 (max 0.010):
every issue-9 target met. The same checkpoints with every latent kept:
25.0 modes, HQ 95.7% +- 1.8 (min 92.8%), reverse KL 0.007 (seeds 0, 2, 6,
8 reach 97%). The numbers below are all without truncation.
G was 3 x 128 before: 95.0% +- 2.4 (min 89.9%), KL 0.011; the wider G
lifted the two worst seeds (2: 91.1% -> 97.7%, 5: 89.9% -> 93.8%).
What is left is samples on the bridges between neighbouring modes.
Twice as long is no sure help: 40,000 steps gave 96.8% HQ over seeds
0-3 in the sweep of configs/grid25_ns.py (on a GPU, its own data stream;
95.1% for those seeds at 20,000 here), but run here by
benchmarks/quality.py seeds 0 and 1 gave 92.4% and 94.6% (96.3% and
97.0% at 20,000), so the seed-to-seed spread is larger than the gain.
Top-k G updates (Sinha et al. 2020, ``loss.top_k_fraction=0.5``) moved
the two worst seeds apart rather than up: seed 5 89.9% -> 93.8%, seed 2
91.1% -> 80.4%.
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
