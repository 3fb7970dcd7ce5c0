r"""Ring of 8 Gaussians, non-saturating GAN with R1 and an EMA of G.

  python launch.py --config=configs/ring8_ns.py --workdir=runs/ring8_ns
  python launch.py --config=configs/ring8_ns.py --workdir=/tmp/ring8_ns --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Trains an MLP GAN on ``ring8`` (8 Gaussians on the unit circle, std 0.01;
generated, no download) with the non-saturating loss. What differs from
``configs/default.py``:

* G and D are wider: 3 hidden ReLU layers of 256 (not 128);
* Adam learning rate 5e-4 (not 1e-3), betas 0.5 / 0.9 (not 0.999), for
  both, decayed along a half cosine to 0 over the run
  (``optim.*.schedule='cosine'``);
* the R1 penalty (Mescheder et al. 2018), ``loss.r1_weight=0.1``: D's loss
  adds 0.05 E||grad D(x)||^2 on real samples;
* samples and evaluations use an exponential moving average of G's weights
  (``model.ema_decay=0.99``, Yazici et al. 2019);
* 8,000 steps of batch 256, 100 steps per dispatch
  (``train.steps_per_dispatch``), evaluation every 1,000 steps.

CPU time: about 118 s of process CPU per run, 122 s wall on a 2-core CPU
shared by 2 runs at once (114-139 s; compile and evaluation included).
Measured (docs/RESULTS.md, python benchmarks/quality.py, seeds 0-9): 8.0
modes (min 8), HQ 98.0% +- 0.3 (min 97.6%), reverse KL 0.001 (max
0.001). Why each choice: docs/RESULTS.md, "Lab notes".
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
  config.loss.r1_weight = 0.1
  for opt in (config.optim.g, config.optim.d):
    opt.learning_rate = 5e-4
    opt.b1 = 0.5
    opt.b2 = 0.9
    opt.schedule = 'cosine'
    opt.final_lr_fraction = 0.0
  config.train.steps = 8000
  config.train.batch_size = 256
  config.train.steps_per_dispatch = 100
  config.train.log_every = 500
  config.train.checkpoint_every = 8000
  config.train.sample_every = 8000
  config.train.num_samples = 2500
  config.eval.every = 1000
  return config
