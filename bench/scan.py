"""Time the bias scan on 10,000 synthetic + 10,000 real rows of stored features.

    python bench/scan.py [--n 10000] [--dim 1280]

Prints the time of each check and the total; the embeddings are random unit vectors
(the scan's cost does not depend on their values), the attributes hand-made frames.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from synthscope.bias import CHECKS, ScanData
from synthscope.neighbours import l2_normalise
from synthscope.params import ScanParams
from tests.bias_fakes import make_attributes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=1280)
    args = parser.parse_args()
    per_class = args.n // 3
    rng = np.random.default_rng(0)
    syn = make_attributes(per_class, seed=1, hue_by_class={"circle": 0.0})
    real = make_attributes(per_class, seed=2, role="real")
    data = ScanData(
        syn,
        real,
        l2_normalise(rng.normal(size=(len(syn), args.dim))),
        l2_normalise(rng.normal(size=(len(real), args.dim))),
    )
    params = ScanParams()
    total = 0.0
    for name, check in CHECKS:
        start = time.perf_counter()
        check().score(data, params)
        took = time.perf_counter() - start
        total += took
        print(f"{name:13s} {took:6.2f} s")
    print(f"total         {total:6.2f} s for {len(syn)} synthetic + {len(real)} real rows, dim {args.dim}")


if __name__ == "__main__":
    main()
