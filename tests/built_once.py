"""Build a fixture's files once per ``pytest`` run, not once per pytest-xdist worker.

Why: a session or module fixture is per process, and ``make test``'s workers each rebuilt the same
audit (the 34-class glyph report twice, 58 s each, and the small demo's store three times). The
workers of one run share the parent of their temporary folders; the first worker to take the lock
builds there, the others wait and read. A fixture built this way is read-only to its tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder ``build`` has filled, shared by every worker of this run (its own run's without xdist)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    target = root / f"built-once-{name}"
    with FileLock(str(target) + ".lock"):
        if not (target / ".built").exists():
            shutil.rmtree(target, ignore_errors=True)  # a worker that failed half-way left it
            target.mkdir()
            build(target)
            (target / ".built").touch()
    return target
