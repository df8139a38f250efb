"""Optional: accuracy and confidence of a user's model on the incoming batch, per cluster.

Incoming rows may carry a true label (their class folder or manifest label) and the user may
pass predictions (``path,predicted[,confidence]``). Accuracy needs both; confidence needs the
column. Without either nothing here is computed and nothing else changes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _stats(truth: pd.Series, predicted: pd.Series, confidence: pd.Series | None) -> dict[str, float | int | None]:
    known = truth.notna() & (truth.astype(str) != "") & predicted.notna()
    acc = float((truth[known].astype(str) == predicted[known].astype(str)).mean()) if known.any() else None
    conf = float(confidence.mean()) if confidence is not None and confidence.notna().any() else None
    return {"n": int(known.sum()), "accuracy": acc, "confidence": conf}


def label_summary(table: pd.DataFrame, truth: pd.Series, predicted: pd.Series | None,
                  confidence: pd.Series | None) -> dict[str, Any] | None:
    """``monitor.json``'s ``labels``: overall (also on covered and uncovered images) and per cluster; None without data.

    ``table``: novelty rows; ``truth``, ``predicted``, ``confidence``: aligned with it (NaN/"" = unknown).
    """
    has_truth = truth.notna().any() and (truth.astype(str) != "").any()
    if predicted is None or (not has_truth and confidence is None):
        return None
    unc = table["uncovered"].to_numpy()
    overall = _stats(truth, predicted, confidence)
    for name, mask in (("covered", ~unc), ("uncovered", unc)):
        overall[f"accuracy_{name}"] = _stats(truth[mask], predicted[mask], None)["accuracy"]
    per_cluster = {}
    for c in sorted(set(table["cluster"]) - {-1}):
        m = table["cluster"].to_numpy() == c
        per_cluster[str(int(c))] = _stats(truth[m], predicted[m], None if confidence is None else confidence[m])
    return {"overall": overall, "per_cluster": per_cluster}


def align_predictions(paths: pd.Series, rel_paths: pd.Series, predictions: pd.DataFrame) -> tuple[pd.Series, pd.Series | None]:
    """(predicted, confidence) aligned with the incoming rows; a CSV row matches the file path or
    the path relative to the incoming folder. Unmatched rows are NaN."""
    table = predictions.copy()
    table["path"] = table["path"].astype(str)
    by_path = table.drop_duplicates("path").set_index("path")
    key = np.where(paths.astype(str).isin(by_path.index), paths.astype(str), rel_paths.astype(str))
    predicted = by_path["predicted"].reindex(key).reset_index(drop=True)
    confidence = by_path["confidence"].astype(float).reindex(key).reset_index(drop=True) \
        if "confidence" in by_path else None
    return predicted, confidence
