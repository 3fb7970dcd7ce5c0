r"""1D Gaussian N(4, 1.25): an affine G against a per-sample MLP D.

  python launch.py --config=configs/gaussian1d_tuned.py --workdir=runs/gaussian1d_tuned
  python launch.py --config=configs/gaussian1d_tuned.py --workdir=/tmp/gaussian1d_tuned --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

The target of seed 003 (``data.name='gaussian1d'``, generated, no
download), learnt with a per-sample discriminator and Adam instead of seed
003's four-moment discriminator and SGD (``configs/gaussian1d_moments.py``):

* G is affine, z ~ N(0, 1) of size 1 -> Dense(1) (``'mlp'`` with
  ``hidden=()``); D: MLP 64-64 ReLU on single samples;
* the non-saturating loss; Adam 5e-3 (beta1 0.5) for both;
* samples and evaluations use an EMA of G's weights
  (``model.ema_decay=0.995``);
* 4,000 steps of batch 512, 100 steps per dispatch, one device.

CPU time: about 7-20 s on a 2-core CPU (compile included). The picture
``samples/step_0004000.png`` is a histogram of 10,000 generated values over
the target density. Measured (docs/RESULTS.md, seeds 0-9, 2,500 samples):
mean 4.000 +- 0.021, std 1.256 +- 0.006, KS 0.014 +- 0.001, all 10 seeds
within the targets (0.05, 0.05, 0.03). Why these choices: docs/RESULTS.md.
"""

from ganjax import config_lib


def get_config():
  config = config_lib.base_config()
  config.parallel = 'jit'
  config.data.name = 'gaussian1d'
  config.model.latent_dim = 1
  config.model.latent_dist = 'normal'
  config.model.generator = dict(name='mlp', hidden=(),
                                output_activation='linear')
  config.model.discriminator = dict(name='mlp', hidden=(64, 64))
  config.model.ema_decay = 0.995
  config.loss.name = 'ns'
  for opt in (config.optim.g, config.optim.d):
    opt.learning_rate = 5e-3
    opt.b1 = 0.5
  config.train.steps = 4000
  config.train.batch_size = 512
  config.train.steps_per_dispatch = 100
  config.train.log_every = 500
  config.train.checkpoint_every = 4000
  config.train.sample_every = 4000
  config.train.num_samples = 10_000
  config.eval.every = 1000
  return config
