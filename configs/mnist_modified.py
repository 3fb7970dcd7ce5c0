r"""Seed 004: the modified MNIST GAN (Fig. 7 generator, Fig. 8 discriminator).

  python launch.py --config=configs/mnist_modified.py --workdir=runs/mnist_modified
  python launch.py --config=configs/mnist_modified.py --workdir=/tmp/mnist_modified --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Seed: ``seeds/004`` (Qiao, Wang, Zhang), section 3.2, Figs. 7 and 8; it
modifies the TensorFlow tutorial DCGAN, ``configs/mnist_dcgan.py``.

* G, Fig. 7: the tutorial generator (Dense 12544 -> 7x7x256) with 3x3
  kernels in place of 5x5 (``'dcgan'``, ``kernel_size=3``). 1,674,560
  parameters: 1,649,088 trainable, 25,472 non-trainable (BN statistics).
* D, Fig. 8 (``'keras_mnist_modified'``): the tutorial discriminator with
  a 2x2 max pooling after each block: conv 5x5/2 64 (14x14) -> LeakyReLU
  -> Dropout 0.3 -> pool (7x7) -> conv 5x5/2 128 (4x4) -> LeakyReLU ->
  Dropout 0.3 -> pool (2x2) -> flatten 512 -> Dense 1. 207,105 parameters
  (5x5 kernels derived from the counts: docs/SEED_SYSTEMS.md).
* "We keep the parameter/hyper-parameters as the baseline model": binary
  cross-entropy (G non-saturating), Adam 1e-4, batch 256, z ~ N(0, I) of
  size 100, images in [-1, 1], the tutorial's simultaneous update of G and
  D; 100 epochs = 100 * 60,000 / 256 = 23,438 steps.

Needs MNIST prepared by TFDS. Not timed here (no GPU, no MNIST in this
environment): an estimate is 10-20 minutes on one current GPU, hours on a
CPU. Expect digits comparable to the baseline's (the report's Fig. 4 finds
the MNIST models hard to tell apart by eye).
"""

from ganjax import config_lib


def get_config():
  """The tutorial DCGAN config with 3x3 generator kernels and the Fig. 8 D,
  for the report's 100 epochs."""
  config = config_lib.get_config('mnist_dcgan')
  config.model.generator = dict(name='dcgan', kernel_size=3)
  config.model.discriminator = dict(name='keras_mnist_modified')
  config.train.steps = 23_438
  config.train.checkpoint_every = 2_000
  config.train.sample_every = 1_000
  return config
