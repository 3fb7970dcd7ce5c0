r"""Seed 003: the 1D Gaussian GAN of the PyTorch slides (moments discriminator).

  python launch.py --config=configs/gaussian1d_moments.py --workdir=runs/gaussian1d_moments

Seed: ``seeds/003`` (Farooq, "Generative Adversarial Networks" slides, the
"GAN Example" code, after github.com/devnag/pytorch-generative-adversarial-
networks ``gan_pytorch.py``, "Only 4 moments").

* Target N(4, 1.25) (``data.name='gaussian1d'``); uniform noise of size 1
  into G (the slides' ``torch.rand``, U[0, 1); here U(-1, 1)).
* G: Linear(1, 5) -> tanh -> Linear(5, 5) -> tanh -> Linear(5, 1) (the
  ``'mlp'`` model, 46 parameters).
* D (``'moments'``): the minibatch of 500 reduced to its first four moments
  (mean, std, skewness, excess kurtosis) -> Linear(4, 10) -> sigmoid ->
  Linear(10, 10) -> sigmoid -> Linear(10, 1) (171 parameters); the slides'
  final sigmoid lives in the loss, and D gives one logit per minibatch.
* Binary cross-entropy, G trained to have its samples called real (the
  non-saturating loss ``'ns'``); SGD, momentum 0.9, learning rate 1e-3 for
  both; batch 500.
* Runs on one device (``parallel='jit'``) so D sees the whole minibatch of
  500, as in the slides.

Schedule. The slides run 5,000 epochs of ``d_steps = 20`` D updates then
``g_steps`` G updates; the slide cuts the line defining ``g_steps``, which
is 20 in the code it copies (devnag's ``gan_pytorch.py``: ``d_steps = 20``,
``g_steps = 20``). That is 100,000 D and 100,000 G updates, one to one.
ganjax's step is ``n_critic`` D updates and ONE G update, so this config
keeps the counts and the ratio: 100,000 steps of 1 D + 1 G update
(``n_critic=1``). The literal reading "20 D steps per G step for 5,000
steps" (``--config.train.n_critic=20 --config.train.steps=5000``) gives G
only 5,000 updates against a D it cannot catch, and fails: generated
mean/std 14.50/4.56, -4.29/0.005 and 1.49/0.10 for seeds 0, 1, 2.

Takes 2 to 3.5 minutes on a 2-core CPU (compile and evaluations
included; 3 min 15 s measured on a busy one). The picture is
``samples/step_0100000.png``: a histogram of 10,000 generated values over
the target density. Measured (100,000 generated values from the final G,
CPU): mean 4.00 and std 1.23 (seed 0); 3.99 / 1.24 (seed 1); 4.08 / 0.91
(seed 2), against 4 and 1.25. The final gaussian1d evaluation of seed 0
(``metrics.jsonl``, 2,500 samples) reads mean 4.05, std 1.24, KS 0.165,
W1 0.27, D(x) = D(G(z)) = 0.50. Seed 0 also matches the other
two moments D sees (skewness 0.01, excess kurtosis -0.00), yet its
histogram is no bell: a peak at 4-5 with shoulders cut off at 1.8 and 7.1
(the tanh units saturate). Four moments are all D can tell apart, so G
has no reason to be normal beyond them.
"""

from ganjax import config_lib


def get_config():
  config = config_lib.base_config()
  config.parallel = 'jit'
  config.data.name = 'gaussian1d'
  config.model.latent_dim = 1
  config.model.latent_dist = 'uniform'
  config.model.generator = dict(name='mlp', hidden=(5, 5), activation='tanh',
                                output_activation='linear')
  config.model.discriminator = dict(name='moments', hidden=(10, 10),
                                    activation='sigmoid')
  config.loss.name = 'ns'
  for net in ('g', 'd'):
    config.optim[net].name = 'sgd'
    config.optim[net].learning_rate = 1e-3
    config.optim[net].momentum = 0.9
  config.train.steps = 100_000
  config.train.batch_size = 500
  config.train.n_critic = 1
  config.train.log_every = 5_000
  config.train.sample_every = 20_000
  config.train.checkpoint_every = 20_000
  config.train.num_samples = 10_000
  return config
