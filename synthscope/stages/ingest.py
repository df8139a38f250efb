"""Ingest stage: list every file of each dataset, validate it, write ``manifest.parquet``.

Bad files are quarantined with a reason and the run goes on; source files are only read.
Decoding runs in a process pool because full decodes are CPU-bound.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import current_process, get_context
from pathlib import Path

import pandas as pd

from synthscope.config import AuditConfig
from synthscope.datasets.layout import LabelRule, list_dataset
from synthscope.datasets.manifest import build_manifest, summarize, unusable
from synthscope.datasets.validate import ManifestRow, inspect_file, inspect_many, record
from synthscope.documents import IngestDocument, write_document
from synthscope.documents.stages import Layout
from synthscope.errors import DataError
from synthscope.io import write_parquet
from synthscope.logs import log, progress
from synthscope.params import IngestParams
from synthscope.paths import OutputPaths
from synthscope.stages.stage import DATASETS, Stage

# Below this many files a process pool costs more to start than it saves.
POOL_MIN_FILES = 256
CHUNK = 64


def inspect_all(jobs: list[tuple], workers: int) -> list[ManifestRow]:
    """``inspect_file`` over ``jobs`` in order, in ``workers`` spawned processes when worth it."""
    # A Dask worker process is daemonic and may not have children: decode in-process there.
    if workers <= 1 or len(jobs) < POOL_MIN_FILES or current_process().daemon:
        return [inspect_file(*job) for job in progress(jobs, "ingest")]
    chunks = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    # spawn, not fork: the flow process may hold torch threads, which fork can deadlock.
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        results = list(progress(pool.map(inspect_many, chunks), "ingest", total=len(chunks)))
    return [row for chunk in results for row in chunk]


def label_rule(params: IngestParams) -> LabelRule:
    return LabelRule(params.labels, params.image_column, params.label_column,
                     tuple(e.lower() for e in params.extensions))


def ingest_rows(
    datasets: dict[str, Path], params: IngestParams, extract_root: Path | None = None,
    layouts: dict[str, Layout] | None = None, keep: Callable[[str], bool] | None = None,
) -> list[ManifestRow]:
    """Manifest rows of every role. Hugging Face datasets' images are written under
    ``extract_root/<role>``; ``layouts`` (if given) receives what each role's path was read as;
    ``keep``: only entries whose relative path it accepts (a monitor batch)."""
    jobs: list[tuple] = []
    meta: list[tuple[str, str]] = []
    pre_quarantined: list[ManifestRow] = []
    extensions = tuple(e.lower() for e in params.extensions)
    max_bytes = int(params.max_file_mb * 2**20)
    for role, path in datasets.items():
        extract_dir = None if extract_root is None else extract_root / role
        if extract_dir is not None and extract_dir.is_dir():
            shutil.rmtree(extract_dir)  # ours alone: the images of an earlier run of this audit
        listing = list_dataset(path, label_rule(params), extract_dir)
        root, entries = listing.root, listing.entries
        if layouts is not None:
            layouts[role] = listing.layout
        for entry in entries:
            if keep is not None and not keep(entry.rel):
                continue
            if entry.problem:
                pre_quarantined.append(record(entry.rel, entry.label, reason=entry.problem, role=role,
                                              root=str(root), path_bytes=entry.raw))
                continue
            jobs.append((str(root), entry.rel, entry.label, extensions, max_bytes, params.max_pixels, params.min_side))
            meta.append((role, str(root)))
    rows = inspect_all(jobs, params.workers)
    for row, (role, root) in zip(rows, meta, strict=True):
        row["role"], row["root"], row["path_bytes"] = role, root, b""
    return rows + pre_quarantined


def run(config: AuditConfig, keep: Callable[[str], bool] | None = None) -> list[Path]:
    paths = OutputPaths(config.output_dir)
    start = time.perf_counter()
    layouts: dict[str, Layout] = {}
    rows = ingest_rows(config.datasets(), config.params.ingest, paths.extracted, layouts, keep)
    for role, layout in layouts.items():
        log.info("%s: %s", role, layout.line)
    manifest = build_manifest(rows)
    seconds = time.perf_counter() - start
    summary = IngestDocument(
        roles=summarize(manifest),
        layouts=layouts,
        seconds=round(seconds, 3),
        files_per_second=round(len(manifest) / seconds, 1) if seconds > 0 else None,
    )
    write_parquet(paths.manifest, manifest)
    write_document(paths.ingest_summary, summary)
    usable_or_raise(manifest, config.datasets(), config.params.ingest.labels, paths.manifest)
    quarantined = int((manifest["status"] == "quarantined").sum())
    log.info("ingest: %d files, %d quarantined, %.1f files/s", len(manifest), quarantined,
             len(manifest) / max(seconds, 1e-9))
    return [paths.manifest, paths.ingest_summary]


def usable_or_raise(manifest: pd.DataFrame, datasets: dict[str, Path], labels: str, written: Path) -> None:
    """A set with nothing usable is logged here (the manifest says why, file by file) and refused by
    the features stage; labels asked for (``--labels folder|manifest``) that name one class are an
    error. Under ``auto`` a one-class set is only logged: per-class checks then have one class."""
    for role, path in datasets.items():
        if (why := unusable(manifest, role, str(path))) is not None:
            log.warning("ingest: %s", why)
            continue
        ok = manifest[(manifest["role"] == role) & (manifest["status"] == "ok")]
        classes = sorted(set(ok["label"]) - {""})
        if len(classes) == 1 and labels in ("folder", "manifest"):
            raise DataError(f"{role} dataset {path} is labelled with one class ({classes[0]!r}); add the other "
                            "classes, or pass --labels none to audit it as an unlabelled set")
        if len(classes) == 1:
            log.warning("ingest: the %s set has one class (%r): per-class checks compare nothing; "
                        "--labels none audits it as unlabelled", role, classes[0])


STAGE = Stage(
    name="ingest",
    run=run,
    reads=(DATASETS,),
    writes=("manifest", "ingest_summary"),
    params=("ingest",),
    document=IngestDocument,
)
