"""Seeded percentile bootstrap: confidence intervals by resampling samples with replacement.

Two forms: ``bootstrap_ci`` re-evaluates a statistic of two independently resampled sets
(FID, Inception Score), and ``bootstrap_mean_ci`` resamples per-sample contributions whose mean
is the metric (accuracy, precision, coverage, ...), which is exact for those metrics and cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def percentile_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The (1-level)/2 and (1+level)/2 percentiles of bootstrap replicates."""
    lo, hi = np.percentile(values, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def bootstrap_ci(
    statistic: Callable[..., float],
    samples: Sequence[np.ndarray],
    reps: int,
    seed: int,
    level: float = 0.95,
) -> tuple[float, float]:
    """CI of ``statistic(*samples)``; each array is resampled along axis 0 independently."""
    rng = np.random.default_rng(seed)
    values = np.empty(reps)
    for r in range(reps):
        resampled = [s[rng.integers(0, len(s), len(s))] for s in samples]
        values[r] = statistic(*resampled)
    return percentile_interval(values, level)


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
