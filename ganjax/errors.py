"""Errors a user can cause. ``launch.py`` prints their one-line message and
exits non-zero without a traceback (``--verbose`` brings the traceback back).
"""


class GanjaxError(Exception):
  """Base class: something the user can fix, explained in one line."""


class ConfigError(GanjaxError, ValueError):
  """A config field has a value that is not allowed."""


class DataError(GanjaxError, RuntimeError):
  """The requested data cannot be read or prepared."""


class CheckpointError(GanjaxError, RuntimeError):
  """A checkpoint in the workdir cannot be used."""


class WorkdirError(GanjaxError, OSError):
  """The workdir cannot be used."""
