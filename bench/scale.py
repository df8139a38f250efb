"""Feature metrics at 10k and 50k samples per side: time, peak memory, and the matmul lower bound.

Every case runs in its own child process (``python bench/scale.py --child METRIC N DIM``), so
its peak memory is that process's maximum resident set size (``os.wait4``'s rusage), imports
(about 1.1 GiB: torch) and the two feature sets included. The parent measures float64 and float32 matmul
throughput on this machine in the same run and prints, for the neighbour searches, the time of
the same number of flops in one large matmul (throughput measured in the child right before and
after the metric, averaged, because the machine is shared) and the ratio (the k-NN module computes in float64,
as the ``prdc`` package does, so the float64 bound is the like-for-like one).

    nice python bench/scale.py                       # 10k and 50k, 128-d and 1280-d (long)
    nice python bench/scale.py --sizes 10000 --dims 128 --reference

Metrics: ``knn`` (k-NN radii of one set: one N x N x D product + top-k), ``prdc`` (synthscope's
precision/recall/density/coverage: three such products; then, in the same process, the jackknife
interval from the stored neighbourhoods), ``fid``, ``kid`` (score-stage defaults: 100 subsets of
1,000), ``prdc_package`` (``prdc.compute_prdc``, only where its three N x N float32 matrices fit in
``--max-gb``), ``reference`` (``--reference``: PRDC from scikit-learn's
``pairwise_distances_chunked``, an independent exact implementation; prints the largest difference).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from rusage import wait_peak_gib  # bench/ is sys.path[0]: these files run as scripts

K = 5


def feature_sets(n: int, dim: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(synthetic, real) (n, dim) float64: correlated, non-negative (post-ReLU-like), shifted apart."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from metrics import feature_sets as correlated  # bench/metrics.py: the FID benchmark's sets

    return correlated(n, dim, seed)


def reference_prdc(fake: np.ndarray, real: np.ndarray, k: int, rows: int = 1000) -> dict[str, float]:
    """PRDC from scikit-learn's ``euclidean_distances`` in explicit 1,000-row chunks: a second,
    independent exact implementation. (``pairwise_distances_chunked`` was OOM-killed at 19 GB
    RSS at 50,000 x 128 on this machine, so the chunks are cut here.)"""
    from sklearn.metrics.pairwise import euclidean_distances

    def chunks(x: np.ndarray, y: np.ndarray):
        for start in range(0, len(x), rows):
            yield start, euclidean_distances(x[start : start + rows], y)

    def radii(x: np.ndarray) -> np.ndarray:
        out = np.empty(len(x))
        for start, c in chunks(x, x):
            c[np.arange(len(c)), np.arange(start, start + len(c))] = 0.0  # as sklearn does when X is Y
            out[start : start + len(c)] = np.partition(c, k, axis=1)[:, k]
        return out

    r_real, r_fake = radii(real), radii(fake)
    counts = np.zeros(len(fake), dtype=np.int64)
    covered, recalled = np.empty(len(real), dtype=bool), np.empty(len(real), dtype=bool)
    for start, c in chunks(real, fake):
        sl = slice(start, start + len(c))
        inside = c < r_real[sl, None]
        counts += inside.sum(axis=0)
        covered[sl] = c.min(axis=1) < r_real[sl]
        recalled[sl] = (c < r_fake[None, :]).any(axis=1)
    return {"precision": float((counts > 0).mean()), "recall": float(recalled.mean()),
            "density": float(counts.mean() / k), "coverage": float(covered.mean())}


def run_child(metric: str, n: int, dim: int) -> dict:
    """One measurement in this (fresh) process -> {"seconds", "values", "gflops"}.

    The matmul throughput is measured in the child just before and just after the metric and
    averaged: the machine is shared, and a bound measured minutes earlier under another load
    would make the ratio meaningless.
    """
    before = matmul_gflops(dim, np.float64)
    result = _measure_metric(metric, n, dim)
    result["gflops"] = (before + matmul_gflops(dim, np.float64)) / 2
    return result


def _measure_metric(metric: str, n: int, dim: int) -> dict:
    fake, real = feature_sets(n, dim)
    start = time.perf_counter()
    values: dict = {}
    if metric == "knn":
        from synthscope.neighbours import knn_radii

        values = {"median_radius": float(np.median(knn_radii(real, K)))}
    elif metric == "prdc":
        from synthscope.metrics.prdc import jackknife_intervals, neighbourhoods, prdc_of_subset

        nb = neighbourhoods(fake, real, K)
        values = prdc_of_subset(nb).values
        middle = time.perf_counter()
        intervals = jackknife_intervals(nb, 20, 0)  # from the stored neighbourhoods: no new distances
        end = time.perf_counter()
        values["cross_pairs"] = len(nb.rf[0]) + len(nb.fr[0])
        return {"seconds": middle - start, "values": values,
                "interval": {"seconds": end - middle, "values": intervals}}
    elif metric == "fid":
        from synthscope.metrics.frechet_distance import frechet_distance_from_features

        values = {"fid": frechet_distance_from_features(fake, real)}
    elif metric == "kid":
        from synthscope.metrics.kid import kernel_inception_distance

        values = {"kid": kernel_inception_distance(fake, real, 100, 1000, 3, 1.0, 0).mean}
    elif metric == "prdc_package":
        import contextlib
        import io

        from prdc import compute_prdc

        with contextlib.redirect_stdout(io.StringIO()):  # it prints the set sizes
            values = {k: float(v) for k, v in compute_prdc(real, fake, K).items()}
    elif metric == "reference":
        values = reference_prdc(fake.astype(np.float64), real.astype(np.float64), K)
    else:
        raise SystemExit(f"unknown metric {metric}")
    return {"seconds": time.perf_counter() - start, "values": values}


def measure(metric: str, n: int, dim: int) -> dict:
    """Run one case in a child process -> its result plus peak RSS in GiB."""
    env = {**os.environ, "SYNTHSCOPE_PROGRESS": "0"}
    proc = subprocess.Popen([sys.executable, __file__, "--child", metric, str(n), str(dim)],
                            stdout=subprocess.PIPE, env=env, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    peak_gib = wait_peak_gib(proc)
    if proc.returncode != 0:
        return {"seconds": float("nan"), "values": {}, "peak_gib": float("nan"), "gflops": float("nan"),
                "error": proc.returncode}
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_gib"] = peak_gib
    return result


def matmul_gflops(dim: int, dtype: type) -> float:
    """Best-of-3 throughput of one (1024, dim) @ (dim, 8192) product, GFLOP/s."""
    rng = np.random.default_rng(0)
    a, b = rng.random((1024, dim)).astype(dtype), rng.random((8192, dim)).astype(dtype)
    out = np.empty((1024, 8192), dtype=dtype)  # 64 MB: small next to every peak
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        np.matmul(a, b.T, out=out)
        best = min(best, time.perf_counter() - t)
    return 2 * 1024 * 8192 * dim / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=3, metavar=("METRIC", "N", "DIM"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[128, 1280])
    parser.add_argument("--max-gb", type=float, default=16.0, help="skip prdc_package above this estimate")
    parser.add_argument("--reference", action="store_true", help="also time the sklearn-chunked reference")
    parser.add_argument("--metrics", nargs="+", default=["knn", "prdc", "fid", "kid"],
                        help="which of knn prdc fid kid to time (prdc_package and reference are added as above)")
    args = parser.parse_args()
    if args.child:
        metric, n, dim = args.child
        print(json.dumps(run_child(metric, int(n), int(dim))))
        return
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    print("| N per side | D | metric | seconds | peak RSS GiB | matmul bound f64 s | ratio | values |")
    print("|---|---|---|---|---|---|---|---|", flush=True)
    for n in args.sizes:
        for dim in args.dims:
            gf64, gf32 = matmul_gflops(dim, np.float64), matmul_gflops(dim, np.float32)
            print(f"<!-- {n} x {dim}: matmul {gf64:.1f} GFLOP/s float64, {gf32:.1f} float32 (parent, at start) -->",
                  flush=True)
            metrics = list(args.metrics)
            if 3 * n * n * 4 / 2**30 <= args.max_gb:
                metrics.append("prdc_package")
            if args.reference:
                metrics.append("reference")
            for metric in metrics:
                products = {"knn": 1, "prdc": 3, "prdc_package": 3, "reference": 3}.get(metric, 0)
                res = measure(metric, n, dim)
                bound = products * 2.0 * n * n * dim / (res["gflops"] * 1e9)
                ratio = f"{res['seconds'] / bound:.2f}" if products else "-"
                shown = ", ".join(f"{k} {v if isinstance(v, float) else v}" for k, v in res["values"].items())
                print(f"| {n:,} | {dim} | {metric} | {res['seconds']:.1f} | {res['peak_gib']:.2f} | "
                      f"{bound:.1f} | {ratio} | {shown} |", flush=True)
                if "interval" in res:  # same process, so the same peak
                    iv = ", ".join(f"{k} [{lo:.4f}, {hi:.4f}]" for k, (lo, hi) in res["interval"]["values"].items())
                    print(f"| {n:,} | {dim} | prdc interval (jackknife) | {res['interval']['seconds']:.1f} | "
                          f"{res['peak_gib']:.2f} | - | - | {iv} |", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
