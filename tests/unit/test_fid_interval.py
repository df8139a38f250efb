"""FID with its bias-aware interval and FID-inf (coverage: tests/stats/test_interval_coverage.py)."""

import numpy as np
import pytest

from synthscope.metrics.fid_interval import FRACTIONS, fid_with_interval
from synthscope.metrics.frechet_distance import frechet_distance_from_features


def test_value_fit_and_interval_are_consistent():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(120, 16)), rng.normal(size=(90, 16)) + 0.4
    res = fid_with_interval(a, b, reps=12, seed=3)
    assert res.value == pytest.approx(frechet_distance_from_features(a, b), rel=1e-12)
    lo, hi = res.ci95
    assert 0 <= lo <= res.value <= hi
    # One full-sample point and one per subset size, without duplicated rows: m = f * n.
    sizes = {(p.n_synthetic, p.n_real) for p in res.points}
    assert sizes == {(120, 90)} | {(round(f * 120), round(f * 90)) for f in FRACTIONS}
    xs = np.array([p.x for p in res.points])
    ys = np.array([p.fid for p in res.points])
    slope, intercept = np.polyfit(xs, ys, 1)
    assert (res.slope, res.fid_inf) == pytest.approx((slope, intercept))
    assert res.slope > 0  # smaller subsets, larger FID: the small-sample bias the fit removes
    assert res.fid_inf < res.value
    fid_inf = res.fid_infinity()
    assert fid_inf.value == res.fid_inf and len(fid_inf.points) == len(FRACTIONS) + 1
    assert fid_with_interval(a, b, reps=12, seed=3) == res  # seeded


def test_closed_form_equal_covariances_large_n():
    """Equal covariances: FID = |mu1 - mu2|^2; at large N the interval holds it and FID-inf is close."""
    rng = np.random.default_rng(1)
    shift = np.zeros(8)
    shift[0] = 2.0
    a, b = rng.normal(size=(4000, 8)), rng.normal(size=(4000, 8)) + shift
    res = fid_with_interval(a, b, reps=12, seed=0)
    assert res.ci95[0] <= 4.0 <= res.ci95[1]
    assert res.fid_inf == pytest.approx(4.0, abs=0.15)


def test_below_the_one_over_n_regime_the_lower_end_is_zero():
    """Subsets smaller than the dimension: FID-inf is extrapolated from outside its regime, so the
    interval makes no claim from below."""
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(60, 64)), rng.normal(size=(60, 64)) + 1.0
    res = fid_with_interval(a, b, reps=8, seed=0)
    assert not res.reliable and res.ci95[0] == 0.0 and res.ci95[1] >= res.value
    assert res.fid_infinity().extrapolation_reliable is False
    assert fid_with_interval(rng.normal(size=(300, 8)), rng.normal(size=(300, 8)), reps=8).reliable
