"""Run every registered check, then flag: the pure core of the scan stage."""

from __future__ import annotations

import pandas as pd

from synthscope.bias.base import CHECKS, SCORE_COLUMNS, ScanData
from synthscope.bias.flag import flag
from synthscope.bias.null import calibrate, null_levels
from synthscope.logs import progress
from synthscope.params import ScanParams


def score_all(data: ScanData, params: ScanParams) -> pd.DataFrame:
    """Concatenate the score frames of every registered check (``SCORE_COLUMNS``)."""
    frames = [check().score(data, params) for _, check in progress(list(CHECKS), "scan checks")]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def scan(data: ScanData, params: ScanParams) -> pd.DataFrame:
    """Scores of every check, calibrated against real-vs-real noise when there is a real set
    (``bias.null``), with a ``severity`` column, most severe first."""
    scores = score_all(data, params)
    if data.has_reference and params.null_splits:
        scores = calibrate(scores, null_levels(data, params, score_all), params)
    return flag(scores, params)
