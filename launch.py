r"""Trains a GAN from a config file; samples or evaluates a trained workdir.

  python launch.py --config=configs/svhn_wgan.py --workdir=runs/svhn_wgan
  python launch.py --config=configs/svhn_wgan.py --config.train.steps=200
  python launch.py            # the offline default, configs/default.py
  python launch.py --mode=sample --workdir=runs/default --num=64 [--npy]
      [--jacobian_truncation=0.05] [--output=grid.png]
  python launch.py --mode=eval --workdir=runs/default
      [--evaluators=classifier,inception]
  python launch.py --list_configs   # every config, its data, offline or not

Running the same training command again resumes from the workdir's last
checkpoint.
"""

import json
import logging as std_logging
import os
import sys

from absl import app, flags, logging
from ml_collections import config_flags

_CONFIG = config_flags.DEFINE_config_file(
    'config', os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           'configs', 'default.py'),
    'Config file: configs/<name>.py. Fields can be overridden with '
    '--config.<field>=<value>.', lock_config=True)
_WORKDIR = flags.DEFINE_string(
    'workdir', None, 'Where checkpoints, samples and logs go; default '
    'runs/<config name>.')
_VERBOSE = flags.DEFINE_bool(
    'verbose', False, 'Show the full traceback of user errors.')
_MODE = flags.DEFINE_enum(
    'mode', 'train', ['train', 'sample', 'eval'],
    'train: train (or resume) --config in --workdir; sample: write a grid of '
    '--num samples of the workdir\'s latest checkpoint; eval: run the '
    'evaluators on it and print the metrics.')
_NUM = flags.DEFINE_integer('num', 64, '--mode=sample: number of samples.')
_EVALUATORS = flags.DEFINE_string(
    'evaluators', None, '--mode=eval: the evaluators to run instead of the '
    "workdir's config.eval.evaluators, e.g. classifier,inception.")
_SEED = flags.DEFINE_integer('seed', 0, '--mode=sample: seed of the z.')
_NPY = flags.DEFINE_bool('npy', False,
                         '--mode=sample: also save the samples as .npy.')
_OUTPUT = flags.DEFINE_string(
    'output', None, '--mode=sample: where to write the picture (default: '
    'the workdir\'s samples/).')
_TRUNCATION = flags.DEFINE_float(
    'jacobian_truncation', None, '--mode=sample: the fraction of latents to '
    'reject where ||dG/dz|| is largest, instead of the run\'s '
    'config.model.jacobian_truncation (0: every latent kept).')
_LIST_CONFIGS = flags.DEFINE_bool(
    'list_configs', False, 'Print every config of configs/ with its one-line '
    'description, the data it needs and whether that data is available '
    'offline (generated, built locally, or prepared in the TFDS data_dir: '
    '$TFDS_DATA_DIR or ~/tensorflow_datasets), then exit.')
_DISTRIBUTED = flags.DEFINE_bool(
    'distributed', False, 'Multi-host: call jax.distributed.initialize() '
    'with the cluster environment (SLURM, Open MPI, TPU pods, ...); implied '
    'by --coordinator_address.')
_COORDINATOR = flags.DEFINE_string(
    'coordinator_address', None, 'Multi-host: host:port of process 0.')
_NUM_PROCESSES = flags.DEFINE_integer(
    'num_processes', None, 'Multi-host: number of processes.')
_PROCESS_ID = flags.DEFINE_integer(
    'process_id', None, 'Multi-host: index of this process.')


def default_workdir(config_path: str) -> str:
  name = os.path.splitext(os.path.basename(config_path.split(':')[0]))[0]
  return os.path.join('runs', name)


class _QuietLibraries:
  """Drops the INFO chatter of Orbax's internals from the log (its warnings
  and errors still show); ganjax logs each save and restore itself."""

  def filter(self, record):
    return record.levelno >= std_logging.WARNING or (
        f'{os.sep}orbax{os.sep}' not in record.pathname)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  if _LIST_CONFIGS.value:
    from ganjax import catalog  # pylint: disable=g-import-not-at-top
    print(catalog.table())
    return
  logging.set_verbosity(logging.INFO)
  logging.get_absl_logger().addFilter(_QuietLibraries())
  from ganjax import errors, loop  # pylint: disable=g-import-not-at-top
  if _DISTRIBUTED.value or _COORDINATOR.value:
    from ganjax import parallel  # pylint: disable=g-import-not-at-top
    parallel.initialize_distributed(_COORDINATOR.value, _NUM_PROCESSES.value,
                                    _PROCESS_ID.value)
  workdir = os.path.expanduser(_WORKDIR.value or default_workdir(
      flags.FLAGS['config'].config_filename))
  try:
    overrides = [a.split('=')[0] for a in sys.argv[1:]
                 if a.startswith('--config.')]
    if _MODE.value != 'train' and overrides:
      raise errors.ConfigError(
          f'{", ".join(overrides)}: --mode={_MODE.value} uses the config the '
          'workdir was trained with (its config.json), so --config.* '
          'overrides do not apply; drop them (--jacobian_truncation, --num, '
          '--seed and --output set what a sample shows).')
    if _MODE.value == 'sample':
      from ganjax import evaluation  # pylint: disable=g-import-not-at-top
      print(evaluation.sample_from_workdir(
          workdir, num=_NUM.value, seed=_SEED.value, npy=_NPY.value,
          path=_OUTPUT.value and os.path.expanduser(_OUTPUT.value),
          jacobian_truncation=_TRUNCATION.value))
    elif _MODE.value == 'eval':
      from ganjax import evaluation  # pylint: disable=g-import-not-at-top
      print(json.dumps(evaluation.evaluate_workdir(
          workdir, evaluators=_EVALUATORS.value), indent=2))
    else:
      loop.train_and_evaluate(_CONFIG.value, workdir)
  except errors.GanjaxError as e:
    if _VERBOSE.value:
      raise
    print(f'error: {e}', file=sys.stderr)
    # 128 + signal number after SIGTERM / SIGINT, as a shell reports it.
    sys.exit(128 + e.signum if isinstance(e, loop.Interrupted) else 1)


if __name__ == '__main__':
  app.run(main)
