"""Features -> Kernel Inception Distance: unbiased MMD^2 with a polynomial kernel, over subsets.

KID (Binkowski et al. 2018) is unbiased at any sample size, unlike FID, so it is the number to
trust on small sets. Subsets are drawn exactly as torch-fidelity draws them
(``RandomState(seed)``, synthetic subset then real subset, without replacement) so the
same seed gives the same subsets and, up to float64 vs float32 kernels, the same value.

Interval: the reported KID is the mean of many overlapping subset estimates, which is at
least as precise as the mean of ``k = n_min // m`` *disjoint* subsets (the full U-statistic
is the minimum-variance unbiased estimator). The variance of one subset's estimate is
estimated from the spread of all subsets (each is marginally a size-m estimate), so
``se = std(mmds) / sqrt(k)`` and ``ci95 = mean +- t_{k-1} * se`` (a conservative standard error
of the mean over distinct subsets). With ``m <= n_min / 2`` there are always k >= 2
distinct subsets; with ``m = n_min`` every subset is the whole set and the spread says nothing
about sampling error (issue 12), so the subset size is capped at half the smaller set.
Coverage against a large-sample MMD^2 is checked in tests/stats/test_interval_coverage.py.

The metric ``kid`` is registered here, with its settings :class:`KidSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import t as student_t

from synthscope.documents.common import Document
from synthscope.documents.metrics import KernelDistance
from synthscope.metrics.features_to_stats import as_float64_2d
from synthscope.metrics.metric import Metric, ScoreInputs, network, register_metric
from synthscope.params import ScoreParams

METHOD = (
    "mean +- t(k-1) * std(subset MMD^2) / sqrt(k): standard error of the mean over k = n_min // m "
    "distinct subsets of size m <= n_min / 2"
)


@dataclass(frozen=True)
class KidResult:
    """``mmds`` float64 (subsets,): one unbiased MMD^2 per subset; ``subset_size`` actually used."""

    mean: float
    std: float
    mmds: np.ndarray
    subset_size: int

    def ci95(self, n_min: int, level: float = 0.95) -> tuple[float, float]:
        """Interval for the population MMD^2 from ``n_min // subset_size`` distinct subsets (see module)."""
        k = max(2, n_min // self.subset_size)
        se = float(self.mmds.std(ddof=1)) / np.sqrt(k) if len(self.mmds) > 1 else float("inf")
        half = float(student_t.ppf(0.5 + level / 2, k - 1)) * se
        return self.mean - half, self.mean + half


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
    """KID of (n1, D) vs (n2, D) features; subset_size is capped at half the smaller set's size."""
    x = as_float64_2d(synthetic, "synthetic features")
    y = as_float64_2d(real, "real features")
    m = max(2, min(subset_size, min(len(x), len(y)) // 2))
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


@dataclass(frozen=True)
class KidSettings:
    """``score.kid_*``: subsets, their size, the polynomial kernel; and the seed."""

    subsets: int
    subset_size: int
    degree: int
    coef0: float
    seed: int

    @classmethod
    def from_params(cls, p: ScoreParams) -> KidSettings:
        return cls(subsets=p.kid_subsets, subset_size=p.kid_subset_size, degree=p.kid_degree, coef0=p.kid_coef0,
                   seed=p.seed)


def kid_metric(inp: ScoreInputs) -> dict[str, Document]:
    """metrics.json ``kid``: the mean subset MMD^2 with its interval over distinct subsets."""
    s = KidSettings.from_params(inp.params)
    assert inp.real is not None
    res = kernel_inception_distance(inp.synthetic.features, inp.real.features, s.subsets, s.subset_size,
                                    s.degree, s.coef0, s.seed)
    n_min = min(len(inp.synthetic.ids), len(inp.real.ids))
    return {
        "kid": KernelDistance(
            value=res.mean,
            std=res.std,
            ci95=res.ci95(n_min),
            method=METHOD,
            subsets=len(res.mmds),
            subset_size=res.subset_size,
            network=network(inp.extractor),
        )
    }


register_metric("kid", Metric(compute=kid_metric, outputs=("kid",), needs_reference=True))
