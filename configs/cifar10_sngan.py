r"""SNGAN on CIFAR-10: the ResNet SNGAN-32 with hinge loss (Miyato et al. 2018).

  python launch.py --config=configs/cifar10_sngan.py --workdir=runs/cifar10_sngan
  python launch.py --config=configs/cifar10_sngan.py --workdir=/tmp/cifar10_sngan --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

torch-mimicry's SNGAN CIFAR-10 recipe (its README, "CIFAR-10, Training
Parameters"; nets/sngan/sngan_32.py): G ``'resnet_sngan32'`` (z ~ N(0, I)
of size 128, dense 4x4x256, three up-sampling residual blocks with
BatchNorm, tanh; 4,276,739 parameters + 3,584 BN statistics), D
``'resnet_sngan32'`` (optimized block + three residual blocks of 128
channels, spectral norm on every layer, global sum pooling; 1,053,825
parameters), hinge loss, Adam 2e-4 with betas (0.0, 0.9) for both, 5 D
updates (each on a fresh batch of 64 real images) per G update, 100,000 G
updates with the learning rates decaying linearly to 0. CIFAR-10 train
(50,000 RGB images, 32x32) in [-1, 1]; downloaded by TFDS on first use.
For class-conditional SNGAN (cGAN-PD) set model.num_classes=10 and
num_classes=10 in both model dicts.

Expected result: mimicry reports FID 16.77 and IS 7.97 for their SNGAN on
CIFAR-10 after these 100K steps (their numbers, 50K samples, Inception
features; ganjax's classifier-FID is a different scale). Time: not
measured here (no GPU, no CIFAR-10 offline). Offline, narrowed to 32
features on the digits at 32x32 for 1,000 steps (docs/RESULTS.md, 2
seeds): blurry digits of all 10 classes, FID 83 +- 37 times its floor.
"""

from ganjax import config_lib


def get_config():
  config = config_lib.base_config()
  config.data.name = 'cifar10'
  config.data.image_size = 32
  config.data.channels = 3
  config.data.value_range = (-1.0, 1.0)
  config.model.latent_dim = 128
  config.model.generator = dict(name='resnet_sngan32')
  config.model.discriminator = dict(name='resnet_sngan32', spectral_norm=True)
  config.loss.name = 'hinge'
  for opt in (config.optim.g, config.optim.d):
    opt.name = 'adam'
    opt.learning_rate = 2e-4
    opt.b1, opt.b2 = 0.0, 0.9
    opt.schedule = 'linear'
  config.train.n_critic = 5
  config.train.update_scheme = 'alternating'
  config.train.steps = 100_000
  config.train.batch_size = 64
  config.train.log_every = 100
  config.train.checkpoint_every = 5_000
  config.train.sample_every = 2_500
  config.train.num_samples = 64
  return config
