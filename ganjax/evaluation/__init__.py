"""Evaluation that works offline: a registry of evaluators, the real data
they read, recording, and workdir tools.

    evaluators = ganjax.evaluation.build_evaluators(config, workdir)
    record = ganjax.evaluation.run_evaluators(evaluators, spec, host_state,
                                              step, workdir, writer)
    path = ganjax.evaluation.sample_from_workdir('runs/default', num=64)
    record = ganjax.evaluation.evaluate_workdir('runs/default')

Files: ``base.py`` (the ``Evaluator`` class and ``REGISTRY``),
``real_data.py`` (held-out and training examples), one file per evaluator
(``mixture``, ``gaussian1d``, ``classifier_evaluator``, ``selfsup``,
``codes``, ``inception_evaluator``, ``equilibrium``;
each registers itself and reads its own ``config.eval.<name>``),
``registry.py`` (names, validation, building, running), ``records.py``
(``metrics.jsonl``, TensorBoard), ``workdir.py`` (a trained workdir back).

Metric names (definitions in ``docs/EVALUATION.md``): ``modes_covered``,
``hq_fraction``, ``reverse_kl`` (2D mixtures); ``mean``, ``std``, ``ks``,
``w1`` (1D); ``fid``, ``kid``, ``kid_std``, ``precision``, ``recall``,
``density``, ``coverage`` and their ``*_floor`` (``kid_std`` has none),
``class_coverage``, ``class_kl``, ``classifier_accuracy`` (labelled
images); the same feature metrics prefixed ``selfsup_`` with
``selfsup_accuracy`` (any images) and prefixed ``inception_`` with
``inception_score``, ``inception_score_std`` (opt-in); ``code_accuracy``,
``code_classes`` (InfoGAN's categorical code on labelled images); ``d_real``,
``d_fake`` (families with a discriminator).
"""

from ganjax.evaluation import classifier, metrics
# The evaluators register themselves, in this order.
from ganjax.evaluation.mixture import MixtureEvaluator
from ganjax.evaluation.gaussian1d import Gaussian1DEvaluator
from ganjax.evaluation.classifier_evaluator import (ClassifierEvaluator,
                                                    default_cache_dir)
from ganjax.evaluation.selfsup import SelfSupervisedEvaluator
from ganjax.evaluation.codes import CodesEvaluator
from ganjax.evaluation.inception_evaluator import InceptionEvaluator
from ganjax.evaluation.equilibrium import (EquilibriumEvaluator,
                                           discriminator_mean)
from ganjax.evaluation.base import REGISTRY, Evaluator
from ganjax.evaluation.real_data import RealData
from ganjax.evaluation.records import METRICS_FILE, read_metrics
from ganjax.evaluation.registry import (auto_evaluators, build_evaluators,
                                        evaluator_names, run_evaluators,
                                        validate)
from ganjax.evaluation.workdir import (check_num, evaluate_workdir,
                                       load_config, load_workdir,
                                       sample_from_workdir)

__all__ = [
    'REGISTRY', 'METRICS_FILE', 'ClassifierEvaluator',
    'EquilibriumEvaluator', 'Evaluator', 'Gaussian1DEvaluator', 'check_num',
    'InceptionEvaluator', 'MixtureEvaluator', 'RealData',
    'SelfSupervisedEvaluator', 'auto_evaluators', 'build_evaluators',
    'classifier', 'default_cache_dir', 'discriminator_mean',
    'evaluate_workdir', 'evaluator_names', 'load_config', 'load_workdir',
    'metrics', 'read_metrics', 'run_evaluators', 'sample_from_workdir',
    'validate',
]
