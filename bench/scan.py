"""Time the bias scan on 10,000 synthetic + 10,000 real rows of stored features.

    python bench/scan.py [--n 10000] [--dim 1280] [--copies 0.05]

Prints the time of each check and the total; the embeddings are random unit vectors
(the scan's cost does not depend on their values), the attributes hand-made frames.
``--copies`` of the synthetic rows are copies of real rows (embedding and dhash), so the
memorisation examples that bias.json lists (``bias.examples``) are timed on real work; their
time is printed as a ratio to the memorisation check's, measured in the same process.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from synthscope.bias import CHECKS, ScanData
from synthscope.bias.examples import memorised_examples
from synthscope.neighbours import l2_normalise
from synthscope.params import NEAR_COPY, ScanParams
from tests.bias_fakes import make_attributes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=1280)
    parser.add_argument("--copies", type=float, default=0.05)
    args = parser.parse_args()
    per_class = args.n // 3
    rng = np.random.default_rng(0)
    syn = make_attributes(per_class, seed=1, hue_by_class={"circle": 0.0})
    real = make_attributes(per_class, seed=2, role="real")
    syn_emb, real_emb = rng.normal(size=(len(syn), args.dim)), rng.normal(size=(len(real), args.dim))
    copied = rng.choice(len(syn), int(args.copies * len(syn)), replace=False)
    sources = rng.choice(len(real), len(copied), replace=False)
    syn_emb[copied] = real_emb[sources] + 0.01 * rng.normal(size=(len(copied), args.dim))
    syn.loc[copied, "dhash"] = real["dhash"].to_numpy()[sources]
    data = ScanData(syn, real, l2_normalise(syn_emb), l2_normalise(real_emb))
    params = ScanParams()
    total, seconds = 0.0, {}
    for name, check in CHECKS:
        start = time.perf_counter()
        check().score(data, params)
        seconds[name] = took = time.perf_counter() - start
        total += took
        print(f"{name:13s} {took:6.2f} s")
    print(f"total         {total:6.2f} s for {len(syn)} synthetic + {len(real)} real rows, dim {args.dim}")
    start = time.perf_counter()
    examples = memorised_examples(data, NEAR_COPY.memorization)
    took = time.perf_counter() - start
    print(f"memorised examples ({len(examples)} listed, {len(copied)} planted) {took:6.2f} s: "
          f"{took / seconds['memorization']:.2f}x the memorization check, {took / total:.2f}x the whole scan")


if __name__ == "__main__":
    main()
