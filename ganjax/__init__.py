"""ganjax: Generative Adversarial Networks in JAX/Flax.

    import ganjax
    config = ganjax.get_config('default')
    result = ganjax.train(config, 'runs/default')
    images = ganjax.sample(result, num=64)
    result = ganjax.load('runs/default')
    metrics = ganjax.evaluate(result)
    frames = ganjax.interpolate(result, num=10)

``ganjax.train`` and ``ganjax.evaluate`` are plain functions (``ganjax.api``).
The loop itself is ``ganjax.loop.train_and_evaluate(config, workdir)`` (what
``launch.py`` calls); the evaluators are in ``ganjax.evaluation``.
"""

import os as _os

# TensorFlow only feeds data; keep its C++ INFO lines out of the logs.
_os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '1')

from ganjax.api import (Trained, evaluate, get_config, interpolate, load,
                        sample, train)

__version__ = '0.1.0'

__all__ = ['Trained', 'evaluate', 'get_config', 'interpolate', 'load',
           'sample', 'train']
