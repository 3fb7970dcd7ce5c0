"""Shared test fixtures."""

import os
import sys
from unittest import mock

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
  sys.path.insert(0, ROOT)


@pytest.fixture
def mock_tfds():
  """TFDS datasets as random data (``tfds.testing.mock_data``), with the
  network probe answering yes so the (mocked) download path is taken."""
  import tensorflow_datasets as tfds
  from ganjax.data import images
  with tfds.testing.mock_data(num_examples=64), \
      mock.patch.object(images, '_network_reaches', return_value=True):
    yield


def tiny(config, steps=2, batch=8):
  """A config shrunk to a few small steps, logging every step."""
  config.train.steps = steps
  config.train.batch_size = batch
  config.train.log_every = 1
  config.train.checkpoint_every = steps
  config.train.sample_every = steps
  config.train.num_samples = min(config.train.num_samples, 16)
  # Evaluators have tests of their own; a smoke run need not train the
  # image evaluators' classifier.
  config.eval.evaluators = 'none'
  return config


def leaves_equal(a, b):
  """Two pytrees with bitwise-equal leaves."""
  import jax  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
  assert len(la) == len(lb)
  for x, y in zip(la, lb):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
