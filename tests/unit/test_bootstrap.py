import numpy as np
import pytest

from synthscope.metrics.bootstrap import bootstrap_ci, bootstrap_mean_ci


def test_mean_ci_matches_normal_theory_and_is_seeded():
    x = np.random.default_rng(0).normal(size=2000)
    lo, hi = bootstrap_mean_ci(x, reps=2000, seed=1)
    half = 1.96 * x.std(ddof=1) / np.sqrt(len(x))
    assert lo == pytest.approx(x.mean() - half, abs=0.15 * half)
    assert hi == pytest.approx(x.mean() + half, abs=0.15 * half)
    assert bootstrap_mean_ci(x, reps=200, seed=1) == bootstrap_mean_ci(x, reps=200, seed=1)


def test_two_sample_ci_of_difference_of_means():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=800), rng.normal(1.0, size=800)
    lo, hi = bootstrap_ci(lambda u, v: v.mean() - u.mean(), [a, b], reps=500, seed=0)
    half = 1.96 * np.sqrt(a.var() / 800 + b.var() / 800)
    assert lo < b.mean() - a.mean() < hi
    assert hi - lo == pytest.approx(2 * half, rel=0.15)
