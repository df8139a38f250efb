"""Cheap content fingerprints that key the Prefect cache (and nothing else).

A stage's cache key is built from what it reads: the dataset listing for ingest, the
digest of the upstream stage's output files for the rest, plus its ``params.yaml``
sections and its code (``synthscope.codedeps``). Files are hashed by content (sha256), so rewriting an identical manifest does
not invalidate what follows; datasets are fingerprinted by (path, size, mtime) so a
scheduled run over 100k unchanged images costs a directory walk, not a full read.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def dataset_fingerprint(path: Path | None) -> str:
    """sha256 over the sorted (relative path, size, mtime_ns) of every file under a dataset.

    A ``.csv``/``.parquet`` manifest is fingerprinted with the folder it sits in (its
    image paths are relative to it). ``None`` (no reference set) has its own fixed value.
    """
    if path is None:
        return "none"
    root = Path(path)
    if root.is_file():
        root = root.parent
    if not root.exists():
        return f"missing:{root}"
    entries: list[tuple[str, int, int]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in filenames:
            full = Path(dirpath, name)
            try:
                st = full.stat()
            except OSError:  # a dangling link: ingest quarantines it; its name still counts
                entries.append((str(full.relative_to(root)), -1, -1))
                continue
            entries.append((str(full.relative_to(root)), st.st_size, st.st_mtime_ns))
    entries.sort()
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def outputs_digest(paths: Iterable[Path]) -> str:
    """sha256 over the content of the given files (directories: their files, recursively)."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.name).encode())
            digest.update(file_sha256(file).encode())
    return digest.hexdigest()
