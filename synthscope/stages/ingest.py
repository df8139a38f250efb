"""Ingest stage: list every file of each dataset, validate it, write ``manifest.parquet``.

Bad files are quarantined with a reason and the run goes on; source files are only read.
Decoding runs in a process pool because full decodes are CPU-bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import current_process, get_context
from pathlib import Path
from typing import Any

from synthscope.config import AuditConfig
from synthscope.datasets.manifest import build_manifest, summarize
from synthscope.datasets.sources import list_dataset
from synthscope.datasets.validate import inspect_file, inspect_many
from synthscope.documents import IngestDocument, write_document
from synthscope.io import write_parquet
from synthscope.logs import log, progress
from synthscope.params import IngestParams
from synthscope.paths import OutputPaths

# Below this many files a process pool costs more to start than it saves.
POOL_MIN_FILES = 256
CHUNK = 64


def inspect_all(jobs: list[tuple], workers: int) -> list[dict[str, Any]]:
    """``inspect_file`` over ``jobs`` in order, in ``workers`` spawned processes when worth it."""
    # A Dask worker process is daemonic and may not have children: decode in-process there.
    if workers <= 1 or len(jobs) < POOL_MIN_FILES or current_process().daemon:
        return [inspect_file(*job) for job in progress(jobs, "ingest")]
    chunks = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    # spawn, not fork: the flow process may hold torch threads, which fork can deadlock.
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        results = list(progress(pool.map(inspect_many, chunks), "ingest", total=len(chunks)))
    return [row for chunk in results for row in chunk]


def ingest_rows(datasets: dict[str, Path], params: IngestParams, unlabelled_ok: bool = False,
                keep: Callable[[str], bool] | None = None) -> list[dict[str, Any]]:
    """Manifest rows of every file of ``datasets``. ``unlabelled_ok``: top-level files are read
    with the label ""; ``keep``: only entries whose relative path it accepts (a monitor batch)."""
    jobs: list[tuple] = []
    meta: list[tuple[str, str]] = []
    pre_quarantined: list[dict[str, Any]] = []
    extensions = tuple(e.lower() for e in params.extensions)
    max_bytes = int(params.max_file_mb * 2**20)
    for role, path in datasets.items():
        root, entries = list_dataset(path, unlabelled_ok)
        for entry in entries:
            if keep is not None and not keep(entry.rel):
                continue
            if entry.problem:
                pre_quarantined.append({
                    "image_id": "", "label": entry.label, "path": entry.rel, "width": 0, "height": 0,
                    "mode": "", "status": "quarantined", "reason": entry.problem, "format": "", "bytes": 0,
                    "role": role, "root": str(root), "path_bytes": entry.raw,
                })
                continue
            jobs.append((str(root), entry.rel, entry.label, extensions, max_bytes, params.max_pixels, params.min_side))
            meta.append((role, str(root)))
    rows = inspect_all(jobs, params.workers)
    for row, (role, root) in zip(rows, meta, strict=True):
        row["role"], row["root"], row["path_bytes"] = role, root, b""
    return rows + pre_quarantined


def run(config: AuditConfig, unlabelled_ok: bool = False, keep: Callable[[str], bool] | None = None) -> list[Path]:
    paths = OutputPaths(config.output_dir)
    start = time.perf_counter()
    rows = ingest_rows(config.datasets(), config.params.ingest, unlabelled_ok, keep)
    manifest = build_manifest(rows)
    seconds = time.perf_counter() - start
    summary = summarize(manifest)
    summary["seconds"] = round(seconds, 3)
    summary["files_per_second"] = round(len(manifest) / seconds, 1) if seconds > 0 else None
    write_parquet(paths.manifest, manifest)
    write_document(paths.ingest_summary, IngestDocument.model_validate(summary))
    quarantined = int((manifest["status"] == "quarantined").sum())
    log.info("ingest: %d files, %d quarantined, %.1f files/s", len(manifest), quarantined,
             len(manifest) / max(seconds, 1e-9))
    return [paths.manifest, paths.ingest_summary]
