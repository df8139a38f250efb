"""Operational failures as one line a person can act on, and crashes as a log file.

- A full disk, a quota, a read-only or forbidden folder: :func:`os_error_line` names the file
  and the fix (``synthscope.io`` raises it as a ``StorageError`` where a write fails; the CLI
  catches the rest).
- Anything else unexpected is a bug: :func:`write_crash_log` puts the traceback in
  ``$SYNTHSCOPE_CRASH_DIR`` (default ``$XDG_CACHE_HOME/synthscope/crashes``, else
  ``~/.cache/...``), and the CLI prints its path and exits with :data:`EXIT_CRASH`.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

EXIT_OK, EXIT_USER, EXIT_GATES, EXIT_CRASH = 0, 1, 2, 3
CRASH_DIR_ENV = "SYNTHSCOPE_CRASH_DIR"
ERROR_CHARS = 1000  # every message quotes values cut short; this caps the line whatever it holds

_FREE = "free space on that disk, or point --output-dir / --store-dir at another"
_ALLOW = "make it accessible to this user, or point --output-dir / --store-dir elsewhere"
FIXES = {
    errno.ENOSPC: _FREE,
    errno.EDQUOT: _FREE,
    errno.EFBIG: "the file system cannot hold a file this large; use another disk",
    errno.EACCES: _ALLOW,
    errno.EPERM: _ALLOW,
    errno.EROFS: "the file system is read-only; point --output-dir / --store-dir at a writable one",
}


def _errno(exc: OSError) -> int | None:
    """The errno, also for errors that carry it only in their text (pyarrow's IOError)."""
    if exc.errno in FIXES:
        return exc.errno
    text = str(exc)
    return next((code for code in FIXES if os.strerror(code) in text), None)


def os_error_line(exc: OSError, path: Path | str | None = None) -> str | None:
    """``"No space left on device: <file>; <fix>"`` for the errors in :data:`FIXES`, else None.

    ``path`` names the file being written when the error does not (``write()`` errors carry no name).
    """
    code = _errno(exc)
    if code is None:
        return None
    target = exc.filename if exc.filename is not None else path
    where = f": {os.fsdecode(target)}" if target is not None else ""
    return f"{os.strerror(code)}{where}; {FIXES[code]}"


def crash_dir() -> Path:
    configured = os.environ.get(CRASH_DIR_ENV)
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "synthscope" / "crashes"


def write_crash_log(exc: BaseException) -> Path:
    """Write the traceback (and the command line) to a new file; return its path.

    Falls back to the system temporary folder when the cache folder is not writable.
    """
    text = (f"synthscope crashed at {time.strftime('%Y-%m-%dT%H:%M:%S')}\ncommand: {' '.join(sys.argv)}\n"
            f"python: {sys.version.split()[0]}\n\n" + "".join(traceback.format_exception(exc)))
    name = f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for folder in (crash_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text, encoding="utf-8", errors="backslashreplace")
            return path
        except OSError:
            continue
    raise exc


def error_line(message: object) -> str:
    """``message`` as one line of at most :data:`ERROR_CHARS` characters."""
    text = " ".join(str(message).split())
    return text if len(text) <= ERROR_CHARS else f"{text[: ERROR_CHARS - 3]}..."


def crash_line(exc: BaseException) -> str:
    """Write the crash log; the one line to print about it."""
    path = write_crash_log(exc)
    return f"error: synthscope crashed ({type(exc).__name__}: {error_line(exc)[:200]}); traceback in {path}"
