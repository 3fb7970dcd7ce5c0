r"""Seed 000: the MNIST GAN of the TensorFlow project report (conv D, deconv G).

  python launch.py --config=configs/mnist_tf_report.py --workdir=runs/mnist_tf_report
  python launch.py --config=configs/mnist_tf_report.py --workdir=/tmp/mnist_tf_report --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Seed: ``seeds/000`` (Gupta, Singh, Mukherjee, 2018), sections 2.1-2.5.

* D and G (``'tf_report_mnist'``, ``ganjax/models/tf_report.py``: the
  report fixes their kinds, not their sizes): D = conv 5x5 32 -> leaky ReLU
  (0.01) -> pool 2x2/2 -> conv 5x5 64 -> leaky ReLU -> pool -> FC 1024 ->
  FC 1 (3,265,409 parameters); G = z (100, N(0, I)) -> FC 1024 -> FC
  7*7*64 -> deconv 5x5/2 32 -> deconv 5x5/2 1, ReLU, tanh output
  (3,369,857 parameters).
* The report's minimax value function, G minimizing log(1 - D(G(z)))
  (``loss.name='minimax'``), k = 1 D step per G step (``train.n_critic``,
  Goodfellow et al.'s value), 20,000 iterations (``train.steps``).
* Chosen here: batch 64; Adam (the report says only "SGD") with learning
  rate 2e-4 and beta1 0.5 (Radford et al.).

Needs MNIST prepared by TFDS. Not timed here (no GPU, no MNIST in this
environment): an estimate is 10-20 minutes on one current GPU. Expect
digit strokes after a few thousand iterations and recognizable digits by
20,000 (the report's Fig. 2.7); the saturating minimax G loss can stall
early when D wins (D(G(z)) near 0): ``--config.loss.name=ns`` is the
usual remedy.
"""

from ganjax import config_lib


def get_config():
  config = config_lib.base_config()
  config.data.name = 'mnist'
  config.data.value_range = (-1.0, 1.0)
  config.model.latent_dim = 100
  config.model.latent_dist = 'normal'
  config.model.generator = dict(name='tf_report_mnist')
  config.model.discriminator = dict(name='tf_report_mnist')
  config.loss.name = 'minimax'
  for opt in (config.optim.g, config.optim.d):
    opt.name = 'adam'
    opt.learning_rate = 2e-4
    opt.b1 = 0.5
  config.train.n_critic = 1
  config.train.steps = 20_000
  config.train.batch_size = 64
  config.train.log_every = 200
  config.train.checkpoint_every = 2_000
  config.train.sample_every = 1_000
  config.train.num_samples = 64
  return config
