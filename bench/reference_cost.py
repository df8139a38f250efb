"""Cost of the real-vs-real reference (``synthscope/metrics/reference.py``) and where it goes.

    python bench/reference_cost.py [--n 1000] [--dim 1280] [--splits 10]

Two seeded N x D embedding sets (random, shifted by 0.05). Prints the time of ``pool``,
``real_vs_real`` and ``permutation_test`` as the score stage calls them; then one split's
Frechet distance from the Gram matrix (an m x m eigensolve: ``tr sqrt(S1 S2)`` is the nuclear
norm of the centred cross-Gram, no D x D square root) on the machine's default BLAS threads
against one BLAS thread (the ratio, measured in this process), and its value against
``frechet_distance_from_features`` on the same rows (the independent reference).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from synthscope.metrics import reference as ref
from synthscope.metrics.frechet_distance import frechet_distance_from_features


def timed(fn, reps: int = 1):
    start = time.perf_counter()
    for _ in range(reps):
        out = fn()
    return out, (time.perf_counter() - start) / reps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="rows per side")
    ap.add_argument("--dim", type=int, default=1280)
    ap.add_argument("--splits", type=int, default=10)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    syn = rng.normal(size=(args.n, args.dim)).astype(np.float32)
    real = (rng.normal(size=(args.n, args.dim)) + 0.05).astype(np.float32)
    cap = 1000  # score.reference_max_per_side's default
    pooled, t_pool = timed(lambda: ref.pool(syn, real, min(args.n, 2 * cap), min(args.n, 2 * cap), 0))
    result, t_ref = timed(lambda: ref.real_vs_real(syn, real, args.splits, 0, pooled=pooled))
    _, t_test = timed(lambda: ref.permutation_test(pooled, 500, 0))
    m = result["n_per_side"]
    p, q = np.arange(m), np.arange(pooled.n_syn, pooled.n_syn + m)
    threads = max(i["num_threads"] for i in threadpool_info()) if threadpool_info() else 1
    fd_default, t_default = timed(lambda: ref.frechet_from_gram(pooled.gram, p, q), 3)
    with threadpool_limits(1):
        fd_one, t_one = timed(lambda: ref.frechet_from_gram(pooled.gram, p, q), 3)
    # the same rows as features: pool() draws its rows with this seed, in this order
    draw = np.random.default_rng(0)
    xs = syn[np.sort(draw.choice(args.n, min(args.n, 2 * cap), replace=False))][:m]
    ys = real[np.sort(draw.choice(args.n, min(args.n, 2 * cap), replace=False))][:m]
    fd_ref, t_fd = timed(lambda: frechet_distance_from_features(xs, ys))
    print(f"N = {args.n} per side, D = {args.dim}, m = {m} per part, {args.splits} splits")
    print(f"pool (Gram matrix) {t_pool:.2f} s; real_vs_real {t_ref:.2f} s; permutation_test (500) {t_test:.2f} s")
    print(f"one FD from the Gram matrix: {t_default * 1000:.0f} ms on {threads} BLAS threads, "
          f"{t_one * 1000:.0f} ms on one (ratio {t_default / t_one:.1f}x)")
    print(f"FD {fd_one:.6f} (Gram, one thread) {fd_default:.6f} (Gram, default) "
          f"{fd_ref:.6f} (frechet_distance_from_features, {t_fd * 1000:.0f} ms); "
          f"relative difference {abs(fd_one - fd_ref) / fd_ref:.1e}")


if __name__ == "__main__":
    main()
