"""Before/after comparisons of the debias stage (pure): scan findings and CAS on real test data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthscope.documents import json_number
from synthscope.metrics.bootstrap import bootstrap_mean_ci
from synthscope.metrics.cas import CasSettings, LabelledSet, stratified_split
from synthscope.metrics.classifier import cnn_probabilities, train_cnn, train_linear_probe

KEYS = ["check", "attribute", "class", "metric"]


def compare_findings(before: pd.DataFrame, after: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per flaggable measurement that was a finding before or after debiasing.

    ``before`` / ``after``: bias_findings.parquet frames (``KEYS``, ``flag_value``, ``severity``).
    ``score_*`` is the scan's ``flag_value`` (higher = more biased, the number its thresholds
    compare), so a score below the ``low`` level means the finding is gone. A measurement
    missing on one side (a class that vanished) has None there.
    """
    cols = [*KEYS, "flag_value", "severity"]
    b = before.loc[before["flag_value"].notna(), cols]
    a = after.loc[after["flag_value"].notna(), cols]
    for frame in (a, b):
        for key in ("attribute", "class"):
            frame[key] = frame[key].astype(object).where(frame[key].notna(), "")
    merged = b.merge(a, on=KEYS, how="outer", suffixes=("_before", "_after"))
    merged = merged[(merged["severity_before"].fillna("info") != "info")
                    | (merged["severity_after"].fillna("info") != "info")]
    merged = merged.sort_values(KEYS, kind="mergesort")
    rows = []
    for rec in merged.to_dict("records"):
        rows.append({
            "check": rec["check"],
            "attribute": rec["attribute"] or None,
            "class": rec["class"] or None,
            "metric": rec["metric"],
            "score_before": json_number(rec["flag_value_before"]),
            "score_after": json_number(rec["flag_value_after"]),
            "severity_before": rec["severity_before"] if isinstance(rec["severity_before"], str) else None,
            "severity_after": rec["severity_after"] if isinstance(rec["severity_after"], str) else None,
        })
    return rows


def _fit_predict(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, n_classes: int,
                 settings: CasSettings) -> np.ndarray:
    """Train the score stage's classifier (CNN on images or linear probe on features) -> test predictions."""
    if settings.model == "linear":
        return train_linear_probe(train_x, train_y, n_classes, settings.probe_c).probabilities(test_x).argmax(1)
    model = train_cnn(train_x, train_y, n_classes, settings.cnn, settings.seed)
    return cnn_probabilities(model, test_x).argmax(axis=1)


def cas_before_after(
    before: LabelledSet | None, after: LabelledSet, after_sources: np.ndarray, real: LabelledSet,
    settings: CasSettings,
) -> dict[str, Any]:
    """Accuracy on the score stage's real test split of a classifier trained before and after.

    ``before``: the original synthetic set, or None for the real training split (when the real
    set was the one rebalanced). ``after``: the augmented set; rows whose ``after_sources``
    (source image ids, str (N,)) are real test images are left out of training (no leakage).
    Split, seed, classes and classifier are those of ``synthscope.metrics.cas``; intervals
    bootstrap the test samples with the models held fixed.
    """
    parts = [real.labels, after.labels] + ([before.labels] if before is not None else [])
    classes = sorted(set(np.concatenate(parts).tolist()))
    code = {c: i for i, c in enumerate(classes)}
    train_idx, test_idx = stratified_split(real.labels, settings.test_fraction, settings.seed)
    y_real = np.array([code[c] for c in real.labels])
    x_test, y_test = real.x[test_idx], y_real[test_idx]
    if before is None:
        x_before, y_before = real.x[train_idx], y_real[train_idx]
    else:
        x_before, y_before = before.x, np.array([code[c] for c in before.labels])
    leak = np.isin(after_sources.astype(str), real.ids[test_idx].astype(str))
    x_after, y_after = after.x[~leak], np.array([code[c] for c in after.labels[~leak]])
    out: dict[str, Any] = {"model": settings.model, "n_test_real": int(len(test_idx)),
                           "trained_on": {"before": "real training split" if before is None else "synthetic",
                                          "after": "augmented"}}
    correct = {}
    for name, x, y in (("before", x_before, y_before), ("after", x_after, y_after)):
        correct[name] = _fit_predict(x, y, x_test, len(classes), settings) == y_test
        out[name] = {"value": float(correct[name].mean()),
                     "ci95": list(bootstrap_mean_ci(correct[name], settings.bootstrap_reps, settings.seed)),
                     "n_train": int(len(y))}
    gain = correct["after"].astype(float) - correct["before"].astype(float)
    out["gain"] = {"value": float(gain.mean()),
                   "ci95": list(bootstrap_mean_ci(gain, settings.bootstrap_reps, settings.seed))}
    out["n_after_dropped_test_sources"] = int(leak.sum())
    return out
