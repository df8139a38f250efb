"""Features-stage throughput vs its ceiling and vs pytorch-fid, on the same images in one run.

Prints images/s of
- the stage's extraction loop (``compute_shard``: decode, attributes, resize in DataLoader
  workers overlapped with the forward pass; rows written to a temporary store),
- a bare forward pass of the same network on pre-made input tensors (the ceiling),
- pytorch-fid's own ``get_activations`` with its ``InceptionV3`` (inception-fid only),
and the ratios. Inception runs on random BN-calibrated weights placed in a temporary torch
hub cache, so pytorch-fid and synthscope load the same file (no network needed).

    python bench/features.py [--n 96] [--batch-size 32] [--workers 2] [--extractor inception-fid]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthscope.features.extractors import EXTRACTORS, resolve_extractor  # noqa: E402
from synthscope.stages.features import Shard, compute_shard, spare_workers  # noqa: E402
from tests.fid_weights import place_in_hub  # noqa: E402
from tests.shapes import write_shapes  # noqa: E402


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=96)
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
    warm = Shard(0, ids[: args.batch_size], shard.paths[: args.batch_size], True)
    compute_shard(warm, extractor, str(tmp / "warm"), args.batch_size, 0, 128)  # model load + warm-up
    workers = spare_workers(args.workers)  # what the stage's run() uses on this machine
    stage_s = timed(
        lambda: compute_shard(shard, extractor, str(tmp / "store"), args.batch_size, workers, 128)
    )
    forced = {}
    if workers != args.workers:  # also show the requested worker count, for comparison
        forced_s = timed(
            lambda: compute_shard(shard, extractor, str(tmp / "forced"), args.batch_size, args.workers, 128)
        )
        forced[f"stage, {args.workers} workers"] = args.n / forced_s

    model = extractor.model()
    from synthscope.datasets.image import load_rgb

    inputs = torch.stack(
        [spec.preprocess(torch.from_numpy(load_rgb(f).copy()).permute(2, 0, 1)) for f in files]
    )
    inputs = inputs.contiguous(memory_format=torch.channels_last)

    def bare() -> None:
        with torch.inference_mode():
            for start in range(0, args.n, args.batch_size):
                model(inputs[start : start + args.batch_size])

    bare()  # warm-up
    bare_s = timed(bare)
    rates = {f"stage, {workers} workers": args.n / stage_s, **forced, "bare forward": args.n / bare_s}
    if args.extractor == "inception-fid":
        from pytorch_fid.fid_score import get_activations
        from pytorch_fid.inception import InceptionV3

        theirs = InceptionV3([3])
        paths = [str(f) for f in files]
        fid_s = timed(lambda: get_activations(paths, theirs, args.batch_size, num_workers=args.workers))
        rates["pytorch-fid"] = args.n / fid_s
    stage_rate = args.n / stage_s
    for name, rate in rates.items():
        print(f"{name:>20}: {rate:7.2f} images/s")
    print(f"stage / bare forward: {stage_rate / rates['bare forward']:.3f}")
    if "pytorch-fid" in rates:
        print(f"stage / pytorch-fid:  {stage_rate / rates['pytorch-fid']:.3f}")


if __name__ == "__main__":
    main()
