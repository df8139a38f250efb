"""Extra cost of the learning curves (metrics.json ``utility``) over the score stage without them.

Runs ``score_all`` (every registered metric, default params) on the same seeded inputs with
``score.curves`` off (the baseline) and on, interleaved, and prints each best-of-``--runs`` time
and their ratio, plus the curve entry alone. Inputs: ``--n`` synthetic and ``--n`` real rows of
``--dim``-d class-structured features (like stored embeddings) in ``--classes`` classes. CAS uses
the linear probe (``--cas-model linear``), the cheap baseline: with the default CNN CAS the score
stage takes minutes and the same curves are a smaller share of it.

    python bench/utility.py [--n 1000] [--dim 1280] [--classes 10] [--runs 2]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from synthscope.documents import ExtractorRef, dump
from synthscope.metrics.suite import METRICS, RoleData, ScoreInputs, score_all
from synthscope.params import ScoreParams

EXTRACTOR = ExtractorRef(name="mobilenet-v2", weights="official", sha256="00" * 32)


def role(n: int, dim: int, classes: int, seed: int, shift: float) -> RoleData:
    """Class means on a shared random basis plus noise: a probe needs hundreds of images to learn them."""
    rng = np.random.default_rng(seed)
    means = np.random.default_rng(123).normal(size=(classes, dim)) * 0.08
    y = np.arange(n) % classes
    x = np.abs(means[y] + rng.normal(size=(n, dim)) + shift).astype(np.float32)
    return RoleData(np.array([f"{seed}-{i}" for i in range(n)]), np.array([f"c{c}" for c in y]), x,
                    rng.normal(size=(n, 1000)).astype(np.float32))


def timed(inp: ScoreInputs) -> tuple[float, dict]:
    start = time.perf_counter()
    doc = dump(score_all(inp))
    return time.perf_counter() - start, doc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--dim", type=int, default=1280)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--cas-model", default="linear", choices=["linear", "cnn"])
    args = parser.parse_args()
    params = ScoreParams(cas_model=args.cas_model)
    base = ScoreInputs(synthetic=role(args.n, args.dim, args.classes, 1, 0.02),
                       real=role(args.n, args.dim, args.classes, 2, 0.0), extractor=EXTRACTOR,
                       params=replace(params, curves=False))
    with_curves = replace(base, params=replace(params, curves=True))
    off, on = [], []
    for _ in range(args.runs):  # interleaved: load changes on a shared machine hit both alike
        off.append(timed(base)[0])
        t, doc = timed(with_curves)
        on.append(t)
    start = time.perf_counter()
    METRICS.get("utility").compute(with_curves)
    alone = time.perf_counter() - start
    u = doc["utility"]
    print(f"inputs: {args.n} synthetic + {args.n} real rows, {args.dim}-d, {args.classes} classes; "
          f"CAS {args.cas_model}; curves: {len(u['curve'])} real sizes {[c['n_real'] for c in u['curve']]}, "
          f"{params.curve_repeats} repeats")
    print(f"score stage without curves: {min(off):.1f} s (runs {', '.join(f'{t:.1f}' for t in off)})")
    print(f"score stage with curves:    {min(on):.1f} s (runs {', '.join(f'{t:.1f}' for t in on)})")
    print(f"learning curves alone: {alone:.1f} s")
    print(f"ratio with / without curves: {min(on) / min(off):.2f}")
    print(f"real_equivalent: {u['real_equivalent']['text']} (95% CI {u['real_equivalent']['ci95']})")


if __name__ == "__main__":
    main()
