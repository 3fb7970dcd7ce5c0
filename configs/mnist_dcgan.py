r"""The DCGAN of the TensorFlow tutorial on MNIST, non-saturating loss.

  python launch.py --config=configs/mnist_dcgan.py
  python launch.py --config=configs/mnist_dcgan.py --workdir=/tmp/mnist_dcgan --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Seed 004's baseline ("Deep Convolutional Generative Adversarial Network",
tensorflow.org/tutorials/generative/dcgan): generator Dense 7*7*256 -> BN ->
LeakyReLU -> ConvTranspose 128 (5x5, stride 1) -> 64 (stride 2) -> 1
(stride 2), tanh; discriminator two 5x5 stride-2 convs 64, 128 with
LeakyReLU (slope 0.3, Keras 2's default) and dropout 0.3, then Dense 1.
G has 2,330,944 parameters (25,472 of them BatchNorm moving statistics),
D 212,865. z ~ N(0, I) of size 100, batch 256, Adam 1e-4 for both, 50
epochs (11,720 steps) as the tutorial, images in [-1, 1]. Both networks
are updated simultaneously from one forward pass, as the tutorial's
``train_step`` (``train.update_scheme='simultaneous'``); every other
setting read off the tutorial's code is ganjax's already
(docs/FIDELITY.md).

Needs MNIST prepared by TFDS (downloads on first use where there is a
network); no MNIST run was measured here, so no time is given. The
tutorial's own statement (50 epochs): the images "increasingly resemble
hand written digits over time". Measured offline (docs/FIDELITY.md, 3
seeds): on the digits at 28x28, batch 128, all 10 digit classes by 2,000
steps and classifier-FID 769 +- 101 at 3,000 (the tutorial's code: 840 +-
190; 1.25 s per step on one loaded CPU core).
"""

from ganjax import config_lib


def get_config():
  config = config_lib.base_config()
  config.data.name = 'mnist'
  config.data.value_range = (-1.0, 1.0)
  config.model.latent_dim = 100
  config.model.generator = dict(name='dcgan')
  config.model.discriminator = dict(name='dcgan', dropout=0.3)
  config.loss.name = 'ns'
  config.train.update_scheme = 'simultaneous'   # the tutorial's train_step
  config.optim.g.learning_rate = config.optim.d.learning_rate = 1e-4
  config.train.steps = 11_720
  config.train.batch_size = 256
  config.train.log_every = 100
  config.train.checkpoint_every = 1_000
  config.train.sample_every = 500
  config.train.num_samples = 64
  return config
