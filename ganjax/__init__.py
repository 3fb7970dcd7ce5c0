"""ganjax: Generative Adversarial Networks in JAX/Flax.

    import ganjax
    config = ganjax.get_config('default')
    result = ganjax.train(config, 'runs/default')
    images = ganjax.sample(result, num=64)
    result = ganjax.load('runs/default')
    metrics = ganjax.evaluate(result)

``ganjax.train`` and ``ganjax.evaluate`` are modules (``ganjax.train.
train_and_evaluate`` is what ``launch.py`` calls; ``ganjax.evaluate`` holds
the evaluators) and, called, the API functions ``ganjax.api.train`` and
``ganjax.api.evaluate``.
"""

import os as _os
import types as _types

# TensorFlow only feeds data; keep its C++ INFO lines out of the logs.
_os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '1')

from ganjax import evaluate as _evaluate_module
from ganjax import train as _train_module
from ganjax.api import Trained, get_config, load, sample
from ganjax.api import evaluate as _api_evaluate
from ganjax.api import train as _api_train

__version__ = '0.1.0'


def _make_callable(module: _types.ModuleType, fn) -> _types.ModuleType:
  """Makes ``module(...)`` call ``fn`` while it stays the module."""
  module.__class__ = type(f'Callable{module.__name__}', (_types.ModuleType,),
                          {'__call__': staticmethod(fn),
                           '__doc__': fn.__doc__})
  return module


train = _make_callable(_train_module, _api_train)
evaluate = _make_callable(_evaluate_module, _api_evaluate)

__all__ = ['Trained', 'evaluate', 'get_config', 'load', 'sample', 'train']
