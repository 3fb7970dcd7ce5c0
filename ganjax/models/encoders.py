"""Encoders by name, built from ``config.model.encoder`` (families that
have one: ``vae``; later BiGAN/ALI and the adversarial autoencoder).

An encoder maps samples ``[batch, *data_shape]`` to the mean and the log
variance ``[batch, latent]`` of a diagonal Gaussian ``q(z | x)``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax import models
from ganjax.models import layers


class GaussianMLPEncoder(nn.Module):
  """x -> (mean, log_var) of q(z | x): an MLP with two linear heads, as the
  VAE of Kingma & Welling 2014 (one hidden layer of 400 in the PyTorch
  examples' MNIST VAE, which ``configs/digits_vae.py`` follows)."""
  latent_dim: int
  hidden: Sequence[int] = (400,)
  activation: str = 'relu'
  axis_name: str | None = None  # unused: no BatchNorm; kept for one signature.

  @nn.compact
  def __call__(self, x: jax.Array,
               train: bool = True) -> tuple[jax.Array, jax.Array]:
    act = layers.activation(self.activation)
    h = x.reshape((x.shape[0], -1)).astype(jnp.float32)
    for width in self.hidden:
      h = act(nn.Dense(width, kernel_init=layers.kernel_init)(h))
    mean = nn.Dense(self.latent_dim, kernel_init=layers.kernel_init,
                    name='mean')(h)
    log_var = nn.Dense(self.latent_dim, kernel_init=layers.kernel_init,
                       name='log_var')(h)
    return mean, log_var


ENCODERS: dict[str, type[nn.Module]] = {
    'mlp': GaussianMLPEncoder,
}


def build_encoder(spec: Mapping[str, Any], latent_dim: int,
                  axis_name: str | None = None) -> nn.Module:
  """The encoder named in ``spec`` (``config.model.encoder``)."""
  return models._build(  # pylint: disable=protected-access
      ENCODERS, spec, 'config.model.encoder', None, latent_dim=latent_dim,
      axis_name=axis_name)
