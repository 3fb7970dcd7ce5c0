r"""Offline 8x8 digits: an MLP WGAN-GP with an EMA of G.

  python launch.py --config=configs/digits_wgan_gp.py --workdir=runs/digits_wgan_gp
  python launch.py --config=configs/digits_wgan_gp.py --workdir=/tmp/digits_wgan_gp --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Trains on ``digits`` (scikit-learn's 8x8 handwritten digits as a TFDS
dataset prepared offline on first use: 1,437 training images, pixels in
[-1, 1]), kept on the device (``data.on_device=True``):

* G: z ~ N(0, I) of size 32 -> 2 hidden LeakyReLU (0.2) layers of 256 ->
  64, tanh, reshaped to 8x8x1; D: 64 -> 256 -> 256 LeakyReLU -> 1;
* WGAN-GP (lambda 10), 2 critic steps per G step, Adam 5e-4, betas
  (0.5, 0.9), batch 128;
* samples and evaluations use an EMA of G's weights
  (``model.ema_decay=0.995``);
* 5,000 steps, 100 per dispatch; evaluation every 2,500 steps.

CPU time: about 1-2 minutes on a 2-core CPU (compile and, the first time,
the evaluation classifier's 2,000 training steps included). Expected
(docs/RESULTS.md, seeds 0-4): classifier FID 16.4 +- 0.6 against a
real-data floor of 10.0 (1.64x; 2,500 samples against the 360 test
images), all 10 classes, class KL 0.002. Why MLPs and WGAN-GP:
docs/RESULTS.md, "Lab notes".
"""

from ganjax import config_lib


def get_config():
  config = config_lib.base_config()
  config.data.name = 'digits'
  config.data.value_range = (-1.0, 1.0)
  config.data.on_device = True
  config.model.latent_dim = 32
  config.model.generator = dict(name='mlp', hidden=(256, 256),
                                activation='leaky_relu',
                                output_activation='tanh')
  config.model.discriminator = dict(name='mlp', hidden=(256, 256),
                                    activation='leaky_relu')
  config.model.ema_decay = 0.995
  config.loss.name = 'wgan_gp'
  config.loss.gp_weight = 10.0
  for opt in (config.optim.g, config.optim.d):
    opt.learning_rate = 5e-4
    opt.b1 = 0.5
    opt.b2 = 0.9
  config.train.steps = 5000
  config.train.batch_size = 128
  config.train.n_critic = 2
  config.train.steps_per_dispatch = 100
  config.train.log_every = 500
  config.train.checkpoint_every = 5000
  config.train.sample_every = 5000
  config.train.num_samples = 100
  config.eval.every = 2500
  return config
