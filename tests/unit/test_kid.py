import numpy as np
import pytest
import torch
from torch_fidelity.metric_kid import kid_features_to_metric

from synthscope.metrics.kid import kernel_inception_distance, polynomial_kernel, unbiased_mmd2


def test_matches_torch_fidelity_same_subsets():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 32)).astype(np.float32)
    y = (rng.normal(size=(150, 32)) + 0.3).astype(np.float32)
    ours = kernel_inception_distance(x, y, subsets=20, subset_size=50, seed=7)
    ref = kid_features_to_metric(
        torch.from_numpy(x),
        torch.from_numpy(y),
        kid_subsets=20,
        kid_subset_size=50,
        rng_seed=7,
        verbose=False,
    )
    assert ours.mean == pytest.approx(ref["kernel_inception_distance_mean"], rel=1e-4)
    assert ours.std == pytest.approx(ref["kernel_inception_distance_std"], rel=1e-4)


def test_unbiased_mmd_matches_pairwise_definition():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    k = lambda u, v: (u @ v / 3 + 1) ** 3  # noqa: E731
    m = 6
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    got = unbiased_mmd2(polynomial_kernel(x, x), polynomial_kernel(x, y), polynomial_kernel(y, y))
    assert got == pytest.approx(xx + yy - 2 * xy, rel=1e-12)


def test_same_distribution_is_near_zero_and_shift_is_not():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(400, 16)), rng.normal(size=(400, 16))
    same = kernel_inception_distance(x, y, subsets=10, subset_size=200)
    shifted = kernel_inception_distance(x, y + 1.0, subsets=10, subset_size=200)
    assert abs(same.mean) < 3 * same.std + 1e-3
    assert shifted.mean > 10 * abs(same.mean)
    assert kernel_inception_distance(x[:30], y, subsets=2, subset_size=1000).subset_size == 15
