import numpy as np
import pytest

from synthscope.metrics.bootstrap import bootstrap_mean_ci


def test_mean_ci_matches_normal_theory_and_is_seeded():
    x = np.random.default_rng(0).normal(size=2000)
    lo, hi = bootstrap_mean_ci(x, reps=2000, seed=1)
    half = 1.96 * x.std(ddof=1) / np.sqrt(len(x))
    assert lo == pytest.approx(x.mean() - half, abs=0.15 * half)
    assert hi == pytest.approx(x.mean() + half, abs=0.15 * half)
    assert bootstrap_mean_ci(x, reps=200, seed=1) == bootstrap_mean_ci(x, reps=200, seed=1)
