r"""Seed 004: the MNIST WGAN (tutorial DCGAN architecture, Wasserstein loss).

  python launch.py --config=configs/mnist_wgan.py --workdir=runs/mnist_wgan
  python launch.py --config=configs/mnist_wgan.py --workdir=/tmp/mnist_wgan --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Seed: ``seeds/004`` section 3.3 ("we define Wasserstein distance as our
loss function here. For architecture, I just use the DCGAN architecture";
its references [3] WGAN-GP and [5] Sainburg's TensorFlow 2 models).
The MNIST twin of ``configs/svhn_wgan.py``, with the same choices:

* G and D: the TensorFlow tutorial DCGAN (G 2,330,944 parameters, 25,472
  of them BN moving statistics; D 212,865, LeakyReLU 0.3, dropout 0.3, no
  BatchNorm, so the gradient penalty is per example).
* Loss: WGAN with gradient penalty (Gulrajani et al. 2017), lambda 10,
  5 critic updates per generator update, each on a fresh real batch.
* Adam 1e-4 as the baseline, with WGAN-GP's betas (0.5, 0.9); batch 256;
  z ~ N(0, I) of size 100; images in [-1, 1].
* 100 epochs of critic data, as the report's 100 epochs: 100 * 60,000 /
  (5 * 256) = 4,688 generator steps.

Needs MNIST prepared by TFDS. Not timed here (no GPU, no MNIST in this
environment): an estimate is 15-30 minutes on one current GPU. Expect
digits after ~1,000 steps; the critic's estimate d_real - d_fake of the
Wasserstein distance falls and flattens (the report's Fig. 3: "WGAN
starts at a very low value, and goes directly to a good performance").
"""

from ganjax import config_lib


def get_config():
  """``svhn_wgan``'s WGAN-GP settings on MNIST 28x28."""
  config = config_lib.get_config('svhn_wgan')
  config.data.name = 'mnist'
  config.data.image_size = 0   # MNIST's own 28x28x1
  config.data.channels = 0
  config.train.steps = 4_688
  return config
