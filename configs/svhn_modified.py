r"""Seed 004: the modified SVHN GAN (Fig. 11 generator, Fig. 12 discriminator).

  python launch.py --config=configs/svhn_modified.py --workdir=runs/svhn_modified
  python launch.py --config=configs/svhn_modified.py --workdir=/tmp/svhn_modified --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Seed: ``seeds/004`` section 3.5, Figs. 11 and 12. Data and training as
``configs/svhn_baseline.py`` (grayscale 32x32 ``svhn_cropped`` in [-1, 1],
binary cross-entropy, Adam 1e-4, batch 256, 100 epochs = 28,616 steps).

* G, Fig. 11: the baseline generator with 3x3 kernels ("we changed a
  smaller filter with (3,3) size"; ``'dcgan'``, ``kernel_size=3``).
  2,073,920 parameters: 2,040,768 trainable, 33,152 non-trainable.
* D, Fig. 12 (``'keras_svhn_modified'``): Fig. 10's three blocks with BN
  after the third one too, a fourth block conv 2x2 64 -> LeakyReLU -> pool
  (2x2x64), flatten 256 -> Dense 1024 -> Dense 512 -> Dense 216 -> Dense 1
  (LeakyReLU between). 1,059,441 parameters: 1,058,993 trainable, 448
  non-trainable. Kernel sizes derived from the counts: conv2d_22 1,600 =
  7*7*1*32 + 32 (7x7), conv2d_23 51,264 = 5*5*32*64 + 64 (5x5), conv2d_24
  73,856 = 3*3*64*128 + 128 (3x3), conv2d_25 32,832 = 2*2*128*64 + 64
  (2x2, 'same': TensorFlow pads one row and column after).

Needs ``svhn_cropped`` prepared by TFDS. Not timed here (no GPU, no SVHN
in this environment): an estimate is 20-40 minutes on one current GPU.
Expect samples a little worse than the baseline's
(the report: "tiny wrong change will make the train fail").
"""

from ganjax import config_lib


def get_config():
  """The SVHN baseline with 3x3 generator kernels and the Fig. 12 D."""
  config = config_lib.get_config('svhn_baseline')
  config.model.generator = dict(name='dcgan', kernel_size=3)
  config.model.discriminator = dict(name='keras_svhn_modified')
  return config
