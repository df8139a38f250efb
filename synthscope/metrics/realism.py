"""Per-image realism of synthetic samples against a real set (pure: arrays and frames in and out).

Realism score (Kynkaanniemi et al. 2019, "Improved precision and recall", section 5): each real
sample's k-NN radius spans a ball around it; after discarding the half of the balls with the
largest radii (outliers inflate them), a candidate's score is

    R(g) = max_r  radius_k(r) / ||g - r||

R >= 1 means g lies inside some kept real ball (on the real manifold); larger is more typical.
This is the one implementation: the score stage writes it per image (``realism.parquet``) and
the debias stage ranks its candidates with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthscope.neighbours import as_float64, distance_blocks, knn_radii

PRUNE_QUANTILE = 0.5  # the paper keeps the real balls with radius at or below the median


@dataclass(frozen=True)
class Realism:
    """Per candidate: ``score`` float64 (Nc,), ``nearest`` int64 (Nc,) row of the nearest real
    sample (over all real rows, pruned or not) and ``distance`` float64 (Nc,) to it."""

    score: np.ndarray
    nearest: np.ndarray
    distance: np.ndarray


def _ratio_and_nearest(real: np.ndarray, cand: np.ndarray, radii: np.ndarray, keep: np.ndarray) -> Realism:
    """The one neighbour search (blocked, ``synthscope.neighbours``): best ratio and nearest real row."""
    score, nearest, distance = np.empty(len(cand)), np.empty(len(cand), np.int64), np.empty(len(cand))
    kept_radii = radii[keep]
    for sl, dist in distance_blocks(as_float64(cand, "candidates"), as_float64(real, "real"), desc="realism"):
        near = dist.argmin(axis=1)
        nearest[sl] = near
        distance[sl] = dist[np.arange(len(near)), near]
        with np.errstate(divide="ignore"):
            score[sl] = (kept_radii[None, :] / dist[:, keep]).max(axis=1)
    return Realism(score=score, nearest=nearest, distance=distance)


def realism(real: np.ndarray, candidates: np.ndarray, k: int) -> Realism:
    """(Nr, D) real and (Nc, D) candidate features -> :class:`Realism`.

    Needs Nr > k. A candidate at distance 0 from a kept real sample scores +inf.
    """
    real = np.asarray(real, dtype=np.float64)
    cand = np.asarray(candidates, dtype=np.float64)
    if len(real) <= k:
        raise ValueError(f"the realism score needs more than k={k} real samples, got {len(real)}")
    radii = knn_radii(real, k)
    keep = radii <= np.quantile(radii, PRUNE_QUANTILE)
    return _ratio_and_nearest(real, cand, radii, keep)


def realism_scores(real: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """Just the scores, float64 (Nc,): what debias ranks its candidates by."""
    return realism(real, candidates, k).score


def realism_frame(synthetic: pd.DataFrame, real: pd.DataFrame, result: Realism | None,
                  outlier_below: float) -> pd.DataFrame:
    """One row per synthetic image: the content of ``realism.parquet``.

    ``synthetic`` / ``real``: rows with ``image_id``, ``path``, ``label`` aligned with the
    features ``result`` was computed from (``result`` None: no real reference, every score
    column is null). ``outlier`` is ``realism < outlier_below`` (1.0 = outside every kept
    real ball), a flag from a params.yaml threshold, not part of the score.
    """
    out = synthetic[["image_id", "path", "label"]].astype(str).reset_index(drop=True)
    if result is None:
        out["realism"] = np.nan
        out["nearest_real_id"] = pd.Series([None] * len(out), dtype=object)
        out["nearest_real_path"] = pd.Series([None] * len(out), dtype=object)
        out["nearest_real_label"] = pd.Series([None] * len(out), dtype=object)
        out["distance"] = np.nan
        out["outlier"] = pd.array([pd.NA] * len(out), dtype="boolean")
        return out
    near = real.iloc[result.nearest].reset_index(drop=True)
    out["realism"] = result.score
    out["nearest_real_id"] = near["image_id"].astype(str).to_numpy()
    out["nearest_real_path"] = near["path"].astype(str).to_numpy()
    out["nearest_real_label"] = near["label"].astype(str).to_numpy()
    out["distance"] = result.distance
    out["outlier"] = pd.array(result.score < outlier_below, dtype="boolean")
    return out
