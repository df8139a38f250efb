"""Errors a user can cause, each carrying a one-line message that names the fix.

Programming errors are not wrapped: they raise their own exception types so that a
traceback points at the bug. The CLI turns a ``SynthscopeError`` into exit code 1.
"""


class SynthscopeError(Exception):
    """Base class for every error a user can cause and fix."""


class ConfigError(SynthscopeError):
    """A config file, override or ``params.yaml`` value is missing or invalid."""


class DataError(SynthscopeError):
    """A dataset path, manifest or stage input is missing or unusable."""


class WeightsError(SynthscopeError):
    """Model weights cannot be found or do not match what was asked for."""


class StageInputError(DataError):
    """A stage ran before the stage that produces its inputs."""
