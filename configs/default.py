r"""The offline default: an MLP GAN on the 2D ring of 8 Gaussians.

  python launch.py                       # == --config=configs/default.py
  python launch.py --workdir=/tmp/default --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Trains the non-saturating GAN on generated data (no download) in about a
minute on a 2-core CPU and leaves ``runs/default/samples/step_*.png``: a
scatter of generated points over the 8 true modes (red crosses), a
checkpoint and TensorBoard events. Expect most of the 8 modes covered.
"""

from ganjax import config_lib


def get_config():
  config = config_lib.base_config()
  config.data.name = 'ring8'
  config.model.latent_dim = 2
  config.model.generator = dict(name='mlp', hidden=(128, 128, 128))
  config.model.discriminator = dict(name='mlp', hidden=(128, 128, 128))
  config.loss.name = 'ns'
  config.optim.g.learning_rate = 1e-3
  config.optim.d.learning_rate = 1e-3
  config.optim.g.b1 = config.optim.d.b1 = 0.5
  config.train.steps = 5000
  config.train.batch_size = 256
  config.train.log_every = 100
  config.train.checkpoint_every = 2500
  config.train.sample_every = 1000
  config.train.num_samples = 2500
  return config
