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

Schedule, exactly the slides': 5,000 epochs (``train.steps``) of
``d_steps = 20`` D updates (``train.n_critic``) then ``g_steps = 20`` G
updates (``train.g_steps``; the slide cuts the line defining ``g_steps``,
which is 20 in the code it copies, devnag's ``gan_pytorch.py``). Each D
update sees a fresh real minibatch. Reading it as 20 D updates per single G
update (``--config.train.g_steps=1``) gives G only 5,000 updates against a
D it cannot catch, and fails (generated mean/std 14.50/4.56, -4.29/0.005
and 1.49/0.10 for seeds 0, 1, 2).

The picture is ``samples/step_0005000.png``: a histogram of 10,000
generated values over the target density. What to expect: the
moments are matched (mean near 4, std near 1.25, skewness and excess
kurtosis near 0), but the histogram is no bell: four moments are all D can
tell apart, so G has no reason to be normal beyond them (the tanh units
saturate into hard shoulders). Measured on a
busy 2-core CPU, seed 0: 85 s wall (compile and evaluations included;
17-21 s with ``train.steps_per_dispatch=1000`` and no evaluations before
the end, as docs/RESULTS.md runs it);
100,000 generated values: mean 3.99, std 1.25, skewness -0.02, excess
kurtosis -0.01; the final evaluation (2,500 samples, ``metrics.jsonl``):
mean 4.01, std 1.25, KS 0.033, W1 0.080, D(x) = D(G(z)) = 0.50.

Against issue 9's 1D targets (|mean - 4| and |std - 1.25| <= 0.05, KS <=
0.03) this exact seed-003 system meets the mean and std but **misses the KS
target**: over seeds 0-9 (docs/RESULTS.md) KS is 0.099 +- 0.063
(0.033-0.243), three times the target, because a discriminator that sees
only four moments cannot ask for the normal shape: any shape with the
right four moments is an equilibrium, and which one G lands on depends on
the seed. Longer training or an EMA of G cannot change that. It is kept
as the seed's system on purpose. Two configs meet the targets:
``configs/gaussian1d_moments_normal.py``, this system with Gaussian noise
into G (KS 0.024 over 10 seeds: the target is then an affine map of z),
and ``configs/gaussian1d_tuned.py`` (per-sample D, Adam, an EMA of G; all
three targets on 10 of 10 seeds).
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
  config.train.steps = 5_000
  config.train.batch_size = 500
  config.train.n_critic = 20
  config.train.g_steps = 20
  config.train.log_every = 250
  config.train.sample_every = 1_000
  config.train.checkpoint_every = 1_000
  config.train.num_samples = 10_000
  return config
