"""Run history: one row of headline metrics per report run, keyed by config name + timestamp.

The stage keeps the table in ``<output_dir>/history.parquet`` and the report shows the
trend over earlier runs of the same config. Re-rendering the report on unchanged inputs
(same ``inputs_sha256``) replaces the latest row instead of adding a duplicate point.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import pandas as pd

from synthscope.documents import Finding, MetricsDocument
from synthscope.documents.report import HistoryRun
from synthscope.report.headlines import metric_entry

HISTORY_METRICS = ("fid", "kid", "cas_ratio", "precision", "recall", "density", "coverage")


class HistoryRow(TypedDict):
    """One row of history.parquet; a missing metric is NaN (Parquet keeps it as null)."""

    config: str
    timestamp: str
    inputs_sha256: str
    verdict: str
    extractor: str  # "" without metrics
    fid: float
    kid: float
    cas_ratio: float
    precision: float
    recall: float
    density: float
    coverage: float
    fid_ci_lo: float
    fid_ci_hi: float
    n_findings: int
    n_high: int
    n_medium: int
    worst_severity: str  # "" without findings


HISTORY_COLUMNS = tuple(HistoryRow.__annotations__)


def headline_row(
    config: str,
    timestamp: str,
    inputs_sha256: str,
    verdict: str,
    metrics: MetricsDocument | None,
    findings: list[Finding],
) -> HistoryRow:
    """One history row. Missing metrics are NaN (Parquet keeps them as nulls)."""

    def value(key: str) -> float:
        entry = metric_entry(metrics, key)
        return np.nan if entry is None else entry.value

    fid = metric_entry(metrics, "fid")
    lo, hi = fid.ci95 if fid and fid.ci95 else (np.nan, np.nan)
    severities = [f.severity for f in findings]
    return HistoryRow(
        config=config, timestamp=timestamp, inputs_sha256=inputs_sha256, verdict=verdict,
        extractor=metrics.extractor.name if metrics else "",
        fid=value("fid"), kid=value("kid"), cas_ratio=value("cas_ratio"), precision=value("precision"),
        recall=value("recall"), density=value("density"), coverage=value("coverage"),
        fid_ci_lo=lo, fid_ci_hi=hi,
        n_findings=len(findings), n_high=severities.count("high"), n_medium=severities.count("medium"),
        worst_severity=findings[0].severity if findings else "",
    )


def empty_history() -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.Series(
                dtype="float64"
                if c in HISTORY_METRICS or c.startswith("fid_ci")
                else "int64"
                if c.startswith("n_")
                else "object"
            )
            for c in HISTORY_COLUMNS
        }
    )


def append_run(history: pd.DataFrame | None, row: HistoryRow) -> pd.DataFrame:
    """``history`` with ``row`` added (or replacing this config's latest row if its inputs match).

    Columns that older histories lack are added as nulls, so the table can grow new metrics.
    """
    frame = empty_history() if history is None or history.empty else history.copy()
    for col in HISTORY_COLUMNS:
        if col not in frame.columns:
            frame[col] = np.nan
    same = frame.index[frame["config"] == row["config"]]
    if len(same) and frame.loc[same[-1], "inputs_sha256"] == row["inputs_sha256"]:
        frame = frame.drop(index=same[-1])
    new = pd.DataFrame([row], columns=list(frame.columns))
    frame = new if frame.empty else pd.concat([frame, new], ignore_index=True)
    return frame.sort_values(["config", "timestamp"], kind="stable").reset_index(drop=True)


def trend(history: pd.DataFrame, config: str) -> list[HistoryRun]:
    """This config's runs, oldest first (NaN -> None)."""
    rows = history[history["config"] == config].sort_values("timestamp", kind="stable")
    return [HistoryRun.model_validate({k: _plain(v) for k, v in rec.items()}) for rec in rows.to_dict("records")]


def _plain(v: object) -> object:
    """A Parquet cell as a JSON value: NaN -> None, numpy scalars -> Python ones."""
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v.item() if isinstance(v, np.generic) else v
