"""Run every registered check, then flag: the pure core of the scan stage."""

from __future__ import annotations

import pandas as pd

from synthscope.bias.base import CHECKS, SCORE_COLUMNS, ScanData
from synthscope.bias.flag import flag
from synthscope.logs import progress
from synthscope.params import NEAR_COPY, NearCopyParams, ScanParams


def score_all(data: ScanData, params: ScanParams, near_copy: NearCopyParams = NEAR_COPY) -> pd.DataFrame:
    """Concatenate the score frames of every registered check (``SCORE_COLUMNS``)."""
    frames = [check().score(data, params, near_copy) for _, check in progress(list(CHECKS), "scan checks")]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def scan(data: ScanData, params: ScanParams, near_copy: NearCopyParams = NEAR_COPY) -> pd.DataFrame:
    """Scores of every check with a ``severity`` column, most severe first (``near_copy``: what the
    duplicates and memorisation checks count as a copy)."""
    return flag(score_all(data, params, near_copy), params)
