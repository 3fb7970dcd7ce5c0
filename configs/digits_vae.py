r"""Offline 8x8 digits, a variational autoencoder: the GAN's baseline.

  python launch.py --config=configs/digits_vae.py --workdir=runs/digits_vae
  python launch.py --config=configs/digits_vae.py --workdir=/tmp/digits_vae --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Trains the VAE of Kingma & Welling 2014 (``config.family='vae'``,
``ganjax.families.vae``) on ``digits`` (scikit-learn's 8x8 digits, offline,
pixels read as Bernoulli probabilities): encoder 64 -> 400 ReLU -> mean and
log-variance of a 16-d Gaussian, decoder 16 -> 400 ReLU -> 64 logits (the
sizes of the PyTorch examples' MNIST VAE, latent 16), Adam 1e-3, batch
128, 5,000 steps. Samples are the decoder's means of z ~ N(0, I); the
classifier evaluator scores them as it scores the GANs.

Expected (docs/RESULTS.md, seeds 0-4): classifier FID 121.9 +- 2.4
against a real-data floor of 10.0 (12x: the decoder's means are blurred
digits; the GAN of digits_wgan_gp reaches 16.4), all 10 classes, class KL
0.021. About 20 s per run on a 2-core CPU.
"""

from ganjax import config_lib


def get_config():
  config = config_lib.base_config()
  config.family = 'vae'
  config.data.name = 'digits'
  config.data.on_device = True
  config.model.latent_dim = 16
  config.model.encoder = dict(name='mlp', hidden=(400,))
  config.model.generator = dict(name='mlp', hidden=(400,),
                                output_activation='linear')
  config.model.discriminator = dict(name='none')
  config.loss.name = 'elbo'
  config.optim.g.learning_rate = 1e-3
  config.train.steps = 5000
  config.train.batch_size = 128
  config.train.steps_per_dispatch = 100
  config.train.log_every = 500
  config.train.checkpoint_every = 5000
  config.train.sample_every = 5000
  config.train.num_samples = 100
  config.eval.every = 2500
  return config
