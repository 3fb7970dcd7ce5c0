r"""Seed 002: the DCGAN of Thaper's slides on MNIST (ELU, dropout, sigmoid).

  python launch.py --config=configs/mnist_dcgan_slides.py --workdir=runs/mnist_dcgan_slides
  python launch.py --config=configs/mnist_dcgan_slides.py --workdir=/tmp/mnist_dcgan_slides --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Seed: ``seeds/002`` (Thaper, "Deep Convolutional GAN", CSC 59929 slides).

* D (``'slides_dcgan'``): conv 5x5 stride 2, 32 -> conv 5x5 stride 2, 64
  -> FC 1024 -> FC 128 -> FC 1, ELU on all but the last (3,395,713
  parameters).
* G (``'slides_dcgan'``): z (128, N(0, I)) -> FC 1024 -> FC 7*7*64 ->
  transposed conv 5x5/2 32 -> transposed conv 5x5/2 1, ELU, sigmoid output
  (3,398,529 parameters); images in [0, 1] (``data.value_range``).
* Dropout with keep probability 0.75 after every layer of both networks
  except the generator's last (the "Further Exploration" slide).
* Sigmoid cross-entropy, G non-saturating (``'ns'``; the slides label real
  0 and fake 1, ganjax real 1: the logit's sign flips, nothing else).
* Adam, learning rate 1e-4 (lowered from 0.03 in the slides), TensorFlow
  1's epsilon 1e-8; batch 64 (the slides give none); 200,000 steps.

Needs MNIST prepared by TFDS. Not timed here (no GPU, no MNIST in this
environment): an estimate is 1-2 hours on one current GPU (the slides:
about 1.5 hours per 200,000 batches on a GTX 1070, outputs shown at
200,000 to 1,120,000 batches). Expect blurry digit shapes by 200,000
steps that sharpen with longer runs, as in the slides.
"""

from ganjax import config_lib


def get_config():
  config = config_lib.base_config()
  config.data.name = 'mnist'
  config.data.value_range = (0.0, 1.0)
  config.model.latent_dim = 128
  config.model.latent_dist = 'normal'
  config.model.generator = dict(name='slides_dcgan', dropout=0.25,
                                output_activation='sigmoid')
  config.model.discriminator = dict(name='slides_dcgan', dropout=0.25)
  config.loss.name = 'ns'
  for opt in (config.optim.g, config.optim.d):
    opt.name = 'adam'
    opt.learning_rate = 1e-4
    opt.eps = 1e-8
  config.train.steps = 200_000
  config.train.batch_size = 64
  config.train.log_every = 1_000
  config.train.checkpoint_every = 10_000
  config.train.sample_every = 10_000
  config.train.num_samples = 64
  return config
