"""One writer per output directory: ``<output_dir>/.synthscope.lock``.

Two runs sharing ``--output-dir`` would read each other's half-written files (a scan on B
reading the manifest a run on A wrote). The command that runs stages (``synthscope stage``,
the audit flow's run: ``synthscope audit``, a served or UI-triggered run) holds an exclusive
``flock`` on the lock file for its whole life and writes its PID and command line into it;
a second run fails at once with a one-line error naming the holder.

``flock`` belongs to the open file, so the kernel releases it when the holder dies, even by
SIGKILL: a lock file left by a dead process (a stale PID) is simply taken over. Re-entry in
the process that holds the lock is a no-op (the ``audit`` command and the flow it calls both
ask). Prefect tasks never take it: they may run in Dask worker processes while the flow's
process holds it.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from synthscope.errors import OutputBusyError
from synthscope.logs import log

LOCK_NAME = ".synthscope.lock"
_held: dict[str, tuple[int, int]] = {}  # resolved dir -> (fd, depth) held by this process


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _holder(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    try:
        return json.loads(os.read(fd, 4096).decode("utf-8", "replace") or "{}")
    except ValueError:
        return {}


def _describe(holder: dict) -> str:
    command = str(holder.get("command", "?"))
    command = command if len(command) <= 120 else command[:117] + "..."
    return f"pid {holder.get('pid', '?')} ({command}, since {holder.get('since', '?')})"


def _acquire(directory: Path, command: str) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise OutputBusyError(f"output dir {directory} is in use by {_describe(holder)}; wait for it to finish "
                              "or pass another --output-dir") from None
    previous = _holder(fd)
    if previous.get("pid") and not _pid_alive(int(previous["pid"])):
        log.info("output dir %s: taking over the lock of %s, which is no longer running", directory,
                 _describe(previous))
    record = {"pid": os.getpid(), "command": command, "since": time.strftime("%Y-%m-%dT%H:%M:%S")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record).encode(), 0)
    return fd


@contextmanager
def output_lock(directory: Path | str, command: str | None = None) -> Iterator[None]:
    """Hold ``directory``'s lock for the block (re-entrant in this process); raise
    ``OutputBusyError`` at once when another live process holds it."""
    key = os.path.realpath(directory)
    if key in _held:
        fd, depth = _held[key]
        _held[key] = (fd, depth + 1)
    else:
        fd = _acquire(Path(directory), command or " ".join(sys.argv))
        _held[key] = (fd, 1)
    try:
        yield
    finally:
        fd, depth = _held[key]
        if depth > 1:
            _held[key] = (fd, depth - 1)
        else:
            del _held[key]
            os.ftruncate(fd, 0)  # an empty file: nobody holds it (the file stays: unlinking races a new holder)
            os.close(fd)  # releases the flock
