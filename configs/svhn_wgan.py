r"""WGAN-GP with the tutorial DCGAN on SVHN cropped digits, grayscale 32x32.

  python launch.py --config=configs/svhn_wgan.py --workdir=runs/svhn_wgan
  python launch.py --config=configs/svhn_wgan.py --workdir=/tmp/svhn_wgan --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Seed 004's SVHN WGAN ("for architecture, I just use the DCGAN
architecture"): the TensorFlow tutorial DCGAN sized for 32x32x1 (generator
Dense 8*8*256 as in the seed's Fig. 9, G 2,730,304 / D 214,785 parameters
with the 5x5 kernels of the tutorial), trained with the Wasserstein loss and
gradient penalty of Gulrajani et al. 2017: lambda 10, 5 critic updates per
generator update (each on a fresh real batch), Adam 1e-4 with betas
(0.5, 0.9) for both networks, batch 256. SVHN train (73,257 images) is
converted to grayscale as seed 004 does, images in [-1, 1]. 5,720 steps
= 100 epochs of critic data (5 x 256 images a step), as the seed's 100.

Needs ``svhn_cropped`` prepared by TFDS (downloads on first use where there
is a network; without one it stops at once and says how to prepare it).
The first evaluation trains the evaluation classifier (2,000 steps, minutes
on a CPU, with a progress bar; cached for later runs).
Expect digit-like gray blobs after ~1,000 steps, readable house numbers
later; the critic's estimate d_real - d_fake of the Wasserstein distance
falls over training.
"""

from ganjax import config_lib


def get_config():
  config = config_lib.base_config()
  config.data.name = 'svhn_cropped'
  config.data.image_size = 32
  config.data.channels = 1
  config.data.value_range = (-1.0, 1.0)
  config.model.latent_dim = 100
  config.model.generator = dict(name='dcgan')
  config.model.discriminator = dict(name='dcgan', dropout=0.3)
  config.loss.name = 'wgan_gp'
  config.loss.gp_weight = 10.0
  for opt in (config.optim.g, config.optim.d):
    opt.name = 'adam'
    opt.learning_rate = 1e-4
    opt.b1, opt.b2 = 0.5, 0.9
  config.train.n_critic = 5
  config.train.update_scheme = 'alternating'   # WGAN-GP's Algorithm 1
  config.train.steps = 5_720
  config.train.batch_size = 256
  config.train.log_every = 50
  config.train.checkpoint_every = 500
  config.train.sample_every = 250
  config.train.num_samples = 64
  return config
