"""Assemble every input of the report into one JSON-able dict: the content of ``report.json``.

The HTML, ``summary.md``, the Prefect artifacts and ``plots/*.csv`` are all rendered from
this one dict, so they cannot disagree. Any input may be missing (``None``); the report then
carries a note saying what is missing and how to produce it, instead of failing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from synthscope.params import GateParams, ReportParams
from synthscope.report import sections
from synthscope.report.contracts import (
    headline_metrics,
    metric_entry,
    metric_label,
    plain_words,
    read_findings,
)
from synthscope.report.gates import METRIC_GATES, evaluate_gates

SCHEMA_VERSION = 1
VERDICT_HEADLINES = {
    "pass": "Yes: this data passes every quality gate.",
    "warn": "With care: no gate is crossed, but some could not be confirmed.",
    "fail": "No: this data crosses a quality gate.",
}


def _notes(manifest: pd.DataFrame, inputs: dict[str, bool]) -> list[str]:
    notes = []
    fixes = {
        "attributes": "attribute distributions are missing; run `synthscope stage features`",
        "bias": "no bias scan; run `synthscope stage scan` to check for shortcuts and memorisation",
        "metrics": "no quality metrics; run `synthscope stage score`",
        "debias": "no debiasing results (the debias stage has not run), so there is no before/after",
    }
    notes += [text for key, text in fixes.items() if not inputs[key]]
    if "real" not in set(manifest["role"]):
        notes.insert(
            0, "no real reference dataset: FID, CAS, coverage and memorisation need one; pass --real PATH"
        )
    return notes


def _cas_per_class(metrics: dict[str, Any] | None) -> list[dict[str, Any]]:
    per_class = ((metrics or {}).get("cas") or {}).get("per_class") or {}
    rows = []
    for label, value in sorted(per_class.items(), key=lambda kv: str(kv[0])):
        row: dict[str, Any] = {"label": str(label)}
        if isinstance(value, dict):
            for k in value:
                entry = metric_entry(value, k)
                row[str(k)] = entry["value"] if entry else None
        else:
            entry = metric_entry(per_class, label)
            row["synthetic_to_real"] = entry["value"] if entry else None
        rows.append(row)
    return rows


def _debias_section(debias: dict[str, Any] | None) -> dict[str, Any] | None:
    if not debias:
        return None
    rows = []
    for f in debias.get("findings") or []:
        name = " / ".join(str(f[k]) for k in ("check", "attribute", "class") if f.get(k))
        rows.append(
            {
                "name": name,
                "check": f.get("check"),
                "attribute": f.get("attribute"),
                "class": f.get("class"),
                "score_before": f.get("score_before"),
                "score_after": f.get("score_after"),
                "severity_before": f.get("severity_before"),
                "severity_after": f.get("severity_after"),
            }
        )
    cas = debias.get("cas") or {}
    return {
        "method": debias.get("method"),
        "n_augmented": debias.get("n_augmented"),
        "per_class_added": debias.get("per_class_added") or {},
        "findings": rows,
        "cas_before": metric_entry(cas, "before"),
        "cas_after": metric_entry(cas, "after"),
        "cas_trained_on": cas.get("trained_on") or {"before": "original set", "after": "augmented set"},
    }


def _extractor(metrics: dict[str, Any] | None, features_info: dict[str, Any] | None) -> dict[str, Any] | None:
    """The network behind the metrics (metrics.json), else the one the features stage used."""
    src = (metrics or {}).get("extractor") or (features_info or {}).get("extractor") or features_info
    if not isinstance(src, dict) or not src.get("name"):
        return None
    return {
        "name": src["name"],
        "weights": src.get("weights") or "unknown",
        "sha256": src.get("sha256") or "",
    }


def _with_gate_status(rows: list[dict[str, Any]], checks: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Each metric row gets ``gate`` (the params key) and ``gate_status`` when a gate watches it."""
    by_metric = {METRIC_GATES[c.gate][0]: c for c in checks if c.gate in METRIC_GATES}
    for row in rows:
        check = by_metric.get(row["key"])
        row["gate"], row["gate_status"] = (check.gate, check.status) if check else (None, None)
    return rows


def build_report(
    *,
    config: dict[str, Any],
    generated_at: str,
    manifest: pd.DataFrame,
    attributes: pd.DataFrame | None,
    metrics: dict[str, Any] | None,
    bias: dict[str, Any] | None,
    debias: dict[str, Any] | None,
    features_info: dict[str, Any] | None,
    gates: GateParams,
    params: ReportParams,
    history: list[dict[str, Any]],
    memorized: list[dict[str, Any]],
    utility: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole report as data. ``manifest`` is the ingest manifest (all rows);
    ``attributes`` the features stage's table; ``history`` this config's earlier runs plus
    this one (``history.trend``); ``memorized`` from ``sections.memorized_pairs``;
    ``utility`` from ``synthscope.report.utility.utility_section``."""
    findings = read_findings(bias)
    for f in findings:
        f["plain"] = plain_words(f)
    result = evaluate_gates(metrics, bias, gates)
    inputs = {
        "attributes": attributes is not None,
        "bias": bias is not None,
        "metrics": metrics is not None,
        "debias": debias is not None,
    }
    ok = manifest[manifest["status"] == "ok"]
    index = ok[["image_id", "role", "label", "path", "root"]].reset_index(drop=True)
    attrs = attributes if attributes is not None else pd.DataFrame(columns=["role", "label"])
    histograms = {
        col: sections.attribute_histograms(attrs, col)
        for cols in sections.DISPLAY_COLUMNS.values()
        for col in cols
        if col in attrs.columns
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "config": config,
        "generated_at": generated_at,
        "verdict": result.verdict,
        "headline": VERDICT_HEADLINES[result.verdict],
        "reasons": result.reasons,
        "gates": [c.to_dict() for c in result.checks],
        "inputs": inputs,
        "notes": _notes(manifest, inputs),
        "extractor": _extractor(metrics, features_info),
        "metrics": _with_gate_status(headline_metrics(metrics), result.checks),
        "fid_label": metric_label("fid", _extractor(metrics, features_info)),
        "cas_per_class": _cas_per_class(metrics),
        "findings": findings,
        "top_findings": findings[: params.max_findings_first_screen],
        "bias_summary": (bias or {}).get("summary") or {},
        "datasets": sections.dataset_summary(manifest),
        "class_balance": sections.class_balance(manifest),
        "attribute_summary": sections.attribute_summary(attrs) if attributes is not None else [],
        "attribute_histograms": histograms,
        "location": sections.location_heatmaps(attrs, params.location_bins),
        "shortcuts": [f for f in findings if f["check"] in ("shortcut", "consistency")],
        "diversity": [f for f in findings if f["check"] in ("diversity", "duplicates", "imbalance")],
        "memorized": memorized,
        "samples": sections.select_samples(index, params.max_samples_per_class),
        "debias": _debias_section(debias),
        "utility": utility,
        "history": history,
    }
