"""Report stage: read whatever the earlier stages wrote, write the report files.

Reads (under the config's ``output_dir``): ``manifest.parquet`` (required), and when present
``attributes.parquet``, ``bias.json``, ``metrics.json``, ``realism.parquet``, ``debias.json``, ``features.json``,
the images themselves (thumbnails), and ``history.parquet``. Writes ``report.html``,
``summary.md``, ``report.json``, ``plots/*.csv`` and appends this run to ``history.parquet``.
A missing optional input is named in the report's notes; it never fails the stage.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from synthscope.config import AuditConfig
from synthscope.documents import (
    BiasDocument,
    DebiasDocument,
    FeaturesDocument,
    MetricsDocument,
    ReportDocument,
    read_document,
    write_document,
)
from synthscope.documents.report import ConfigRef
from synthscope.errors import StageInputError
from synthscope.io import atomic_path, write_parquet, write_text
from synthscope.logs import log, progress
from synthscope.paths import OutputPaths
from synthscope.stages.stage import Stage


def _read_parquet(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.is_file() else None


def inputs_digest(paths: list[Path], extra: str) -> str:
    """sha256 over the input files' bytes (absent files count as absent) and ``extra``."""
    h = hashlib.sha256(extra.encode())
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes() if p.is_file() else b"<absent>")
    return h.hexdigest()


def _thumbnails(report: ReportDocument, size: int) -> dict[str, str]:
    from synthscope.datasets.image import load_rgb
    from synthscope.report.figures import thumbnail_uri

    wanted: dict[str, Path] = {}
    for s in report.samples:
        for im in s.images:
            wanted[im.image_id] = Path(im.root) / im.path
    for pair in [*report.memorized, *report.drift.examples]:
        for ref in (pair.query, pair.neighbour):
            wanted[ref.image_id] = Path(ref.root) / ref.path
    realism = [] if report.utility is None else report.utility.realism  # metrics.json's gallery, as JSON
    for pair in (p for g in realism for p in g["least"] + g["most"]):
        for ref in (pair["query"], pair["neighbour"]):
            wanted[ref["image_id"]] = Path(ref["root"]) / ref["path"]
    thumbs = {}
    for image_id, path in progress(wanted.items(), "report thumbnails", total=len(wanted)):
        if path.is_file():  # a file deleted since ingest is shown by name only
            thumbs[image_id] = thumbnail_uri(load_rgb(path), size)
    return thumbs


def run(config: AuditConfig) -> list[Path]:
    # The report's code is imported here, not at the top: every stage process loads every stage's
    # declaration, and the report's dependencies (matplotlib, scikit-learn, torch) cost seconds.
    from synthscope.report import history as hist
    from synthscope.report import sections
    from synthscope.report.build import build_report
    from synthscope.report.gates import evaluate_gates
    from synthscope.report.headlines import ranked_findings
    from synthscope.report.render import plot_tables as build_plot_tables
    from synthscope.report.render import render_html, summary_markdown
    from synthscope.report.utility import utility_section

    out = OutputPaths(config.output_dir)
    manifest = _read_parquet(out.manifest)
    if manifest is None:
        raise StageInputError(f"{out.manifest} is missing; run `synthscope stage ingest` first")
    attributes = _read_parquet(out.attributes)
    bias = read_document(out.bias_json, BiasDocument)
    metrics = read_document(out.metrics_json, MetricsDocument)
    debias = read_document(out.debias_json, DebiasDocument)
    features_info = read_document(out.features_summary, FeaturesDocument)
    findings = ranked_findings(bias)
    ok = manifest[manifest["status"] == "ok"]
    index = ok[["image_id", "role", "label", "path", "root"]].reset_index(drop=True)
    memorized = sections.memorized_pairs(findings, index, config.params.report.max_memorized_examples)
    drift_examples = sections.drift_pairs(bias, index, config.params.report.max_drift_examples)
    utility = utility_section(metrics, _read_parquet(out.realism), index, config.params.utility,
                              config.params.report.realism_examples_per_class)

    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    gates = config.params.gates
    digest = inputs_digest(
        [out.manifest, out.attributes, out.bias_json, out.metrics_json, out.realism, out.debias_json],
        json.dumps(dataclasses.asdict(gates), sort_keys=True),
    )
    # This run's history row needs the verdict; the report then shows the history including it.
    gate_result = evaluate_gates(metrics, bias, gates, findings)
    verdict = gate_result.verdict
    row = hist.headline_row(config.name, now, digest, verdict, metrics, findings)
    table = hist.append_run(_read_parquet(out.history), row)
    document = build_report(
        config=ConfigRef(**{k: v for k, v in config.to_dict().items() if k != "params"}),
        generated_at=now,
        manifest=manifest,
        attributes=attributes,
        metrics=metrics,
        bias=bias,
        debias=debias,
        features_info=features_info,
        gates=gates,
        params=config.params.report,
        history=hist.trend(table, config.name),
        memorized=memorized,
        drift_examples=drift_examples,
        utility=utility,
        findings=findings,
        gate_result=gate_result,
    )
    thumbs = _thumbnails(document, config.params.report.thumbnail_px)
    written = [
        write_text(out.report_html, render_html(document, thumbs)),
        write_text(out.summary_md, summary_markdown(document, out.report_html.name)),
        write_document(out.report_json, document),
    ]
    for name, frame in build_plot_tables(document).items():
        path = out.plots_dir / f"{name}.csv"
        with atomic_path(path, suffix=".csv") as tmp:
            frame.to_csv(tmp, index=False)
        written.append(path)
    for stale in sorted(set(out.plots_dir.glob("*.csv")) - set(written)):
        stale.unlink()  # a plot this run has no data for (e.g. debias removed) must not linger
    written.append(write_parquet(out.history, table))
    log.info("report: %s (verdict %s)", out.report_html, document.verdict)
    return written


def read_verdict(config: AuditConfig) -> str:
    """The verdict of the last report written for ``config`` (what ``audit --fail-on`` checks)."""
    from synthscope.completion import problem

    path = OutputPaths(config.output_dir).report_json
    if (why := problem(config.output_dir, "report")) is not None:  # report.json beside another run's report.html
        raise StageInputError(why)
    report = read_document(path, ReportDocument)
    if report is None:
        raise StageInputError(f"{path} has no verdict; run `synthscope stage report` first")
    return report.verdict


STAGE = Stage(
    name="report",
    run=run,
    reads=("manifest", "attributes", "features_summary", "bias_json", "metrics_json", "realism", "debias_json"),
    writes=("report_html", "summary_md", "report_json", "plots_dir", "history"),
    params=("report", "gates", "utility"),
    document=ReportDocument,
    persist=("history",),  # one row per run: the report's trend lines; DVC must not delete it before a run
    plots=(
        ("plots/metrics_history.csv", {"x": "run", "y": ["fid", "cas_ratio", "coverage", "n_findings"]}),
        ("plots/class_balance.csv", {}),
        ("plots/finding_scores.csv", {}),
    ),
)
