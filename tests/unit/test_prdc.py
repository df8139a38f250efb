"""PRDC against the prdc package (identical values), hand-computed cases, ties and subsets."""

import numpy as np
import pytest
from prdc import compute_prdc

from synthscope import neighbours
from synthscope.metrics.prdc import (
    KEYS,
    neighbourhoods,
    prdc_of_subset,
    precision_recall_density_coverage,
)


def _prdc_package(fake, real, k):
    ref = compute_prdc(real_features=real, fake_features=fake, nearest_k=k)
    return {key: float(ref[key]) for key in KEYS}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_identical_to_prdc_package_over_many_blocks(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    real = rng.normal(size=(700, 16))
    fake = rng.normal(loc=0.3, scale=1.2, size=(600, 16))
    monkeypatch.setattr(neighbours, "BLOCK_BYTES", 8 * 700 * 64)  # about 64 rows per block
    ours = precision_recall_density_coverage(fake, real, k=5).values
    assert ours == _prdc_package(fake, real, 5)  # exactly equal, not approximately


def test_ties_on_a_lattice_match_prdc_in_float32_and_float64():
    # Small integer coordinates: every squared distance is an exact integer in float32 and
    # float64, so many sample-to-sample distances equal a k-NN radius exactly; prdc's strict <
    # decides them, and we must decide them the same way.
    rng = np.random.default_rng(3)
    real = rng.integers(0, 4, size=(300, 3))
    fake = rng.integers(0, 5, size=(250, 3))
    for dtype in (np.float32, np.float64):
        r, f = real.astype(dtype), fake.astype(dtype)
        for k in (1, 3, 5):
            assert precision_recall_density_coverage(f, r, k).values == _prdc_package(f, r, k), (dtype, k)


def test_hand_computed_case():
    # real on a line at 0..4, k=1: each real radius is 1. Fakes at 0.5 (inside) and 10 (outside).
    real = np.arange(5, dtype=float)[:, None]
    fake = np.array([[0.5], [10.0], [10.5]])
    res = precision_recall_density_coverage(fake, real, k=1)
    # fake radii (k=1): 9.5, 0.5, 0.5 -> only real 0 (distance 0.5 < 9.5? yes) and reals within 9.5 of 0.5
    assert res.values["precision"] == pytest.approx(1 / 3)
    assert res.values["density"] == pytest.approx(2 / 3)  # 0.5 lies in the balls of reals 0 and 1
    assert res.values["coverage"] == pytest.approx(2 / 5)  # reals 0 and 1 have a fake within radius 1
    assert res.values["recall"] == pytest.approx(1.0)  # the 9.5 ball around 0.5 holds every real


def test_any_subset_from_the_stored_neighbourhoods_equals_a_fresh_computation():
    rng = np.random.default_rng(4)
    real = rng.normal(size=(400, 8))
    fake = rng.normal(loc=0.2, size=(350, 8))
    nb = neighbourhoods(fake, real, k=5)
    for _ in range(3):
        keep_r, keep_f = rng.random(400) > 0.05, rng.random(350) > 0.05
        sub = prdc_of_subset(nb, keep_r, keep_f).values
        assert sub == _prdc_package(fake[keep_f], real[keep_r], 5)


def test_needs_more_than_k_samples():
    with pytest.raises(ValueError, match="more than k=5"):
        precision_recall_density_coverage(np.zeros((5, 2)), np.ones((10, 2)), k=5)
