"""Features -> Kernel Inception Distance: unbiased MMD^2 with a polynomial kernel, over subsets.

KID (Binkowski et al. 2018) is unbiased at any sample size, unlike FID, so it is the number to
trust on small sets. Subsets are drawn exactly as torch-fidelity draws them
(``RandomState(seed)``, synthetic subset then real subset, without replacement) so the
same seed gives the same subsets and, up to float64 vs float32 kernels, the same value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthscope.metrics.features_to_stats import as_float64_2d


@dataclass(frozen=True)
class KidResult:
    """``mmds`` float64 (subsets,): one unbiased MMD^2 per subset; ``subset_size`` actually used."""

    mean: float
    std: float
    mmds: np.ndarray
    subset_size: int


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int = 3, coef0: float = 1.0) -> np.ndarray:
    """k(x, y) = (x.y / D + coef0) ** degree for (n, D) and (m, D) -> (n, m)."""
    return (x @ y.T / x.shape[1] + coef0) ** degree


def unbiased_mmd2(k_xx: np.ndarray, k_xy: np.ndarray, k_yy: np.ndarray) -> float:
    """Unbiased MMD^2 from (m, m) kernel blocks: within-set sums drop the diagonal."""
    m = k_xx.shape[0]
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.sum() / (m * m))


def kernel_inception_distance(
    synthetic: np.ndarray,
    real: np.ndarray,
    subsets: int = 100,
    subset_size: int = 1000,
    degree: int = 3,
    coef0: float = 1.0,
    seed: int = 0,
) -> KidResult:
    """KID of (n1, D) vs (n2, D) features; subset_size is capped at the smaller set's size."""
    x = as_float64_2d(synthetic, "synthetic features")
    y = as_float64_2d(real, "real features")
    m = min(subset_size, len(x), len(y))
    rng = np.random.RandomState(seed)
    mmds = np.zeros(subsets)
    for i in range(subsets):
        xs = x[rng.choice(len(x), m, replace=False)]
        ys = y[rng.choice(len(y), m, replace=False)]
        mmds[i] = unbiased_mmd2(
            polynomial_kernel(xs, xs, degree, coef0),
            polynomial_kernel(xs, ys, degree, coef0),
            polynomial_kernel(ys, ys, degree, coef0),
        )
    return KidResult(mean=float(mmds.mean()), std=float(mmds.std()), mmds=mmds, subset_size=m)
