"""The batch history and the trend findings read from it (pure: frames in, frames and dicts out).

One row per batch, keyed by ``batch_id``: running a batch again replaces its row in place,
so no batch is counted twice. A trend finding compares the oldest and the newest of the last
``trend_batches`` rows: the uncovered share (or a drift group's flag value) rising by at
least ``trend_rise`` is a finding, for the share only when the newest interval lies above
the oldest value (a rise the batch sizes can tell from noise).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthscope.documents.monitor import TrendFinding
from synthscope.schema import DRIFT_GROUPS

DRIFT_KEYS = (*DRIFT_GROUPS, "embeddings")
HISTORY_COLUMNS = ("batch_id", "time", "n_images", "uncovered_share", "uncovered_lo", "uncovered_hi",
                   "reference_share", "verdict", *(f"drift_{g}" for g in DRIFT_KEYS), "accuracy", "confidence")


def empty_history() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object if c in ("batch_id", "time", "verdict") else "float64")
                          for c in HISTORY_COLUMNS})
    return frame.astype({"n_images": "int64"})


def append_batch(history: pd.DataFrame | None, row: dict[str, Any]) -> pd.DataFrame:
    """``history`` with ``row`` added, or replacing the row of the same ``batch_id`` in place."""
    base = empty_history() if history is None else history
    new = pd.DataFrame([{c: row.get(c, np.nan) for c in HISTORY_COLUMNS}])
    same = base["batch_id"].astype(str) == str(row["batch_id"])
    if same.any():
        out = base.copy()
        out.loc[same[same].index[0], list(HISTORY_COLUMNS)] = new.iloc[0].to_numpy()
        return out.reset_index(drop=True)
    parts = [f for f in (base, new) if len(f)]
    return pd.concat(parts, ignore_index=True)[list(HISTORY_COLUMNS)].astype({"n_images": "int64"})


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def trend_findings(history: pd.DataFrame, batches: int, rise: float) -> list[TrendFinding]:
    """Findings (``metric``, ``first``, ``last``, ``batches``, ``message``) over the last ``batches`` rows."""
    window = history.tail(batches)
    if len(window) < 2:
        return []
    first, last = window.iloc[0], window.iloc[-1]
    n = len(window)
    out = []
    if (last["uncovered_share"] - first["uncovered_share"] >= rise
            and last["uncovered_lo"] > first["uncovered_share"]):
        out.append(TrendFinding(metric="uncovered_share", first=float(first["uncovered_share"]),
                                last=float(last["uncovered_share"]), batches=n,
                                message=f"uncovered share rose from {_pct(first['uncovered_share'])} to "
                                        f"{_pct(last['uncovered_share'])} over the last {n} batches"))
    for g in DRIFT_KEYS:
        a, b = first.get(f"drift_{g}"), last.get(f"drift_{g}")
        if a is not None and b is not None and np.isfinite(a) and np.isfinite(b) and b - a >= rise:
            out.append(TrendFinding(metric=f"drift_{g}", first=float(a), last=float(b), batches=n,
                                    message=f"drift in {g} rose from {a:.2f} to {b:.2f} over the last {n} batches"))
    return out
