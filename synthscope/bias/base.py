"""What every bias check sees and returns, and the registry that lists the checks.

A check is a small class with a ``name`` and ``score(data, params) -> DataFrame`` that
returns continuous scores only (CleanVision style). Turning scores into severities is the
separate flagging step in :mod:`synthscope.bias.flag`, with thresholds from ``params.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol, TypedDict

import numpy as np
import pandas as pd

from synthscope.params import NEAR_COPY, NearCopyParams, ScanParams
from synthscope.registry import Registry

# One row per measured quantity. ``flag_value`` is what the thresholds compare against
# (higher means worse; NaN means "measured, never flagged"); ``detail`` feeds the message.
SCORE_COLUMNS = (
    "check",  # one of schema.CHECKS
    "attribute",  # one of schema.ATTRIBUTES or None
    "class",  # class label or None (whole dataset)
    "metric",  # what ``score`` is, e.g. "spread_ratio", "youden_j"
    "score",  # the synthetic data's value
    "reference_score",  # the same measure on the real data (or its unbiased baseline); NaN if none
    "flag_value",  # the quantity the thresholds compare against; NaN: info only
    "origin",  # introduced | copied | unknown
    "message",  # one sentence with the numbers
)

# One row of a score frame, before it is a frame (``class`` is a keyword: the functional form).
ScoreRow = TypedDict("ScoreRow", {
    "check": str, "attribute": str | None, "class": str | None, "metric": str, "score": float,
    "reference_score": float, "flag_value": float, "origin": str, "message": str,
})


@dataclass(frozen=True)
class ScanData:
    """Inputs of the scan, one frame per role, aligned with their embeddings.

    ``synthetic`` / ``real``: attributes.parquet rows of that role (keys, group columns,
    ``dhash`` int64), index reset. ``*_emb``: float32 (N, D), row i belongs to frame row i,
    L2-normalised so that a dot product is a cosine; None when no embeddings are at hand.
    """

    synthetic: pd.DataFrame
    real: pd.DataFrame | None = None
    synthetic_emb: np.ndarray | None = None
    real_emb: np.ndarray | None = None
    # two halves of the real set (bias/null.py): only flagged values are kept, so checks may
    # skip what feeds messages and info rows only
    null_pair: bool = False

    @property
    def has_reference(self) -> bool:
        return self.real is not None and len(self.real) > 0


class Check(Protocol):
    name: ClassVar[str]

    def score(self, data: ScanData, params: ScanParams, near_copy: NearCopyParams = NEAR_COPY) -> pd.DataFrame: ...


CHECKS: Registry[type[Check]] = Registry("bias check")


def score_row(
    check: str,
    attribute: str | None,
    label: str | None,
    metric: str,
    score: float,
    reference_score: float = float("nan"),
    flag_value: float = float("nan"),
    origin: str = "unknown",
    message: str = "",
) -> ScoreRow:
    """One row of a check's score frame (keys are ``SCORE_COLUMNS``)."""
    return {
        "check": check,
        "attribute": attribute,
        "class": label,
        "metric": metric,
        "score": float(score),
        "reference_score": float(reference_score),
        "flag_value": float(flag_value),
        "origin": origin,
        "message": message,
    }


def score_frame(rows: list[ScoreRow]) -> pd.DataFrame:
    """Rows -> a frame with exactly ``SCORE_COLUMNS`` (an empty frame keeps the columns)."""
    frame = pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
    for col in ("score", "reference_score", "flag_value"):
        frame[col] = frame[col].astype("float64")
    for col in ("attribute", "class"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def origin_of(synthetic_effect: float, real_effect: float | None, copied_ratio: float) -> str:
    """``copied`` when the real data shows at least ``copied_ratio`` of the synthetic effect.

    Effects are "higher is more biased" numbers on the same scale for both roles; with no
    reference the origin is ``unknown``.
    """
    if real_effect is None or not np.isfinite(real_effect):
        return "unknown"
    if synthetic_effect > 0 and real_effect >= copied_ratio * synthetic_effect:
        return "copied"
    return "introduced"


def pct(x: float) -> str:
    """0.237 -> '24%' for messages."""
    return f"{100 * x:.0f}%"


def classes_of(frame: pd.DataFrame, min_size: int) -> list[str]:
    """Class labels with at least ``min_size`` rows, sorted (smaller classes get no per-class score).
    The empty label of an unlabelled set is no class."""
    counts = frame["label"].astype(str).value_counts()
    return sorted(c for c in counts[counts >= min_size].index if c != "")


def is_labelled(frame: pd.DataFrame | None) -> bool:
    """True when some row has a class label (an unlabelled set has "" on every row)."""
    return frame is not None and bool((frame["label"].astype(str) != "").any())
