"""What each score-stage metric costs, in CPU seconds of this process (robust to a shared machine).

Seeded 10-class features shaped like MobileNetV2's (N x 1280, non-negative), N synthetic + N real,
default ``ScoreParams``; each registered metric runs alone and prints its wall and CPU seconds
(``time.process_time``: every thread of this process).

    python bench/score_cost.py [--n 500] [--dim 1280]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthscope.documents import ExtractorRef  # noqa: E402
from synthscope.metrics.suite import METRICS, RoleData, ScoreInputs, score_all  # noqa: E402
from synthscope.params import ScoreParams  # noqa: E402


def role(n: int, dim: int, seed: int, shift: float = 0.0) -> RoleData:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 10
    centres = np.random.default_rng(9).normal(size=(10, dim)) * 0.3
    features = np.maximum(centres[y] + rng.normal(size=(n, dim)) + shift, 0).astype(np.float32)
    return RoleData(ids=np.array([f"{seed}-{i}" for i in range(n)]), labels=np.array([f"c{c}" for c in y]),
                    features=features, logits=rng.normal(size=(n, 1000)).astype(np.float32),
                    dhash=rng.integers(-(2**62), 2**62, size=n, dtype=np.int64))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--dim", type=int, default=1280)
    args = ap.parse_args()
    inp = ScoreInputs(synthetic=role(args.n, args.dim, 1, 0.05), real=role(args.n, args.dim, 2),
                      extractor=ExtractorRef(name="mobilenet-v2", weights="official", sha256="x"), params=ScoreParams())
    print(f"{args.n} + {args.n} rows x {args.dim}, default score params")
    for name in METRICS.names():
        wall, cpu = time.perf_counter(), time.process_time()
        score_all(inp, only=(name,))
        print(f"{name:>16}: {time.perf_counter() - wall:7.1f} s wall, {time.process_time() - cpu:6.1f} s CPU", flush=True)


if __name__ == "__main__":
    main()
