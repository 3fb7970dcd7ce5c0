"""ganjax: Generative Adversarial Networks in JAX/Flax.

    import ganjax
    config = ganjax.get_config('default')
    result = ganjax.train(config, 'runs/default')
    images = ganjax.sample(result, num=64)
    result = ganjax.load('runs/default')

``ganjax.train`` is both the training module (``ganjax.train.
train_and_evaluate``, what ``launch.py`` calls) and, called, the API function
``ganjax.api.train``.
"""

import sys as _sys
import types as _types

from ganjax import train as _train_module
from ganjax.api import Trained, get_config, load, sample
from ganjax.api import train as _api_train

__version__ = '0.1.0'


class _CallableModule(_types.ModuleType):
  """Lets ``ganjax.train(config, workdir)`` call the API while
  ``ganjax.train.train_and_evaluate`` stays the module's function."""

  def __call__(self, *args, **kwargs):
    return _api_train(*args, **kwargs)


_train_module.__class__ = _CallableModule
train = _train_module

__all__ = ['Trained', 'get_config', 'load', 'sample', 'train']
