"""synthscope monitor at full size: the acceptance numbers on the CIFAR-10 sample, and speed.

    python bench/monitor.py [--store-dir data/store] [--work DIR] [--skip-acceptance] [--skip-speed]

Acceptance (the shared CIFAR sample, 100 photos per class, mobilenet-v2 embeddings through the
pipeline's own ingest/features/store): each class in turn is the novel one; training = 80
photos of each of the other 9, incoming = their other 20 + the 100 photos of the novel class.
Prints per novel class the AUROC of novelty (novel vs known), the share of known images
uncovered, and the novel share of the largest uncovered cluster. Then: demo shapes and
composites against the 9-class training set (share uncovered), a darkened + blurred copy of
the held-out known images (drift severities and messages), and the held-out known images
alone (drift nothing above low; uncovered share inside the reference interval).

Speed: a 1,000-image batch against a 10,000-image training set, embeddings already at hand
(synthetic 1280-d embeddings and resampled CIFAR attributes: the k-NN, calibration,
clustering and drift do not care where the vectors came from). Prints the seconds of
``monitor_batch`` and its ratio to embedding the 1,000 images with mobilenet-v2, measured on
64 images in this process and scaled.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageEnhance, ImageFilter
from sklearn.metrics import roc_auc_score

from synthscope.config import load_params
from synthscope.demo.composite import composite_set
from synthscope.demo.generate import write_demo
from synthscope.monitor.batch import monitor_batch
from synthscope.params import DemoParams
from synthscope.stages.monitor import _side_config, prepare

CIFAR = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10-sample"
SETTINGS = {"features.extractor": "mobilenet-v2", "features.workers": 0, "ingest.workers": 0}


def embedded(folder: Path, work: Path, store: Path, params):
    attrs, emb = prepare(_side_config(folder.name, folder, None, work / f"out-{folder.name}", store, params), True)
    return attrs, emb.features


def write_composites(out: Path, n: int) -> Path:
    """``n`` composite photos (objects pasted on photo crops or studio backdrops, 28-128 px) as PNGs."""
    (out / "composite").mkdir(parents=True, exist_ok=True)
    for i, c in enumerate(composite_set(n, seed=0, sizes=((28, 28), (32, 32), (64, 64), (96, 72), (128, 128)))):
        Image.fromarray(c.rgb).save(out / "composite" / f"{i:03d}.png")
    return out


def degrade(src_files: list[str], out: Path) -> Path:
    """Darkened (x0.4 brightness) and blurred (Gaussian, radius 1.5) copies of ``src_files``."""
    (out / "degraded").mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(src_files):
        img = Image.open(f).convert("RGB")
        img = ImageEnhance.Brightness(img).enhance(0.4).filter(ImageFilter.GaussianBlur(1.5))
        img.save(out / "degraded" / f"{i:04d}.png")
    return out


def acceptance(work: Path, store: Path) -> None:
    params = load_params(None, SETTINGS)
    attrs, feats = embedded(CIFAR, work, store, params)
    labels = attrs["label"].astype(str).to_numpy()
    rank = attrs.groupby("label").cumcount().to_numpy()  # files in sorted order within each class
    aucs = []
    print("novel class   AUROC  known uncovered  novel uncovered  largest cluster (n, novel share)")
    for novel in sorted(set(labels)):
        train = np.flatnonzero((labels != novel) & (rank < 80))
        inc = np.flatnonzero((labels != novel) & (rank >= 80) | (labels == novel))
        r = monitor_batch(attrs.iloc[train].reset_index(drop=True), feats[train],
                          attrs.iloc[inc].reset_index(drop=True), feats[inc], params, novel, "bench")
        is_novel = labels[inc] == novel
        t = r.table
        auc = roc_auc_score(is_novel, t["novelty"])
        aucs.append(auc)
        big = t["cluster"].to_numpy() == 0
        print(f"{novel:12s} {auc:6.3f}  {t['uncovered'][~is_novel].mean():14.1%}  {t['uncovered'][is_novel].mean():14.1%}"
              f"  ({big.sum()}, {is_novel[big].mean() if big.any() else float('nan'):.0%})")
    print(f"AUROC mean {np.mean(aucs):.3f}, min {np.min(aucs):.3f}, max {np.max(aucs):.3f}")

    novel = "truck"  # the class held out for the remaining checks (last in sorted order)
    train = np.flatnonzero((labels != novel) & (rank < 80))
    held = np.flatnonzero((labels != novel) & (rank >= 80))
    tr_attrs, tr_feats = attrs.iloc[train].reset_index(drop=True), feats[train]
    demo = write_demo(work / "demo", DemoParams(n_per_class=20))
    for name, folder in (("demo shapes", demo["real"]), ("composites", write_composites(work / "composites", 60))):
        a, f = embedded(folder, work, store, params)
        r = monitor_batch(tr_attrs, tr_feats, a, f, params, name, "bench")
        print(f"{name}: {r.table['uncovered'].mean():.1%} of {len(a)} uncovered")
    dark = degrade(attrs["file"].iloc[held].tolist(), work / "degraded")
    a, f = embedded(dark, work, store, params)
    r = monitor_batch(tr_attrs, tr_feats, a, f, params, "degraded", "bench")
    print(f"darkened + blurred held-out ({len(a)}): uncovered {r.table['uncovered'].mean():.1%}; drift:")
    for d in r.document["drift"]:
        print(f"  {d['severity']:6s} {d['attribute']:10s} {d['message'][:160]}")
    r = monitor_batch(tr_attrs, tr_feats, attrs.iloc[held].reset_index(drop=True), feats[held], params, "null", "bench")
    doc = r.document
    print(f"training-distribution batch ({len(held)}): uncovered {doc['uncovered_share']['value']:.1%} "
          f"{doc['uncovered_share']['ci95']}, reference {doc['reference_share']['value']:.1%} {doc['reference_share']['ci95']}; "
          f"drift severities {sorted({d['severity'] for d in doc['drift']})}")


def speed(work: Path, store: Path, n_train: int = 10_000, n_inc: int = 1_000, dim: int = 1280) -> None:
    import torch

    from synthscope.features.extractors import resolve_extractor

    params = load_params(None, SETTINGS)
    attrs, _ = embedded(CIFAR, work, store, params)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(50, dim))
    def vectors(n: int) -> np.ndarray:
        return (centres[rng.integers(0, 50, n)] + 0.7 * rng.normal(size=(n, dim))).astype(np.float32)
    def frame(n: int, prefix: str) -> pd.DataFrame:
        f = attrs.iloc[rng.integers(0, len(attrs), n)].reset_index(drop=True).copy()
        f["file"] = [f"{prefix}/{i}.png" for i in range(n)]
        f["image_id"] = [f"{prefix}{i}" for i in range(n)]
        return f
    train, inc = frame(n_train, "t"), frame(n_inc, "i")
    tf, inf = vectors(n_train), vectors(n_inc)
    start = time.perf_counter()
    monitor_batch(train, tf, inc, inf, params, "speed", "bench")
    seconds = time.perf_counter() - start
    ext = resolve_extractor("mobilenet-v2", None)
    model = ext.model()
    batch = torch.rand(32, 3, 224, 224).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        model(batch)
        start = time.perf_counter()
        for _ in range(2):
            model(batch)
        per_image = (time.perf_counter() - start) / 64
    embed = per_image * n_inc
    print(f"monitor_batch: {n_inc} incoming vs {n_train} training ({dim}-d): {seconds:.1f} s; "
          f"embedding the {n_inc} images with mobilenet-v2 here: ~{embed:.0f} s; ratio {seconds / embed:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store-dir", type=Path, default=Path("data/store"))
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--skip-acceptance", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        if not args.skip_acceptance:
            acceptance(work, args.store_dir)
        if not args.skip_speed:
            speed(work, args.store_dir)


if __name__ == "__main__":
    main()
