r"""Class-conditional DCGAN on MNIST: label embedding in G, projection D.

  python launch.py --config=configs/mnist_conditional_dcgan.py --workdir=runs/mnist_conditional_dcgan
  python launch.py --config=configs/mnist_conditional_dcgan.py --workdir=/tmp/mnist_conditional_dcgan --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Seeds 001 (conditioning "both the discriminator and generator on side
information") and 003 ("Conditional GAN"; ``seeds/001``, ``seeds/003``). The base is the TensorFlow
tutorial DCGAN (``configs/mnist_dcgan.py``), whose training this keeps:
non-saturating loss, Adam 1e-4, batch 256, 50 epochs = 11,720 steps.

* G (``'conditional_dcgan'``): the tutorial generator on [z, embed(y)],
  z ~ N(0, I) of size 100, a learned 50-dim embedding of the digit class
  (2,958,644 parameters, 25,472 of them BN moving statistics).
* D (``'projection_dcgan'``): the tutorial discriminator's conv trunk
  phi(x) (7*7*128 features) with the projection head of Miyato & Koyama
  2018, logit = psi(phi(x)) + <embed(y), phi(x)> (275,585 parameters).
* Real images come with their MNIST labels; generated ones get uniform
  random labels (``model.num_classes=10``).

The fixed-z picture (``samples/step_*.png``, 100 samples, labels cycling
0..9) has one class per COLUMN; ``ganjax.sampling.save_class_picture``
draws one row per class. Needs MNIST prepared by TFDS. Not timed here (no GPU, no MNIST
in this environment): an estimate is 5-15 minutes on one current GPU.
Expect each column to show its own digit after a few thousand steps.
"""

from ganjax import config_lib

NUM_CLASSES = 10


def get_config():
  """The tutorial DCGAN config made class-conditional."""
  config = config_lib.get_config('mnist_dcgan')
  config.model.num_classes = NUM_CLASSES  # Given to both modules.
  config.model.generator = dict(name='conditional_dcgan', embed_dim=50)
  config.model.discriminator = dict(name='projection_dcgan', dropout=0.3)
  config.train.num_samples = 100
  return config
