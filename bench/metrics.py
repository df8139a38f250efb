"""Our Fréchet distance vs pytorch-fid's ``calculate_frechet_distance`` on the same statistics.

Two seeded 10,000 x 2048 float32 feature sets (correlated, like pool3 features). Prints each
time, the values, their relative difference and the speed-up ratio. About a minute on 2 cores,
most of it pytorch-fid's ``scipy.linalg.sqrtm``.

    python bench/metrics.py [--n 10000] [--dim 2048]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from pytorch_fid.fid_score import calculate_frechet_distance

from synthscope.metrics.features_to_stats import features_to_stats
from synthscope.metrics.frechet_distance import frechet_distance, frechet_distance_from_features


def feature_sets(n: int, dim: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(dim, dim)).astype(np.float32) / np.sqrt(dim)
    a = np.abs(rng.normal(size=(n, dim)).astype(np.float32) @ mix)  # non-negative, like post-ReLU pool3
    b = np.abs((rng.normal(size=(n, dim)).astype(np.float32) + 0.1) @ mix)
    return a, b


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=2048)
    args = parser.parse_args()
    a, b = feature_sets(args.n, args.dim)

    t0 = time.perf_counter()
    s1, s2 = features_to_stats(a), features_to_stats(b)
    t_stats = time.perf_counter() - t0

    t0 = time.perf_counter()
    ours = frechet_distance(s1, s2)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    eigh = frechet_distance(s1, s2, "eigh")
    t_eigh = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = float(calculate_frechet_distance(s1.mu, s1.sigma, s2.mu, s2.sigma))
    t_ref = time.perf_counter() - t0

    small_a, small_b = a[:300], b[:400]
    t0 = time.perf_counter()
    small = frechet_distance_from_features(small_a, small_b)  # nuclear route
    t_small = time.perf_counter() - t0

    print(f"statistics ({args.n} x {args.dim}, float64, both sets): {t_stats:.2f} s")
    print(f"pytorch-fid calculate_frechet_distance: {ref:.9f} in {t_ref:.2f} s")
    print(f"synthscope frechet_distance (auto: cholesky): {ours:.9f} in {t_ours:.2f} s")
    print(f"synthscope frechet_distance (eigh route):     {eigh:.9f} in {t_eigh:.2f} s")
    print(
        f"relative difference to pytorch-fid: {abs(ours - ref) / ref:.2e} (cholesky), "
        f"{abs(eigh - ref) / ref:.2e} (eigh)"
    )
    print(f"300 vs 400 samples (nuclear route): {small:.6f} in {t_small:.3f} s")
    print(
        f"speed-up vs pytorch-fid (same statistics): {t_ref / t_ours:.1f}x (cholesky), "
        f"{t_ref / t_eigh:.1f}x (eigh)"
    )


if __name__ == "__main__":
    main()
