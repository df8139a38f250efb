"""Report section "How synthetic differs from real": drift findings and example pairs (pure).

Beside the drift findings the section shows the synthetic images a classifier finds most
synthetic-looking (highest out-of-fold probability of "synthetic" from a logistic
regression on the embeddings, the drift check's overall classifier) next to their nearest
real images, so a reader sees what the gap looks like.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthscope.bias.drift import classifier_auc
from synthscope.bias.masked import coverage_sentence
from synthscope.documents.bias import BiasSummary
from synthscope.neighbours import l2_normalise, nearest
from synthscope.params import ScanParams


def most_synthetic_pairs(
    index: pd.DataFrame, features: np.ndarray | None, scan: ScanParams, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` synthetic rows of ``index`` most often told from real, with their nearest real row.

    ``index`` (N rows: image_id, role, label, path, root) aligned with ``features`` float (N, D).
    Returns ``{"query": ref, "neighbour": ref, "probability": p, "distance": cosine}`` dicts,
    most synthetic-looking first; empty without features or a real role.
    """
    if features is None or limit <= 0:
        return []
    syn = np.flatnonzero(index["role"].to_numpy() == "synthetic")
    real = np.flatnonzero(index["role"].to_numpy() == "real")
    if len(syn) < 2 or len(real) < 2:
        return []
    _, proba = classifier_auc(features[syn], features[real], scan, linear=True)
    order = np.argsort(-proba, kind="stable")[:limit]
    # nearest by cosine = nearest in Euclidean distance of unit rows, where cosine distance = d^2 / 2
    euclid, near = nearest(l2_normalise(features[syn[order]]), l2_normalise(features[real]))
    dist = euclid**2 / 2.0
    return [
        {
            "query": _ref(index, int(syn[i])),
            "neighbour": _ref(index, int(real[j])),
            "probability": float(proba[i]),
            "distance": float(d),
        }
        for i, j, d in zip(order, near, dist, strict=True)
    ]


def _ref(index: pd.DataFrame, i: int) -> dict[str, str]:
    row = index.iloc[i]
    return {k: str(row[k]) for k in ("image_id", "path", "root", "label", "role")}


def drift_section(
    findings: list[dict[str, Any]], summary: BiasSummary | None, pairs: list[dict[str, Any]]
) -> dict[str, Any]:
    """The section's data: drift findings (most severe first), coverage sentences, example pairs."""
    cover = {} if summary is None or summary.object_attributes is None else summary.object_attributes
    return {
        "compared": summary is not None and summary.reference == "real",  # the scan had a real set to compare with
        "findings": [f for f in findings if f["check"] == "drift"],
        "coverage": [coverage_sentence(counts.model_dump(), role) for role, counts in cover.items()],
        "examples": pairs,
    }
