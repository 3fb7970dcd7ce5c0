r"""Seed 004: the SVHN baseline GAN (Fig. 9 generator, Fig. 10 discriminator).

  python launch.py --config=configs/svhn_baseline.py --workdir=runs/svhn_baseline
  python launch.py --config=configs/svhn_baseline.py --workdir=/tmp/svhn_baseline --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Seed: ``seeds/004`` section 3.4, Figs. 9 and 10. SVHN cropped digits
(``svhn_cropped``, 73,257 training images), grayscale 32x32 in [-1, 1].

* G, Fig. 9: the tutorial generator at 32x32 (Dense 16384 -> 8x8x256),
  5x5 kernels (``'dcgan'``). 2,730,304 parameters: 2,697,152 trainable,
  33,152 non-trainable.
* D, Fig. 10 (``'keras_svhn_baseline'``): conv 7x7 32 -> LeakyReLU ->
  pool -> BN (16x16) -> conv 5x5 64 -> LeakyReLU -> pool -> BN (8x8) ->
  conv 3x3 128 -> LeakyReLU -> pool (4x4) -> flatten 2048 -> Dense 1024 ->
  LeakyReLU -> Dense 512 -> LeakyReLU -> Dense 1. 2,750,593 parameters:
  2,750,401 trainable, 192 non-trainable (kernels: docs/SEED_SYSTEMS.md).
* Binary cross-entropy (G non-saturating), Adam 1e-4, batch 256, z ~
  N(0, I) of size 100, G and D updated simultaneously from one forward
  pass (the tutorial's ``train_step``); 100 epochs = 100 * 73,257 / 256 =
  28,616 steps.

Needs ``svhn_cropped`` prepared by TFDS. Not timed here (no GPU, no SVHN
in this environment): an estimate is 20-40 minutes on one current GPU.
Expect blurry gray house-number digits: the report finds its SVHN samples
"not very clear", the baseline slightly the best (Fig. 5).
"""

from ganjax import config_lib


def get_config():
  """The tutorial DCGAN config (``mnist_dcgan``: non-saturating loss, Adam
  1e-4, the simultaneous update) on grayscale 32x32 SVHN, with the Fig. 10
  discriminator, for the report's 100 epochs."""
  config = config_lib.get_config('mnist_dcgan')
  config.data.name = 'svhn_cropped'
  config.data.image_size = 32
  config.data.channels = 1
  config.model.generator = dict(name='dcgan', kernel_size=5)
  config.model.discriminator = dict(name='keras_svhn_baseline')
  config.train.steps = 28_616
  config.train.checkpoint_every = 2_000
  config.train.sample_every = 1_000
  return config
