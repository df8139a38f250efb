"""``synthscope monitor``'s file side: ingest and embed both sides, score, write the outputs.

The training data (synthetic, optionally plus real) and the incoming batch each go through
the audit's own ingest and features stages (``stages.ingest.run``, ``stages.features.run``)
into ``<output_dir>/training`` and ``<output_dir>/incoming``, with the shared feature store:
the training side is embedded once and served from the store afterwards, and its ingest
is skipped while the datasets' fingerprints (path, size, mtime of every file) are unchanged.
The monitoring itself is ``synthscope.monitor`` (pure); outputs are written atomically.

The stage is declared like the audit's (``STAGE``, flow ``monitor``): its reads, writes, params
and document key the Prefect task of the ``synthscope-monitor`` flow
(``orchestration.monitor``) and give the demo's ``monitor`` stage in ``dvc.yaml``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from synthscope.config import AuditConfig
from synthscope.documents import ExtractorRef, MonitorDocument, read_document, write_document
from synthscope.errors import DataError
from synthscope.features.load import Embeddings, load_embeddings
from synthscope.fingerprint import dataset_fingerprint
from synthscope.io import read_json, write_json, write_parquet, write_text
from synthscope.logs import log
from synthscope.params import Params
from synthscope.paths import OutputPaths
from synthscope.stages import ingest
from synthscope.stages.stage import DATASETS, STORE, Stage

FLOW = "monitor"


@dataclass(frozen=True)
class MonitorPaths:
    """Where ``synthscope monitor`` writes, under its output dir (``history`` may live elsewhere)."""

    root: Path
    history_file: Path | None = None

    @property
    def training(self) -> Path:
        return self.root / "training"

    @property
    def incoming(self) -> Path:
        return self.root / "incoming"

    @property
    def novelty(self) -> Path:
        return self.root / "novelty.parquet"

    @property
    def monitor_json(self) -> Path:
        return self.root / "monitor.json"

    @property
    def report_html(self) -> Path:
        return self.root / "monitor.html"

    @property
    def summary_md(self) -> Path:
        return self.root / "monitor.md"

    @property
    def history(self) -> Path:
        """One row per batch, kept across runs (``--history`` may point elsewhere)."""
        return self.history_file or self.root / "monitor_history.parquet"


@dataclass(frozen=True)
class MonitorConfig:
    """One ``synthscope monitor`` run: the training data against a batch (the stage's config).

    ``files``: only these relative paths of ``incoming`` (a watched folder's new files);
    ``history``: the history Parquet when not ``<output_dir>/monitor_history.parquet``.
    """

    synthetic: Path
    real: Path | None
    incoming: Path
    output_dir: Path
    store_dir: Path
    params: Params = field(default_factory=Params)
    batch_id: str | None = None
    history: Path | None = None
    files: tuple[str, ...] | None = None
    predictions: Path | None = None

    def datasets(self) -> dict[str, Path]:
        """Role -> dataset path: the training side (synthetic, real) and the incoming batch."""
        roles = {"synthetic": self.synthetic}
        if self.real is not None:
            roles["real"] = self.real
        return roles | {"incoming": self.incoming}


def command(config: MonitorConfig, out: str) -> str:
    """The ``synthscope monitor`` call for ``config`` writing to ``out`` (``dvc.yaml``'s command)."""
    parts = [f"synthscope monitor --synthetic {Path(config.synthetic).as_posix()}"]
    if config.real is not None:
        parts.append(f"--real {Path(config.real).as_posix()}")
    parts += [f"--incoming {Path(config.incoming).as_posix()}", f"--output-dir {out}",
              f"--store-dir {Path(config.store_dir).as_posix()}"]
    if config.batch_id is not None:
        parts.append(f"--batch-id {config.batch_id}")
    return " ".join(parts)


def _side_config(name: str, synthetic: Path, real: Path | None, out: Path, store: Path, params: Params) -> AuditConfig:
    return AuditConfig(name=name, synthetic=synthetic, real=real, output_dir=out, store_dir=store, params=params)


def prepare(config: AuditConfig, cache_ingest: bool, files: list[str] | None = None) -> tuple[pd.DataFrame, Embeddings]:
    """Ingest (or reuse the manifest of unchanged datasets) and embed one side; (attributes with ``file``, embeddings).

    The incoming side (``cache_ingest`` False) may be unlabelled (files directly in the folder);
    ``files``: only these relative paths of it (a watched folder's new files).
    """
    paths = OutputPaths(config.output_dir)
    stamp = config.output_dir / "sources.json"
    prints = {role: dataset_fingerprint(path) for role, path in config.datasets().items()}
    fresh = cache_ingest and paths.manifest.is_file() and stamp.is_file() and read_json(stamp) == prints
    if not fresh:
        wanted = None if files is None else set(files)
        ingest.run(config, keep=None if wanted is None else wanted.__contains__)
        write_json(stamp, prints)
    from synthscope.stages import features  # here: every stage process loads this module, and features loads torch

    features.run(config)
    emb = load_embeddings(paths, config.store_dir)
    attrs = pd.read_parquet(paths.attributes)
    if not (attrs["path"].to_numpy() == emb.index["path"].to_numpy()).all():
        raise DataError(f"{paths.attributes} and {paths.manifest} disagree; delete {config.output_dir} and re-run")
    attrs["file"] = [str(Path(r) / p) for r, p in zip(emb.index["root"], emb.index["path"], strict=True)]
    return attrs, emb


def read_predictions(path: Path) -> pd.DataFrame:
    """A user's ``path,predicted[,confidence]`` CSV; a one-line error naming the fix otherwise."""
    try:
        table = pd.read_csv(path, dtype={"path": str, "predicted": str}, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read predictions {path}: {exc}; pass a CSV with columns path,predicted[,confidence]") from exc
    missing = {"path", "predicted"} - set(table.columns)
    if missing:
        raise DataError(f"predictions {path} lacks column(s) {', '.join(sorted(missing))}; "
                        "it needs path,predicted[,confidence]")
    if "confidence" in table and not pd.api.types.is_numeric_dtype(table["confidence"]):
        raise DataError(f"predictions {path}: confidence must be numbers in [0, 1]")
    return table


def batch_id_of(image_ids: list[str]) -> str:
    """A batch's default id: its content (sorted image sha256s), so the same batch is the same batch."""
    return "sha-" + hashlib.sha256("\n".join(sorted(image_ids)).encode()).hexdigest()[:16]


def run(synthetic: Path, real: Path | None, incoming: Path, output_dir: Path, store_dir: Path, params: Params,
        batch_id: str | None = None, history: Path | None = None, files: list[str] | None = None,
        predictions: Path | None = None) -> list[Path]:
    """Monitor one batch (``files``: only these paths of ``incoming``); returns the files written.

    The report is written by :func:`write_report`.
    """
    from synthscope.monitor.batch import monitor_batch  # scikit-learn: imported when a batch is monitored

    paths = MonitorPaths(Path(output_dir), history)
    train_attrs, train_emb = prepare(
        _side_config("training", synthetic, real, paths.training, store_dir, params), cache_ingest=True)
    inc_attrs, inc_emb = prepare(
        _side_config("incoming", incoming, None, paths.incoming, store_dir, params), cache_ingest=False, files=files)
    manifest = pd.read_parquet(OutputPaths(paths.incoming).manifest)
    if len(inc_attrs) == 0:
        raise DataError(f"{incoming}: no readable incoming images "
                        f"({int((manifest['status'] == 'quarantined').sum())} quarantined); pass a batch with images")
    old = pd.read_parquet(paths.history) if paths.history.is_file() else None
    preds = None if predictions is None else read_predictions(Path(predictions))
    result = monitor_batch(train_attrs, train_emb.features, inc_attrs, inc_emb.features, params,
                           batch_id or batch_id_of(inc_attrs["image_id"].astype(str).tolist()),
                           datetime.now(UTC).isoformat(timespec="seconds"), old, preds)
    ext = train_emb.extractor
    doc = result.document.model_copy(update={
        "n_quarantined": int((manifest["status"] == "quarantined").sum()),
        "extractor": ExtractorRef(name=ext.name, weights=ext.weights, sha256=ext.sha256),
    })
    write_parquet(paths.novelty, result.table)
    write_document(paths.monitor_json, doc)
    write_parquet(paths.history, result.history)
    log.info("monitor: %d of %d incoming images uncovered (%.0f%%; reference %.0f%%), verdict %s",
             doc.uncovered, doc.n_images, 100 * doc.uncovered_share.value, 100 * doc.reference_share.value, doc.verdict)
    return [paths.novelty, paths.monitor_json, paths.history]


def read_monitor(output_dir: Path) -> MonitorDocument:
    doc = read_document(MonitorPaths(Path(output_dir)).monitor_json, MonitorDocument)
    if doc is None:
        raise DataError(f"{MonitorPaths(Path(output_dir)).monitor_json} is missing; run `synthscope monitor`")
    return doc


def run_stage(config: MonitorConfig) -> list[Path]:
    """The declared stage's ``run``: score the batch, then the report; returns every file written."""
    files = None if config.files is None else list(config.files)
    written = run(config.synthetic, config.real, config.incoming, config.output_dir, config.store_dir, config.params,
                  config.batch_id, config.history, files, config.predictions)
    return written + write_report(config.output_dir, config.params, config.history)


def monitor_once(synthetic: Path, real: Path | None, incoming: Path, output_dir: Path, store_dir: Path,
                 params: Params, batch_id: str | None = None, history: Path | None = None,
                 files: list[str] | None = None, predictions: Path | None = None) -> MonitorDocument:
    """``synthscope monitor``: score the batch and write every output; returns monitor.json's document."""
    run_stage(MonitorConfig(Path(synthetic), real, Path(incoming), Path(output_dir), Path(store_dir), params, batch_id,
                            history, None if files is None else tuple(files), predictions))
    return read_monitor(output_dir)


def write_report(output_dir: Path, params: Params, history: Path | None = None) -> list[Path]:
    """``monitor.html`` (self-contained) and ``monitor.md`` from monitor.json and the history."""
    from synthscope.report.monitor import monitor_markdown, render_monitor_html

    paths = MonitorPaths(Path(output_dir), history)
    doc = read_monitor(output_dir)
    frame = pd.read_parquet(paths.history) if paths.history.is_file() else pd.DataFrame()
    write_text(paths.report_html, render_monitor_html(doc, frame, params.report.thumbnail_px))
    write_text(paths.summary_md, monitor_markdown(doc, str(paths.report_html)))
    return [paths.report_html, paths.summary_md]


STAGE = Stage(
    name="monitor",
    run=run_stage,
    reads=(DATASETS, STORE),
    writes=("novelty.parquet", "monitor.json", "monitor.html", "monitor.md", "monitor_history.parquet", STORE),
    params=("ingest", "features", "scan", "report", "monitor"),
    document=MonitorDocument,
    persist=("monitor_history.parquet",),  # one row per batch: DVC must not delete it before a run
    flow=FLOW,
    command=command,
)
