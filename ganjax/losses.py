"""GAN losses: pure functions of discriminator logits.

Every loss here is written in log-sigmoid form (``softplus``), never as
``log(sigmoid(x))``, so it stays finite for logits of any size.

With ``D(x) = sigmoid(logit)``:

* ``minimax`` (Goodfellow et al. 2014): D maximizes
  ``log D(x) + log(1 - D(G(z)))``; G minimizes ``log(1 - D(G(z)))``.
* ``ns`` (non-saturating): the same D loss; G maximizes ``log D(G(z))``.
* ``wasserstein`` (Arjovsky et al. 2017, without weight clipping): the
  critic minimizes ``E[D(G(z))] - E[D(x)]``; G minimizes ``-E[D(G(z))]``.
  Logits are critic values, not probabilities.
* ``wgan_gp`` (Gulrajani et al. 2017): the Wasserstein loss plus the
  gradient penalty ``lambda * E[(||grad D(x_hat)||_2 - 1)^2]`` (lambda 10
  unless ``config.loss.gp_weight`` says otherwise; it cannot be 0).
* ``hinge`` (Lim & Ye 2017, as SAGAN, BigGAN and StudioGAN use it): D
  minimizes ``E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]``; G minimizes
  ``-E[D(G(z))]``.
* ``lsgan`` (Mao et al. 2017, labels a=0, b=c=1): D minimizes ``1/2 E[(D(x)
  - 1)^2] + 1/2 E[D(G(z))^2]``; G minimizes ``1/2 E[(D(G(z)) - 1)^2]``.
* ``ragan`` and ``ralsgan`` (Jolicoeur-Martineau 2018, relativistic
  average): D's logits are compared with the other side's mean over the
  global batch, ``C(x) - E C(G(z))``; G's loss is D's with real and fake
  swapped, so G's step also scores a real batch (the last critic batch of
  the step). Top-k G updates are not defined for them (refused).

Penalties are independent of the loss (as compare_gan keeps them): the
gradient penalty (``gradient_penalty``, ``config.loss.gp_weight`` = lambda)
adds to D's loss with any loss when its weight is above 0; its default
(``gp_weight=None``) is the loss's own, ``GANLoss.default_gp_weight``: 10 for
``wgan_gp``, 0 (off) for the others.

Any of them can add the R1 penalty (Mescheder et al. 2018, *Which training
methods for GANs do actually converge?*): ``gamma / 2 * E[||grad D(x)||^2]``
on real samples ``x`` (zero-centred, no interpolation), added to D's loss
with ``config.loss.r1_weight`` = gamma (``r1_penalty``).

Any of them can also update G with top-k training (Sinha et al. 2020,
*Top-k Training of GANs: Improving GAN Performance by Throwing Away Bad
Samples*): G's loss averages only over the generated samples that D scores
highest, the top ``k = ceil(fraction * batch)`` of the global batch, with
``fraction = max(nu, gamma ** step)`` (``top_k_fraction``, ``top_k_mask``;
``config.loss.top_k_fraction`` = nu, ``config.loss.top_k_decay`` = gamma).
The gradients of the samples D finds least realistic are dropped (Sinha
et al. find that they can push samples away from their nearest mode).

With a class-conditional GAN, ACGAN (Odena et al. 2017, *Conditional Image
Synthesis with Auxiliary Classifier GANs*; ``config.loss.acgan_weight`` =
lambda > 0) adds an auxiliary classifier to D (class logits beside the
adversarial logit, from the same features) and the class cross-entropy
``L_C = CE(C(x), y)`` to both losses, beside the adversarial loss of
``loss.name``:

* D minimizes ``lambda * (CE(C(x_real), y_real) + f * CE(C(G(z, y)), y))``
  (``acgan_d_loss``; ``f`` = ``config.loss.acgan_fake_weight``): ``f = 1``
  is the paper's ``L_C`` (real and generated images alike), ``f = 0`` is
  PyTorch-StudioGAN's ``'AC'`` (D learns classes from real images only);
* G minimizes ``lambda * CE(C(G(z, y)), y)`` (``acgan_g_loss``): its samples
  must be classified as their conditioning labels.

The paper does not weight ``L_C``; the one ``lambda`` for D and G is
StudioGAN's ``cond_lambda`` (``worker.py``: ``d_loss + cond_lambda *
cond_loss(real)`` and ``g_loss + cond_lambda * cond_loss(fake)``).

Losses are means over the (per-device) batch; the step averages them over
devices, so the result is the global-batch mean.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp

from ganjax import errors


def minimax_d_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
  """-[log D(x) + log(1 - D(G(z)))], averaged: binary cross-entropy."""
  return jnp.mean(jax.nn.softplus(-real_logits)) + jnp.mean(
      jax.nn.softplus(fake_logits))


def minimax_g_loss(fake_logits: jax.Array) -> jax.Array:
  """log(1 - D(G(z))), averaged (the saturating generator loss)."""
  return -jnp.mean(jax.nn.softplus(fake_logits))


def ns_g_loss(fake_logits: jax.Array) -> jax.Array:
  """-log D(G(z)), averaged (the non-saturating generator loss)."""
  return jnp.mean(jax.nn.softplus(-fake_logits))


def wasserstein_d_loss(real_logits: jax.Array,
                       fake_logits: jax.Array) -> jax.Array:
  """E[D(G(z))] - E[D(x)]: the critic's part without the penalty."""
  return jnp.mean(fake_logits) - jnp.mean(real_logits)


def wasserstein_g_loss(fake_logits: jax.Array) -> jax.Array:
  """-E[D(G(z))]."""
  return -jnp.mean(fake_logits)


def hinge_d_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
  """E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))] (Lim & Ye 2017; SAGAN,
  BigGAN; TF-GAN's ``wasserstein_hinge_discriminator_loss``)."""
  return jnp.mean(jax.nn.relu(1.0 - real_logits)) + jnp.mean(
      jax.nn.relu(1.0 + fake_logits))


def least_squares_d_loss(real_logits: jax.Array,
                         fake_logits: jax.Array) -> jax.Array:
  """LSGAN's D (Mao et al. 2017, labels a=0, b=1): 1/2 E[(D(x) - 1)^2] +
  1/2 E[D(G(z))^2], as TF-GAN's ``least_squares_discriminator_loss``."""
  return 0.5 * jnp.mean((real_logits - 1.0) ** 2) + 0.5 * jnp.mean(
      fake_logits ** 2)


def least_squares_g_loss(fake_logits: jax.Array) -> jax.Array:
  """LSGAN's G (c=1): 1/2 E[(D(G(z)) - 1)^2], as TF-GAN's
  ``least_squares_generator_loss``."""
  return 0.5 * jnp.mean((fake_logits - 1.0) ** 2)


def class_cross_entropy(class_logits: jax.Array,
                        labels: jax.Array) -> jax.Array:
  """``-log softmax(class_logits)[label]``, averaged over the batch
  (``class_logits`` [batch, classes], ``labels`` int [batch])."""
  log_p = jax.nn.log_softmax(class_logits.astype(jnp.float32), axis=-1)
  picked = jnp.take_along_axis(log_p, labels.astype(jnp.int32)[:, None],
                               axis=-1)
  return -jnp.mean(picked)


def acgan_d_loss(real_class_logits: jax.Array, real_labels: jax.Array,
                 fake_class_logits: jax.Array, fake_labels: jax.Array,
                 fake_weight: float = 1.0) -> jax.Array:
  """ACGAN's class term of D's loss (without lambda): ``CE(C(x), y) +
  fake_weight * CE(C(G(z, y')), y')``."""
  loss = class_cross_entropy(real_class_logits, real_labels)
  if fake_weight:
    loss = loss + fake_weight * class_cross_entropy(fake_class_logits,
                                                    fake_labels)
  return loss


def acgan_g_loss(fake_class_logits: jax.Array,
                 fake_labels: jax.Array) -> jax.Array:
  """ACGAN's class term of G's loss (without lambda): ``CE(C(G(z, y)),
  y)``, the samples classified as the labels they were drawn for."""
  return class_cross_entropy(fake_class_logits, fake_labels)


def class_accuracy(class_logits: jax.Array, labels: jax.Array) -> jax.Array:
  """The fraction of the batch whose arg-max class is its label."""
  return jnp.mean((jnp.argmax(class_logits, axis=-1) == labels
                   ).astype(jnp.float32))


def _global_mean(x: jax.Array, axis_name: str | None) -> jax.Array:
  """The mean over the global batch (all devices under pmap)."""
  m = jnp.mean(x)
  return m if axis_name is None else jax.lax.pmean(m, axis_name)


def relativistic_d_loss(real_logits: jax.Array, fake_logits: jax.Array,
                        axis_name: str | None = None) -> jax.Array:
  """RaGAN's D (Jolicoeur-Martineau 2018, relativistic average standard
  GAN): -E[log sigmoid(C(x) - E C(G(z)))] - E[log(1 - sigmoid(C(G(z)) -
  E C(x)))], the means over the global batch (TF-GAN's
  ``relativistic_discriminator_loss``)."""
  real_mean = _global_mean(real_logits, axis_name)
  fake_mean = _global_mean(fake_logits, axis_name)
  return (jnp.mean(jax.nn.softplus(-(real_logits - fake_mean))) +
          jnp.mean(jax.nn.softplus(fake_logits - real_mean)))


def relativistic_g_loss(fake_logits: jax.Array, real_logits: jax.Array,
                        axis_name: str | None = None) -> jax.Array:
  """RaGAN's G: the D loss with real and fake swapped (TF-GAN's
  ``relativistic_generator_loss``)."""
  return relativistic_d_loss(fake_logits, real_logits, axis_name)


def relativistic_ls_d_loss(real_logits: jax.Array, fake_logits: jax.Array,
                           axis_name: str | None = None) -> jax.Array:
  """RaLSGAN's D: E[(C(x) - E C(G(z)) - 1)^2] + E[(C(G(z)) - E C(x) +
  1)^2] (Jolicoeur-Martineau 2018, eq. of RaLSGAN)."""
  real_mean = _global_mean(real_logits, axis_name)
  fake_mean = _global_mean(fake_logits, axis_name)
  return (jnp.mean((real_logits - fake_mean - 1.0) ** 2) +
          jnp.mean((fake_logits - real_mean + 1.0) ** 2))


def relativistic_ls_g_loss(fake_logits: jax.Array, real_logits: jax.Array,
                           axis_name: str | None = None) -> jax.Array:
  """RaLSGAN's G: the D loss with real and fake swapped."""
  return relativistic_ls_d_loss(fake_logits, real_logits, axis_name)


def interpolate(real: jax.Array, fake: jax.Array, eps: jax.Array) -> jax.Array:
  """x_hat = eps * real + (1 - eps) * fake, with one eps per example.

  Args:
    real: [batch, ...] real samples.
    fake: [batch, ...] generated samples.
    eps: [batch] uniform draws in [0, 1].
  """
  eps = eps.reshape((-1,) + (1,) * (real.ndim - 1))
  return eps * real + (1.0 - eps) * fake


def gradient_penalty(critic: Callable[[jax.Array], jax.Array],
                     x_hat: jax.Array) -> jax.Array:
  """E[(||grad_x critic(x)||_2 - 1)^2] at the points ``x_hat``.

  ``critic`` maps a batch [batch, ...] to logits [batch] or [batch, 1] and
  must treat examples independently (no BatchNorm in train mode), so that
  the gradient of the summed output is the per-example gradient.
  """
  grads = jax.grad(lambda x: jnp.sum(critic(x)))(x_hat)
  grads = grads.reshape((grads.shape[0], -1))
  # A tiny epsilon keeps the gradient of the norm finite at zero.
  norms = jnp.sqrt(jnp.sum(jnp.square(grads), axis=-1) + 1e-12)
  return jnp.mean(jnp.square(norms - 1.0))


def r1_penalty(critic: Callable[[jax.Array], jax.Array],
               real: jax.Array) -> jax.Array:
  """E[||grad_x critic(x)||_2^2] at the real samples (R1 without gamma/2).

  The same per-example contract on ``critic`` as ``gradient_penalty``.
  """
  grads = jax.grad(lambda x: jnp.sum(critic(x)))(real)
  grads = grads.reshape((grads.shape[0], -1))
  return jnp.mean(jnp.sum(jnp.square(grads), axis=-1))


def top_k_fraction(step: jax.Array, final_fraction: float,
                   decay: float) -> jax.Array:
  """The fraction of the batch that G learns from at ``step``:
  ``max(final_fraction, decay ** step)``, 1 at step 0."""
  return jnp.maximum(final_fraction,
                     jnp.power(decay, jnp.asarray(step, jnp.float32)))


def top_k_mask(scores: jax.Array, all_scores: jax.Array,
               fraction: jax.Array) -> jax.Array:
  """1.0 where a score is among the ``ceil(fraction * N)`` highest of
  ``all_scores`` ([N], the scores of the global batch), else 0.0.

  ``scores`` are this device's (a slice of ``all_scores``, or all of it).
  Ties at the threshold are all kept. ``fraction`` may be traced.
  """
  n = all_scores.shape[0]
  k = jnp.clip(jnp.ceil(fraction * n).astype(jnp.int32), 1, n)
  threshold = jnp.sort(all_scores)[n - k]
  return (scores >= threshold).astype(jnp.float32)


@dataclasses.dataclass(frozen=True)
class GANLoss:
  """A named pair of D and G losses, and the gradient-penalty weight that
  comes with the name (``config.loss.gp_weight=None``)."""
  name: str
  d_loss: Callable[[jax.Array, jax.Array], jax.Array]
  g_loss: Callable[[jax.Array], jax.Array]
  default_gp_weight: float = 0.0
  # How to read a mean logit as "D(x)": a probability or a critic value.
  probabilities: bool = True
  # Relativistic: both losses compare real and fake logits (G's step then
  # runs D on a real batch too), through means over the global batch.
  relativistic: bool = False

  def discriminator(self, real_logits: jax.Array, fake_logits: jax.Array,
                    axis_name: str | None = None) -> jax.Array:
    """D's loss (``axis_name``: the device axis of a relativistic loss's
    batch means)."""
    if self.relativistic:
      return self.d_loss(real_logits, fake_logits, axis_name)
    return self.d_loss(real_logits, fake_logits)

  def generator(self, fake_logits: jax.Array,
                real_logits: jax.Array | None = None,
                axis_name: str | None = None) -> jax.Array:
    """G's loss; ``real_logits`` only for a relativistic loss."""
    if self.relativistic:
      return self.g_loss(fake_logits, real_logits, axis_name)
    return self.g_loss(fake_logits)


LOSSES = {
    'minimax': GANLoss('minimax', minimax_d_loss, minimax_g_loss),
    'ns': GANLoss('ns', minimax_d_loss, ns_g_loss),
    'wasserstein': GANLoss('wasserstein', wasserstein_d_loss,
                           wasserstein_g_loss, probabilities=False),
    'wgan_gp': GANLoss('wgan_gp', wasserstein_d_loss, wasserstein_g_loss,
                       default_gp_weight=10.0, probabilities=False),
    'hinge': GANLoss('hinge', hinge_d_loss, wasserstein_g_loss,
                     probabilities=False),
    'lsgan': GANLoss('lsgan', least_squares_d_loss, least_squares_g_loss,
                     probabilities=False),
    'ragan': GANLoss('ragan', relativistic_d_loss, relativistic_g_loss,
                     relativistic=True),
    'ralsgan': GANLoss('ralsgan', relativistic_ls_d_loss,
                       relativistic_ls_g_loss, probabilities=False,
                       relativistic=True),
}


def get_loss(name: str) -> GANLoss:
  """The loss pair called ``name``; a clear error for an unknown name."""
  if name not in LOSSES:
    raise errors.ConfigError(f'config.loss.name={name!r} is not a known loss; '
                     f'choose one of {sorted(LOSSES)}.')
  return LOSSES[name]


def gp_weight(loss_config) -> float:
  """lambda of the gradient penalty for ``config.loss``: its ``gp_weight``,
  or the loss's own default when that is None; one line when a value
  contradicts the name."""
  loss = get_loss(loss_config.name)
  weight = loss_config.gp_weight
  if weight is None:
    return loss.default_gp_weight
  if loss.default_gp_weight and not weight > 0:
    raise errors.ConfigError(
        f'config.loss.gp_weight={weight!r} is not allowed with '
        f'config.loss.name={loss.name!r}, the Wasserstein loss plus the '
        "gradient penalty: use a weight > 0 (e.g. 10), or loss.name="
        "'wasserstein' for none.")
  return float(weight)
