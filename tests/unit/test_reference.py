"""Real-vs-real references and the permutation test, checked against the independent routes."""

import numpy as np
import pytest

from synthscope.metrics.frechet_distance import frechet_distance_from_features
from synthscope.metrics.kid import polynomial_kernel, unbiased_mmd2
from synthscope.metrics.prdc import precision_recall_density_coverage
from synthscope.metrics.reference import (
    frechet_from_gram,
    mmd2_unbiased,
    permutation_test,
    pool,
    prdc_from_sq,
    real_vs_real,
)


def sets(n_syn: int, n_real: int, shift: float, dim: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=dim) * 3  # uncentred, as network features are
    return base + rng.normal(size=(n_syn, dim)) + shift, base + rng.normal(size=(n_real, dim))


def test_gram_routes_match_the_direct_computations():
    x, y = sets(60, 80, 0.3)
    pooled = pool(x, y, 60, 80, seed=0)
    s, r = np.arange(60), np.arange(60, 140)
    xs, ys = x, y  # pools keep every row, in order (sorted choice of all rows)
    assert frechet_from_gram(pooled.gram, s, r) == pytest.approx(frechet_distance_from_features(xs, ys), rel=1e-6)
    direct = unbiased_mmd2(polynomial_kernel(xs[:50], xs[:50]), polynomial_kernel(xs[:50], ys[:50]),
                           polynomial_kernel(ys[:50], ys[:50]))
    mine = mmd2_unbiased(pooled.kernel(s[:50], s[:50]), pooled.kernel(r[:50], r[:50]), pooled.kernel(s[:50], r[:50]))
    assert mine == pytest.approx(direct, rel=1e-8, abs=1e-12)
    got = prdc_from_sq(pooled.sq_dist(r, r), pooled.sq_dist(s, s), pooled.sq_dist(r, s), k=5)
    assert got == pytest.approx(precision_recall_density_coverage(xs, ys, k=5).values, abs=1e-12)


def test_reference_is_centred_on_one_under_the_null_and_far_from_it_under_a_shift():
    x, y = sets(200, 200, 0.0, seed=1)
    same = real_vs_real(x, y, splits=10, seed=0)
    assert same.available and same.n_per_side == 100 and "2 x 200" in same.note
    fid = same.metrics["fid"]
    assert 0.8 < fid.relative.value < 1.25
    assert fid.relative.ci95[0] < 1 < fid.relative.ci95[1]
    assert abs(same.metrics["kid"].relative.value) < 0.05
    moved = real_vs_real(*sets(200, 200, 1.0, seed=1), splits=10, seed=0)
    assert moved.metrics["fid"].relative.ci95[0] > 2
    assert moved.metrics["coverage"].relative.ci95[1] < 0.8
    for entry in moved.metrics.values():  # every interval holds its value
        lo, hi = entry.relative.ci95
        assert lo <= entry.relative.value <= hi


def test_too_small_a_real_set_says_so():
    x, y = sets(50, 15, 0.0)
    out = real_vs_real(x, y)
    assert not out.available and "too small to split" in out.note and out.value is None


def test_permutation_test_calibration_and_power():
    """Under the null the p-value is uniform-ish (never tiny on these seeds); a shift gives p at its floor."""
    null_p = [permutation_test(pool(*sets(60, 60, 0.0, seed=s), 60, 60, seed=s), 200, seed=s).value
              for s in range(10)]
    assert min(null_p) > 0.01 and 0.2 < np.mean(null_p) < 0.8
    shifted = permutation_test(pool(*sets(60, 60, 0.8), 60, 60, seed=0), 200, seed=0)
    assert shifted.value == pytest.approx(1 / 201) and shifted.effect_size.value > 0.1
    lo, hi = shifted.ci95
    assert lo <= shifted.value <= hi


def test_permutation_statistic_is_the_unbiased_mmd():
    x, y = sets(30, 40, 0.5)
    pooled = pool(x, y, 30, 40, seed=0)
    out = permutation_test(pooled, 20, seed=0)
    assert out.statistic == pytest.approx(
        mmd2_unbiased(polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)), rel=1e-8)
