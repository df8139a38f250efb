"""Run every registered check, then flag: the pure core of the scan stage."""

from __future__ import annotations

import pandas as pd

from synthscope.bias.base import CHECKS, SCORE_COLUMNS, ScanData
from synthscope.bias.flag import flag
from synthscope.bias.null import calibrate, null_levels
from synthscope.logs import progress
from synthscope.params import ScanParams


def score_all(data: ScanData, params: ScanParams, null_pair: bool = False) -> pd.DataFrame:
    """Concatenate the score frames of every registered check (``SCORE_COLUMNS``).

    ``null_pair``: ``data`` is two halves of the real set (``bias.null``); checks whose flagged
    value is already a test against the real-vs-real expectation (``null_by_test``: drift's
    AUC lower bound against 0.5) are not rerun.
    """
    checks = [(n, c) for n, c in CHECKS if not (null_pair and getattr(c, "null_by_test", False))]
    frames = [check().score(data, params) for _, check in progress(checks, "scan checks")]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def scan(data: ScanData, params: ScanParams) -> pd.DataFrame:
    """Scores of every check, calibrated against real-vs-real noise when there is a real set
    (``bias.null``), with a ``severity`` column, most severe first."""
    scores = score_all(data, params)
    if data.has_reference and params.null_splits:
        levels = null_levels(data, params, lambda d, p: score_all(d, p, null_pair=True))
        by_test = frozenset(n for n, c in CHECKS if getattr(c, "null_by_test", False))
        scores = calibrate(scores, levels, params, by_test)
    return flag(scores, params)
