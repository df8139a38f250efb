"""Features-stage throughput vs its ceiling and vs pytorch-fid, on the same images in one run.

Prints images/s of
- the stage's extraction loop (``compute_shard``: decode, attributes, resize in DataLoader
  workers overlapped with the forward pass; rows written to a temporary store),
- a bare forward pass of the same network on pre-made input tensors (the ceiling), as torch
  runs it (one copy on all intra-op threads) and in lanes (one copy per thread on one
  intra-op thread each: what the stage runs for an extractor declared ``lanes``),
- pytorch-fid's own ``get_activations`` with its ``InceptionV3`` (inception-fid only),
and the ratios. Inception runs on random BN-calibrated weights placed in a temporary torch
hub cache, so pytorch-fid and synthscope load the same file (no network needed).

    python bench/features.py [--n 64] [--repeats 3] [--batch-size 32] [--workers 2] [--extractor NAME]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthscope.datasets.image import load_rgb  # noqa: E402
from synthscope.features.extract import compute_shard, load_model, spare_workers  # noqa: E402
from synthscope.features.extractors import EXTRACTORS, resolve_extractor  # noqa: E402
from synthscope.features.shards import Shard  # noqa: E402
from tests.fid_weights import place_in_hub  # noqa: E402
from tests.shapes import write_shapes  # noqa: E402


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--extractor", default="inception-fid", choices=EXTRACTORS.names())
    args = ap.parse_args()
    os.environ.setdefault("SYNTHSCOPE_PROGRESS", "0")
    tmp = Path(tempfile.mkdtemp(prefix="bench-features-"))
    os.environ["TORCH_HOME"] = str(tmp / "torch")
    if args.extractor == "inception-fid":
        place_in_hub(tmp / "torch")
    files = write_shapes(tmp / "images", args.n, seed=0)
    extractor = resolve_extractor(args.extractor, allow_download=False)
    spec = extractor.spec
    print(
        f"{args.n} images of 64x64, {spec.name} at {spec.input_size}px ({extractor.weights.label} weights), "
        f"batch {args.batch_size}, torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs"
    )

    ids = tuple(f"{i:064x}" for i in range(args.n))
    shard = Shard(0, ids, tuple(map(str, files)), True)
    workers = spare_workers(args.workers)  # what the stage's run() uses on this machine
    runs = iter(range(10**6))

    def stage(n_workers: int):  # a fresh store each time, so every row is computed
        return lambda: compute_shard(
            shard, extractor, str(tmp / f"s{next(runs)}"), args.batch_size, n_workers, 128
        )

    model = load_model(extractor)  # the stage's own cached model: built once, as in a run
    inputs = torch.stack(
        [spec.preprocess(torch.from_numpy(load_rgb(f).copy()).permute(2, 0, 1)) for f in files]
    )
    inputs = inputs.contiguous(memory_format=torch.channels_last)

    def bare() -> None:
        with torch.inference_mode():
            for start in range(0, args.n, args.batch_size):
                model(inputs[start : start + args.batch_size])

    def bare_lanes() -> None:  # the stage's own scheme: one network per thread, one intra-op thread each
        threads = torch.get_num_threads()
        torch.set_num_threads(1)

        def lane(k: int) -> None:
            with torch.inference_mode():
                for start in range(k * args.batch_size, args.n, threads * args.batch_size):
                    model(inputs[start : start + args.batch_size])

        try:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(lane, range(threads)))
        finally:
            torch.set_num_threads(threads)

    methods = {f"stage, {workers} workers": stage(workers)}
    if workers != args.workers:  # also show the requested worker count, for comparison
        methods[f"stage, {args.workers} workers"] = stage(args.workers)
    methods["bare forward"] = bare
    methods["bare forward, lanes"] = bare_lanes
    if args.extractor == "inception-fid":
        from pytorch_fid.fid_score import get_activations
        from pytorch_fid.inception import InceptionV3

        theirs = InceptionV3([3])
        paths = [str(f) for f in files]
        fid_workers = min(8, os.cpu_count() or 1)  # pytorch-fid's own CLI default
        methods["pytorch-fid"] = lambda: get_activations(
            paths, theirs, args.batch_size, num_workers=fid_workers
        )
    bare()  # warm-up (oneDNN primitives)
    # Interleaved repeats, best of each: the machine is shared, so the best run is the one
    # least disturbed by other processes.
    best = {name: float("inf") for name in methods}
    for _ in range(args.repeats):
        for name, fn in methods.items():
            best[name] = min(best[name], timed(fn))
    rates = {name: args.n / seconds for name, seconds in best.items()}
    for name, rate in rates.items():
        print(f"{name:>20}: {rate:7.2f} images/s (best of {args.repeats})")
    stage_rate = rates[f"stage, {workers} workers"]
    print(f"stage / bare forward: {stage_rate / rates['bare forward']:.3f}")
    print(f"stage / bare forward, lanes: {stage_rate / rates['bare forward, lanes']:.3f}"
          f" (the stage {'runs' if spec.lanes else 'does not run'} lanes for {spec.name})")
    if "pytorch-fid" in rates:
        print(f"stage / pytorch-fid:  {stage_rate / rates['pytorch-fid']:.3f}")


if __name__ == "__main__":
    main()
