r"""Offline 8x8 digits: InfoGAN, the paper's MNIST networks and settings.

  python launch.py --config=configs/digits_infogan.py --workdir=runs/digits_infogan
  python launch.py --config=configs/digits_infogan.py --workdir=/tmp/digits_infogan --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Trains InfoGAN (Chen et al. 2016; ``config.family='infogan'``,
``ganjax.families.infogan``) on ``digits`` with the networks of the
paper's appendix C.1 (openai/InfoGAN's MNIST model, ``ganjax.models.
infogan``) at 8x8: 62 noise dimensions U(-1, 1), one categorical code of
10 and two continuous codes U(-1, 1); lambda 1; Adam 2e-4 (D and Q) and
1e-3 (G), beta1 0.5; batch 128; 5,000 steps (the paper's 50 epochs of 100
updates).

Expected (docs/RESULTS.md, seeds 0-2): the categorical code names the
digit classes with code accuracy 0.71 +- 0.04 (the paper's 0.95 on 28x28
MNIST is missed; 9.3 distinct classes of 10), classifier FID 44.9 +- 6.4
(4.5x the real-data floor), all 10 classes. About 17 minutes per run
alone on a 2-core CPU.
"""

from ganjax import config_lib


def get_config():
  config = config_lib.base_config()
  config.family = 'infogan'
  config.data.name = 'digits'
  config.data.on_device = True
  config.model.latent_dim = 62
  config.model.latent_dist = 'uniform'
  config.model.codes = dict(categorical=(10,), continuous=2)
  config.model.generator = dict(name='infogan')
  config.model.discriminator = dict(name='infogan')
  config.loss.name = 'ns'
  config.loss.info_weight = 1.0
  config.optim.d.learning_rate = 2e-4
  config.optim.g.learning_rate = 1e-3
  for opt in (config.optim.g, config.optim.d):
    opt.b1 = 0.5
  config.train.steps = 5000
  config.train.batch_size = 128
  config.train.steps_per_dispatch = 100
  config.train.log_every = 500
  config.train.checkpoint_every = 5000
  config.train.sample_every = 5000
  config.train.num_samples = 100
  config.eval.every = 2500
  return config
