"""Images/s of the attribute pass before and after the photo-proof masks, and drift time.

    nice python bench/attributes.py [--n 10000] [--against OLD_MASK_PY]

``--against`` times the pass with another version of ``synthscope/features/mask.py`` (e.g.
``git show main:synthscope/features/mask.py > /tmp/mask_main.py``) against this one,
interleaved in this process (CPU time, 3 rounds), on 28-64 px and 96-640 px composites.

Before = the seed's mask rule (bench/masks.py ``old_mask``, on the 256 px copy, no
confidence, no noise column) inside today's ``image_attributes``; after = the shipped pass.
Both run in this process on the same composites (half flat backdrops, half photo
crops; 28, 32 and 64 px), so the ratio is what to read. Then the drift check on the
resulting 10,000 rows (half "synthetic", half "real") with 1280-d embeddings, and the
attribute pass on a few megapixel images on their own.
"""

from __future__ import annotations

import argparse
import time
from contextlib import contextmanager

import numpy as np
import pandas as pd

import synthscope.features.attributes as attributes
from bench.masks import old_mask
from synthscope.bias.base import ScanData
from synthscope.bias.drift import Drift
from synthscope.demo.composite import LARGE_SIZES, composite_set
from synthscope.features.mask import ObjectMask
from synthscope.neighbours import l2_normalise
from synthscope.params import ScanParams


@contextmanager
def seed_rule():
    """Swap in the seed's mask (on the MAX_SIDE copy) and no noise estimate, then restore."""
    saved = attributes.object_mask, attributes.WORK_SIDE, attributes.noise_sigma
    attributes.object_mask = lambda rgb: ObjectMask(old_mask(rgb), 1.0, 1.0, 1.0)
    attributes.WORK_SIDE = attributes.MAX_SIDE
    attributes.noise_sigma = lambda lum: 0.0
    try:
        yield
    finally:
        attributes.object_mask, attributes.WORK_SIDE, attributes.noise_sigma = saved


def rate(images: list[np.ndarray]) -> tuple[float, list[dict]]:
    """(images/s, attribute rows) of one pass over ``images``."""
    start = time.perf_counter()
    rows = [attributes.image_attributes(img) for img in images]
    return len(images) / (time.perf_counter() - start), rows


def against(path: str, n: int) -> None:
    """CPU time per image of the attribute pass with the mask module at ``path`` against this one."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("other_mask", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: not a Python file; pass a copy of synthscope/features/mask.py")
    other = importlib.util.module_from_spec(spec)
    sys.modules["other_mask"] = other
    spec.loader.exec_module(other)
    ours = attributes.object_mask

    def theirs(rgb: np.ndarray) -> ObjectMask:
        m = other.object_mask(rgb)
        return ObjectMask(m.mask, m.confidence, m.bg_score, m.fg_score, getattr(m, "filled", m.mask))

    for label, sizes in (("28-64 px", ((28, 28), (32, 32), (64, 64))),
                         ("96-640 px", ((96, 72), (128, 128), (300, 200), (640, 480)))):
        images = [c.rgb for c in composite_set(n, seed=0, sizes=sizes)]
        spent = {"other": 0.0, "this": 0.0}
        try:
            for _ in range(3):
                for name, fn in (("other", theirs), ("this", ours)):
                    attributes.object_mask = fn
                    start = time.process_time()
                    for img in images:
                        attributes.image_attributes(img)
                    spent[name] += time.process_time() - start
        finally:
            attributes.object_mask = ours
        per = {k: 1000 * v / 3 / len(images) for k, v in spent.items()}
        print(f"attribute pass, {len(images)} images of {label}: {path} {per['other']:.2f} ms/image, "
              f"this tree {per['this']:.2f} ms/image, ratio {per['this'] / per['other']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--against", help="another version of synthscope/features/mask.py to time against")
    args = parser.parse_args()
    if args.against:
        against(args.against, args.n)
        return
    start = time.perf_counter()
    items = composite_set(args.n, seed=0, sizes=((28, 28), (32, 32), (64, 64)))
    images = [c.rgb for c in items]
    print(f"generated {len(images)} composites in {time.perf_counter() - start:.1f} s")
    with seed_rule():
        before, _ = rate(images)
    after, rows = rate(images)
    print(f"attribute pass, {len(images)} images of 28-64 px: before {before:.0f} images/s, "
          f"after {after:.0f} images/s, ratio after/before {after / before:.2f}")

    frame = pd.DataFrame(rows)
    frame["label"] = [f"c{(i // 2) % 10}" for i in range(len(frame))]  # every class in both roles
    frame["role"] = np.where(np.arange(len(frame)) % 2 == 0, "synthetic", "real")
    syn, real = (frame[frame["role"] == r].reset_index(drop=True) for r in ("synthetic", "real"))
    rng = np.random.default_rng(0)
    data = ScanData(syn, real, l2_normalise(rng.normal(size=(len(syn), 1280))),
                    l2_normalise(rng.normal(size=(len(real), 1280))))
    start = time.perf_counter()
    scores = Drift().score(data, ScanParams())
    print(f"drift check on {len(syn)} + {len(real)} rows (7 groups x 11 subsets + embeddings): "
          f"{time.perf_counter() - start:.1f} s, {len(scores)} scores")

    large = [c.rgb for c in composite_set(6, seed=2, sizes=LARGE_SIZES)]
    with seed_rule():
        before, _ = rate(large)
    after, _ = rate(large)
    print(f"attribute pass, {len(large)} images of 1600x1200 and 2048x1536: before {before:.2f} images/s, "
          f"after {after:.2f} images/s, ratio {after / before:.2f}")


if __name__ == "__main__":
    main()
