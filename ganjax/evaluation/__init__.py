"""Evaluation that works offline: metrics, evaluators, workdir tools.

    evaluators = ganjax.evaluation.build_evaluators(config, workdir)
    record = ganjax.evaluation.run_evaluators(evaluators, gan, host_state,
                                            step, workdir, writer)
    path = ganjax.evaluation.sample_from_workdir('runs/default', num=64)
    record = ganjax.evaluation.evaluate_workdir('runs/default')

Metric names (definitions in ``docs/EVALUATION.md``): ``modes_covered``,
``hq_fraction``, ``reverse_kl`` (2D mixtures); ``mean``, ``std``, ``ks``,
``w1`` (1D); ``fid``, ``fid_floor``, ``class_coverage``, ``class_kl``,
``classifier_accuracy`` (images); ``d_real``, ``d_fake`` (all data).
"""

from ganjax.evaluation import classifier, metrics
from ganjax.evaluation.evaluators import (
    EVALUATORS, METRICS_FILE, ClassifierEvaluator, EquilibriumEvaluator,
    Evaluator, Gaussian1DEvaluator, MixtureEvaluator, RealData,
    build_evaluators, default_cache_dir, discriminator_mean, evaluator_names,
    read_metrics, run_evaluators, validate)
from ganjax.evaluation.workdir import (check_num, evaluate_workdir,
                                     load_config, load_workdir,
                                     sample_from_workdir)

__all__ = [
    'EVALUATORS', 'METRICS_FILE', 'ClassifierEvaluator',
    'EquilibriumEvaluator', 'Evaluator', 'Gaussian1DEvaluator', 'check_num',
    'MixtureEvaluator', 'RealData', 'build_evaluators', 'classifier',
    'default_cache_dir', 'discriminator_mean', 'evaluate_workdir',
    'evaluator_names', 'load_config', 'load_workdir',
    'metrics', 'read_metrics', 'run_evaluators', 'sample_from_workdir',
    'validate',
]
