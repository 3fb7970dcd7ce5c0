r"""Class-conditional MLP GAN on the grid of 25 Gaussians (label = mode).

  python launch.py --config=configs/grid25_conditional_mlp.py --workdir=runs/grid25_conditional_mlp
  python launch.py --config=configs/grid25_conditional_mlp.py --workdir=/tmp/grid25_conditional_mlp --config.train.steps=2 --config.eval.at_end=False  # smoke test: no final evaluation

Seeds: ``seeds/003`` ("Conditional GAN" among its GAN architectures; its
example is an MLP GAN on toy Gaussian data) and ``seeds/001``
(conditioning both networks on side information). Offline: the data is
generated.

* Data: 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05; each sample's label
  is the index of its mode (25 classes).
* G (``'conditional_mlp'``): [z (2, N(0, I)), embed(y) (8)] -> 3 x 128 ReLU
  -> 2 (34,890 parameters).
* D (``'projection_mlp'``): 3 x 128 ReLU = phi(x), logit = psi(phi(x)) +
  <embed(y), phi(x)> (Miyato & Koyama 2018; 36,737 parameters).
* Non-saturating loss, Adam 1e-3 (beta1 0.5), batch 256, 5,000 steps, as
  ``configs/default.py``.

About 1.5 minutes on a 2-core CPU (80 s measured). The picture
``samples/step_*.png`` is a scatter of generated points over the 25 modes
(``ganjax.sampling.save_class_picture`` colours them by class). Measured (seed 0,
CPU): every class lands at its own mode or within 0.5 of it, but not
always on its centre: 21 of 25 modes covered, 32% high-quality samples
(within 3 std). A longer run: docs/RESULTS.md.
"""

from ganjax import config_lib

NUM_CLASSES = 25


def get_config():
  config = config_lib.base_config()
  config.data.name = 'grid25'
  config.model.latent_dim = 2
  config.model.num_classes = NUM_CLASSES
  config.model.generator = dict(name='conditional_mlp', embed_dim=8,
                                hidden=(128, 128, 128))
  config.model.discriminator = dict(name='projection_mlp',
                                    hidden=(128, 128, 128))
  config.loss.name = 'ns'
  for opt in (config.optim.g, config.optim.d):
    opt.learning_rate = 1e-3
    opt.b1 = 0.5
  config.train.steps = 5000
  config.train.batch_size = 256
  config.train.log_every = 500
  config.train.checkpoint_every = 2500
  config.train.sample_every = 1000
  config.train.num_samples = 2500
  return config
