"""Small shared pieces of the model zoo: activations and Keras-like defaults."""

from __future__ import annotations

import functools
from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
from ganjax import errors

# Keras' glorot_uniform / zeros: the initializers of the TensorFlow models
# the seeds describe, so a ganjax model starts where theirs did.
kernel_init = nn.initializers.glorot_uniform()

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    'relu': nn.relu,
    'elu': nn.elu,
    'tanh': jnp.tanh,
    'sigmoid': nn.sigmoid,
    'leaky_relu': functools.partial(nn.leaky_relu, negative_slope=0.2),
    # Keras 2's LeakyReLU() default, used by the TensorFlow DCGAN tutorial.
    'leaky_relu_0.3': functools.partial(nn.leaky_relu, negative_slope=0.3),
    'linear': lambda x: x,
    'none': lambda x: x,
}


def activation(name: str) -> Callable[[jax.Array], jax.Array]:
  if name not in ACTIVATIONS:
    raise errors.ConfigError(f'activation {name!r} is not known; choose one of '
                     f'{sorted(ACTIVATIONS)}.')
  return ACTIVATIONS[name]


def batch_norm(train: bool, axis_name: str | None, name: str | None = None):
  """BatchNorm with Keras' defaults (momentum 0.99, epsilon 1e-3).

  Under ``jax.pmap`` ``axis_name`` is the device axis, so batch statistics
  are those of the global batch and the result equals one device.
  """
  return nn.BatchNorm(use_running_average=not train, momentum=0.99,
                      epsilon=1e-3, axis_name=axis_name if train else None,
                      name=name)
