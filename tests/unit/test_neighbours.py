"""Blocked exact neighbour search against brute force and the prdc package, with blocks forced small."""

from __future__ import annotations

import numpy as np
import pytest
from prdc.prdc import compute_nearest_neighbour_distances
from scipy.spatial.distance import cdist

from synthscope import neighbours as nbr


@pytest.fixture(autouse=True)
def tiny_blocks(monkeypatch):
    """A few hundred bytes per block, so every search below runs over many blocks."""
    monkeypatch.setattr(nbr, "BLOCK_BYTES", 8 * 7 * 40)
    monkeypatch.setattr(nbr, "block_rows", lambda n, itemsize=8, budget=None: 7)


def test_knn_matches_brute_force_and_excludes_self_with_duplicates():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5))
    x[10] = x[3]  # an exact duplicate: it is 3's nearest neighbour, 3 is never its own
    sq, idx = nbr.knn(x, x, 4, same=True)
    d2 = cdist(x, x, "sqeuclidean")
    np.fill_diagonal(d2, np.inf)
    assert np.allclose(sq, np.sort(d2, axis=1)[:, :4], atol=1e-12)
    assert (idx != np.arange(60)[:, None]).all()
    assert idx[3, 0] == 10 and idx[10, 0] == 3


def test_knn_radii_equal_prdc():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(90, 12))
    for k in (1, 3, 5):
        ref = compute_nearest_neighbour_distances(x, k)
        # 7-row blocks take another BLAS kernel than one 90 x 90 product: last-bit differences
        assert np.allclose(nbr.knn_radii(x, k), ref, rtol=1e-13, atol=0)


def test_strict_threshold_is_the_sqrt_comparison():
    rng = np.random.default_rng(2)
    r = np.concatenate([rng.uniform(0, 10, 2000), [0.0, 1.0, 2.0, np.sqrt(2.0)]])
    t = nbr.strict_sq_threshold(r)
    for d2 in (t, np.nextafter(t, -np.inf), np.nextafter(t, np.inf), r * r):
        d2 = np.where(np.isfinite(d2), np.maximum(d2, 0.0), 0.0)
        assert np.array_equal(d2 < t, np.sqrt(d2) < r)


def test_nearest_and_coverage():
    rng = np.random.default_rng(3)
    q, b = rng.normal(size=(40, 6)), rng.normal(size=(55, 6))
    dist, idx = nbr.nearest(q, b)
    full = cdist(q, b)
    assert np.array_equal(idx, full.argmin(axis=1)) and np.allclose(dist, full.min(axis=1))
    _, idx_self = nbr.nearest(b, b, same=True)
    self_d = cdist(b, b)
    np.fill_diagonal(self_d, np.inf)
    assert np.array_equal(idx_self, self_d.argmin(axis=1))
    prdc = pytest.importorskip("prdc")
    real, fake = rng.normal(size=(80, 5)), rng.normal(0.5, 0.7, size=(60, 5))
    expected = prdc.compute_prdc(real_features=real, fake_features=fake, nearest_k=5)["coverage"]
    assert nbr.coverage(real, fake, 5) == pytest.approx(expected, abs=0)


def test_hash_and_cosine_searches_match_brute_force():
    rng = np.random.default_rng(0)
    a = rng.integers(-(2**63), 2**63 - 1, 50, dtype=np.int64)
    b = rng.integers(-(2**63), 2**63 - 1, 70, dtype=np.int64)
    brute = np.array([min(bin((int(x) ^ int(y)) & (2**64 - 1)).count("1") for y in b) for x in a])
    assert np.array_equal(nbr.min_hamming(a, b), brute)
    near = a.copy()
    near[5] = near[9] ^ 3  # two bits apart
    pairs = {tuple(p) for p in nbr.hamming_pairs(near, 2).tolist()}
    assert pairs == {(5, 9), (9, 5)}
    x = nbr.l2_normalise(rng.normal(size=(30, 8)))
    x[7] = x[2]
    sim = x @ x.T
    np.fill_diagonal(sim, -2)
    assert np.allclose(nbr.max_cosine(x, x, exclude_self=True), sim.max(axis=1))
    expected = {(int(i), int(j)) for i, j in zip(*np.nonzero(sim >= 0.9), strict=True)}
    assert {tuple(p) for p in nbr.cosine_pairs(x, 0.9).tolist()} == expected and (2, 7) in expected
