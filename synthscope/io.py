"""Atomic file writes: a reader never sees a half-written output.

Every output is written to a temporary file in the destination directory and then
moved into place with ``os.replace``, which is atomic on POSIX filesystems.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias

import pandas as pd

from synthscope.errors import StorageError
from synthscope.failures import os_error_line

JSONObject: TypeAlias = dict[str, Any]  # a JSON object read or written at a boundary (files, YAML, Prefect, CLI)


@contextmanager
def storage_errors(path: Path) -> Iterator[None]:
    """Turn a full disk or a forbidden folder while writing ``path`` into a one-line ``StorageError``."""
    try:
        yield
    except OSError as exc:
        line = os_error_line(exc, path)
        if line is None:
            raise
        raise StorageError(line) from exc


@contextmanager
def atomic_path(path: Path | str, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it over ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    with storage_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or ".tmp", dir=path.parent)
        os.close(fd)
    tmp = Path(tmp_name)
    try:
        with storage_errors(path):
            yield tmp
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def atomic_dir(path: Path | str) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; swap it in for ``path`` on success.

    The old folder is renamed aside, the new one renamed into place, then the old one
    removed: readers see the old tree or the new one, never a half-written one (two
    renames, since a non-empty folder cannot be replaced in one). On an exception the
    temporary folder is removed and ``path`` is left untouched; a killed run's temporary
    folder (``.<name>.XXXX``) is removed by the next run of its stage (``synthscope.completion``).
    """
    path = Path(path)
    with storage_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        with storage_errors(path):
            yield tmp
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            if path.exists():
                os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_bytes(path: Path | str, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: Path | str, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: Path | str, obj: Any) -> Path:
    """Write JSON with sorted keys so that identical results give identical bytes."""
    return write_text(path, json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n")


def read_json(path: Path | str) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_parquet(path: Path | str, frame: pd.DataFrame) -> Path:
    with atomic_path(path, suffix=".parquet") as tmp:
        frame.to_parquet(tmp, index=False)
    return Path(path)
