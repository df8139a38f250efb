"""Seeded percentile bootstrap: confidence intervals by resampling samples with replacement.

``bootstrap_mean_ci`` resamples per-sample contributions whose mean is the metric (accuracy,
precision, coverage, ...): cheap, and its coverage of a known accuracy is checked in
tests/stats/test_interval_coverage.py. FID and the Inception Score are *not* bootstrapped:
duplicated rows add to their small-sample bias (see metrics/fid_interval.py and
metrics/inception_score.py for their intervals).
"""

from __future__ import annotations

import numpy as np

METHOD = "percentile bootstrap of per-sample contributions (models held fixed)"


def percentile_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The (1-level)/2 and (1+level)/2 percentiles of bootstrap replicates."""
    lo, hi = np.percentile(values, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def bootstrap_mean_ci(
    contributions: np.ndarray, reps: int, seed: int, level: float = 0.95
) -> tuple[float, float]:
    """CI of the mean of (N,) per-sample contributions; pass a paired difference as its own array."""
    contributions = np.asarray(contributions, dtype=np.float64).ravel()
    rng = np.random.default_rng(seed)
    means = np.empty(reps)
    for start in range(0, reps, 64):  # chunks bound the (reps, N) index matrix's memory
        stop = min(reps, start + 64)
        idx = rng.integers(0, len(contributions), size=(stop - start, len(contributions)))
        means[start:stop] = contributions[idx].mean(axis=1)
    return percentile_interval(means, level)
