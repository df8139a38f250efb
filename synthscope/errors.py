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


class OutputBusyError(SynthscopeError):
    """Another synthscope run holds the output directory."""


class StorageError(SynthscopeError):
    """An output cannot be written: disk full, quota, permission denied, read-only file system."""


ECHO_LIMIT = 60


def echo(value: object, limit: int = ECHO_LIMIT, bare: bool = False) -> str:
    """``repr(value)`` cut to ``limit`` characters, for quoting a user's value in a one-line error.

    A value may be a 3 MB expansion of a YAML bomb or a name with newlines; the message stays
    one short line whatever it quotes. ``bare``: a short printable string (a key) is shown as is.
    """
    if bare and isinstance(value, str) and value.isprintable() and 0 < len(value) <= limit:
        return value
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}... ({len(text)} characters)"
