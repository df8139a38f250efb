"""FID intervals on the same data: the old percentile bootstrap (rows resampled with replacement)
vs the score stage's subsampling interval and FID-inf (issue 12). Seconds on 2 cores.

    python bench/intervals.py
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from synthscope.metrics.fid_interval import fid_with_interval
from synthscope.metrics.frechet_distance import frechet_distance_from_features

CASES = {  # name: (n1, n2, D, mean shift per dimension); true FID = D * shift^2
    "same distribution 500 x 64 (true FID 0)": (500, 500, 64, 0.0),
    "mean shift, 300 vs 400 x 64 (true FID 5.76)": (300, 400, 64, 0.3),
}


def main(reps: int = 50) -> None:
    with threadpool_limits(1):  # many small products: one BLAS thread is faster on a busy box
        for name, (n1, n2, dim, shift) in CASES.items():
            g = np.random.default_rng(0)
            a, b = g.normal(size=(n1, dim)), g.normal(size=(n2, dim)) + shift
            rng = np.random.default_rng(0)
            boot = [
                frechet_distance_from_features(a[rng.integers(0, n1, n1)], b[rng.integers(0, n2, n2)])
                for _ in range(reps)
            ]
            res = fid_with_interval(a, b, reps, 0)
            print(
                f"{name}: FID {res.value:.3f}; old bootstrap CI [{np.percentile(boot, 2.5):.3f}, "
                f"{np.percentile(boot, 97.5):.3f}]; new CI [{res.ci95[0]:.3f}, {res.ci95[1]:.3f}], "
                f"FID-inf {res.fid_inf:.3f} (slope {res.slope:.1f})"
            )


if __name__ == "__main__":
    main()
