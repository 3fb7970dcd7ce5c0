"""``selfsup``: FID, KID, precision / recall / density / coverage, each
beside its real-data floor, for images without labels (``selfsup_fid``,
``selfsup_fid_floor``, ..., ``selfsup_accuracy``).

The feature network is the ``classifier`` CNN (``classifier.py``) trained
on the training split to predict by how much each image was rotated (0,
90, 180 or 270 degrees: the self-supervised task of Gidaris et al. 2018),
so it needs no labels; the features are its 128-d penultimate layer on
unrotated images. It is trained with the ``classifier``'s options
(``config.eval.classifier``: ``steps``, ``batch_size`` images per step, each
seen in its 4 rotations, ``learning_rate``, ``num_real``, ``cache_dir``) and
cached the same way, under a name ending in ``-rotation``. What it can and
cannot be compared with: docs/EVALUATION.md.
"""

from __future__ import annotations

import os
from typing import Iterator

import numpy as np
from absl import logging

from ganjax import data
from ganjax.evaluation import classifier as classifier_lib
from ganjax.evaluation import features, real_data
from ganjax.evaluation.base import register
from ganjax.evaluation.classifier_evaluator import TrainedNetworkEvaluator

ROTATIONS = 4
TASK = 'rotation'


def rotation_batch(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Images [N, H, W, C] in their 4 rotations by k * 90 degrees
  ([4N, H, W, C], k-major) and the labels k [4N]."""
  rotated = [np.rot90(images, k, axes=(1, 2)) for k in range(ROTATIONS)]
  labels = np.repeat(np.arange(ROTATIONS, dtype=np.int32), len(images))
  return np.concatenate(rotated), labels


def rotation_batches(batches: Iterator[np.ndarray]
                     ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
  for images in batches:
    yield rotation_batch(np.asarray(images))


@register
class SelfSupervisedEvaluator(TrainedNetworkEvaluator):
  """FID, KID and PRDC in the features of a rotation-prediction CNN."""
  name = 'selfsup'
  prefix = 'selfsup_'
  task = TASK
  metric_names = features.metric_names(prefix) + ('selfsup_accuracy',)

  @classmethod
  def applies(cls, config):
    if not data.is_image(config):
      return False
    h, w, _ = data.data_shape(config)
    return h == w  # Rotations by 90 degrees keep the shape.

  @classmethod
  def chosen_by_auto(cls, config):
    """Only for image data of a single class (an unlabelled folder)."""
    return cls.applies(config) and real_data.num_classes(config) == 1

  def _rotation_accuracy(self, images: np.ndarray) -> float:
    x, k = rotation_batch(images)
    return classifier_lib.accuracy(self.model, self.params, x, k,
                                   self.batch_size)

  def _train(self, test: np.ndarray) -> None:
    logging.info('Training the rotation network for %s (%d steps); it will '
                 'be cached in %s.', self.config.data.name, self.steps,
                 self.cache_path)
    stream = data.make_stream(self.config,
                              batch_shape=(self.classifier_batch_size,),
                              seed=self.seed)
    self.model, self.params = classifier_lib.train_classifier(
        rotation_batches(b['x'] for b in stream), ROTATIONS, self.steps,
        self.learning_rate, self.seed)
    classifier_lib.save(self.cache_path, self.params, ROTATIONS, {
        'dataset': self.config.data.name, 'task': TASK,
        'shape': list(self.shape),
        'test_split': self.config.eval.test_split,
        'test_examples': int(len(test)),
        'test_accuracy': self._rotation_accuracy(test)})
    self.trained_now = True

  def prepare(self) -> None:
    if self.params is not None:
      return
    test = self.real.heldout(self.num_real)['x']
    if os.path.exists(self.cache_path):
      self.model, self.params, _ = classifier_lib.load(self.cache_path)
    else:
      self._train(test)
    self.accuracy = self._rotation_accuracy(test)
    train = self.real.training(self.num_samples)['x']
    self.set_reference(self.embed(test), self.embed(train))

  def evaluate(self, spec, state, rng_seed):
    self.prepare()
    return {**self.scores(self.embed(self.samples(spec, state, rng_seed))),
            'selfsup_accuracy': self.accuracy}
