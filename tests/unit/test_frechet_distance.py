import numpy as np
import pytest
from pytorch_fid.fid_score import calculate_frechet_distance

from synthscope.metrics.features_to_stats import FeatureStats, features_to_stats
from synthscope.metrics.frechet_distance import (
    frechet_distance,
    frechet_distance_from_features,
    nuclear_route_cheaper,
    per_class_frechet_distance,
)


def _pair(n1, n2, d, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n1, d))
    b = rng.normal(size=(n2, d)) @ rng.normal(size=(d, d)) * 0.3 + 0.5
    return a, b


@pytest.mark.parametrize("route", ["auto", "cholesky", "eigh"])
def test_matches_pytorch_fid_on_same_stats(route):
    a, b = _pair(400, 500, 48)
    s1, s2 = features_to_stats(a), features_to_stats(b)
    ref = calculate_frechet_distance(s1.mu, s1.sigma, s2.mu, s2.sigma)
    assert frechet_distance(s1, s2, route) == pytest.approx(ref, rel=1e-6)


def test_nuclear_route_equals_covariance_route_when_fewer_samples_than_dims():
    a, b = _pair(30, 40, 64)
    assert nuclear_route_cheaper(30, 40, 64)
    nuclear = frechet_distance_from_features(a, b, "nuclear")
    # the eigh route takes sqrt of round-off-sized eigenvalues of the singular S1: ~1e-8 relative noise
    assert nuclear == pytest.approx(frechet_distance_from_features(a, b, "eigh"), rel=1e-7)
    # pytorch-fid adds eps*I to the singular covariances, so agreement is to ~1e-7 only.
    s1, s2 = features_to_stats(a), features_to_stats(b)
    assert nuclear == pytest.approx(calculate_frechet_distance(s1.mu, s1.sigma, s2.mu, s2.sigma), rel=1e-6)


def test_identical_sets_give_zero():
    a, _ = _pair(200, 10, 16)
    assert frechet_distance_from_features(a, a) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance_from_features(a[:10], a[:10]) == pytest.approx(0.0, abs=1e-9)


def test_equal_covariances_give_squared_mean_distance():
    rng = np.random.default_rng(3)
    m = rng.normal(size=(8, 8))
    sigma = m @ m.T + np.eye(8)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    value = frechet_distance(FeatureStats(mu1, sigma, 100), FeatureStats(mu2, sigma, 100))
    assert value == pytest.approx(float(np.sum((mu1 - mu2) ** 2)), rel=1e-10)


def test_shifted_scaled_gaussians_analytic():
    """N(0, a^2 I) vs N(delta, b^2 I): d^2 = |delta|^2 + D (a - b)^2; diagonal stats are exact."""
    d, a, b = 10, 1.0, 2.0
    delta = np.full(d, 0.5)
    expected = delta @ delta + d * (a - b) ** 2
    s1 = FeatureStats(np.zeros(d), a**2 * np.eye(d), 0)
    s2 = FeatureStats(delta, b**2 * np.eye(d), 0)
    assert frechet_distance(s1, s2) == pytest.approx(expected, rel=1e-12)
    # and from samples, the estimate converges to it
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, a, (20000, d)), rng.normal(0.5, b, (20000, d))
    assert frechet_distance_from_features(x, y) == pytest.approx(expected, rel=0.02)


def test_per_class_uses_matching_labels_and_skips_small_classes():
    a, b = _pair(60, 60, 4)
    la = np.array(["x"] * 30 + ["y"] * 28 + ["z"] * 2)
    lb = np.array(["x"] * 30 + ["y"] * 30)
    out = per_class_frechet_distance(a, la, b, lb, min_samples=5)
    assert out["x"]["value"] == pytest.approx(frechet_distance_from_features(a[:30], b[:30]))
    assert out["z"] == {"value": None, "n_a": 2, "n_b": 0}


def test_auto_falls_back_to_the_exact_nuclear_route_when_cholesky_fails():
    """Rank-deficient features (a 40-d subspace of 64-d) with more samples than dims: the covariance
    route is the cheaper one, its Cholesky fails, and ``auto`` must then give the nuclear value."""
    import scipy.linalg

    from synthscope.metrics.features_to_stats import features_to_stats

    rng = np.random.default_rng(5)
    basis = rng.normal(size=(40, 64))
    a, b = rng.normal(size=(200, 40)) @ basis, (rng.normal(size=(220, 40)) + 0.2) @ basis
    with pytest.raises(np.linalg.LinAlgError):
        scipy.linalg.cholesky(features_to_stats(a).sigma, lower=True)
    nuclear = frechet_distance_from_features(a, b, "nuclear")
    assert frechet_distance_from_features(a, b) == pytest.approx(nuclear, rel=1e-10)
