"""Features -> precision, recall (Kynkaanniemi et al. 2019), density and coverage (Naeem et al. 2020).

Each real (synthetic) sample gets a ball reaching its k-th nearest real (synthetic)
neighbour; the union of balls estimates that set's manifold.

- precision: share of synthetic samples inside the real manifold (fidelity),
- recall: share of real samples inside the synthetic manifold (diversity),
- density: mean number of real balls holding a synthetic sample, over k (fidelity, robust to
  real outliers; ~1 when the sets match),
- coverage: share of real samples whose ball holds at least one synthetic sample.

Comparisons are strict (``<``), as in the ``prdc`` package. Besides the four means this also
returns each sample's contribution, so confidence intervals can be bootstrapped over samples
with the manifolds held fixed (resampling with replacement would put zero-distance duplicates
into the k-NN radii and shrink every ball).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist

from synthscope.metrics.features_to_stats import as_float64_2d


@dataclass(frozen=True)
class PrdcResult:
    """Per-sample contributions: ``in_real`` bool (n_synth,), ``real_balls`` float (n_synth,)
    (count of real balls holding each synthetic sample / k), ``in_synthetic`` bool (n_real,),
    ``covered`` bool (n_real,)."""

    in_real: np.ndarray
    real_balls: np.ndarray
    in_synthetic: np.ndarray
    covered: np.ndarray

    @property
    def values(self) -> dict[str, float]:
        return {
            "precision": float(self.in_real.mean()),
            "recall": float(self.in_synthetic.mean()),
            "density": float(self.real_balls.mean()),
            "coverage": float(self.covered.mean()),
        }


def kth_neighbour_radii(features: np.ndarray, k: int) -> np.ndarray:
    """Distance of each row to its k-th nearest other row: (N, D) -> (N,). Needs N > k."""
    if len(features) <= k:
        raise ValueError(f"need more than k={k} samples for k-NN radii, got {len(features)}")
    dist = cdist(features, features)
    # Column 0 of the partition is the point itself (distance 0), so the k-th neighbour is index k.
    return np.partition(dist, k, axis=1)[:, k]


def precision_recall_density_coverage(synthetic: np.ndarray, real: np.ndarray, k: int = 5) -> PrdcResult:
    """(n_s, D) synthetic and (n_r, D) real features -> per-sample contributions; O(n^2) memory."""
    fake = as_float64_2d(synthetic, "synthetic features")
    real_arr = as_float64_2d(real, "real features")
    real_radii = kth_neighbour_radii(real_arr, k)
    fake_radii = kth_neighbour_radii(fake, k)
    dist = cdist(real_arr, fake)  # (n_r, n_s)
    inside_real = dist < real_radii[:, None]
    return PrdcResult(
        in_real=inside_real.any(axis=0),
        real_balls=inside_real.sum(axis=0) / float(k),
        in_synthetic=(dist < fake_radii[None, :]).any(axis=1),
        covered=dist.min(axis=1) < real_radii,
    )
