"""Is the default CAS classifier (a cross-validated linear probe on stored embeddings) as strong as the CNN?

Real->real accuracy, on the same CAS split, of the default (``score.cas_model: linear``) and of the
from-scratch CNN (``score.cas_model: cnn``, its flips/rotations decided from the real data as in an
audit), on two labelled sets:

- the shared CIFAR-10 sample (10 classes of photos);
- a many-class glyph set built here: 34 characters rendered in the DejaVu fonts at random sizes,
  positions, tilts and colours and composited onto CIFAR photos as backgrounds (the "real" set:
  shape is the label, the background is clutter). The same glyphs on plain backgrounds are the
  "synthetic" set, so CAS synthetic->real is printed too.

Embeddings are MobileNetV2's (official ImageNet weights), as the features stage computes them.

    python bench/cas_strength.py [--per-class 30] [--cifar ../shared/data/cifar10-sample]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthscope.datasets.image import load_rgb  # noqa: E402
from synthscope.documents import dump  # noqa: E402
from synthscope.features.extractors import resolve_extractor  # noqa: E402
from synthscope.metrics.cas import (  # noqa: E402
    CasSettings,
    LabelledSet,
    classification_accuracy_score,
)
from synthscope.metrics.fits import FitCache  # noqa: E402

GLYPHS = "23456789ABCDEFGHJKLMNPQRSTUVWXYZae"  # 34 classes (no 0/O, 1/I/l look-alikes)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SIZE = 64


def fonts() -> list[Path]:
    found = sorted(FONT_DIR.glob("DejaVu*.ttf"))
    found = [f for f in found if "ExtraLight" not in f.name and "Math" not in f.name]
    if not found:
        raise SystemExit(f"no DejaVu fonts under {FONT_DIR}; install fonts-dejavu-core")
    return found


def render(char: str, font: Path, rng: np.random.Generator, background: np.ndarray | None) -> np.ndarray:
    """One 64x64 glyph: random size, position, tilt (+-12 degrees) and colour; on a photo or a plain fill."""
    size = int(rng.integers(26, 44))
    face = ImageFont.truetype(str(font), size)
    layer = Image.new("L", (SIZE, SIZE), 0)
    draw = ImageDraw.Draw(layer)
    box = draw.textbbox((0, 0), char, font=face)
    w, h = box[2] - box[0], box[3] - box[1]
    x = int(rng.integers(0, max(1, SIZE - w))) - box[0]
    y = int(rng.integers(0, max(1, SIZE - h))) - box[1]
    draw.text((x, y), char, fill=255, font=face)
    layer = layer.rotate(float(rng.uniform(-12, 12)), resample=Image.Resampling.BILINEAR)
    if background is None:
        base = np.full((SIZE, SIZE, 3), rng.integers(0, 256, size=3), dtype=np.uint8)
    else:
        base = np.asarray(Image.fromarray(background).resize((SIZE, SIZE), Image.Resampling.BILINEAR))
    ink = np.where(base.mean() > 127, rng.integers(0, 60, size=3), rng.integers(196, 256, size=3))
    alpha = np.asarray(layer, dtype=np.float64)[..., None] / 255.0
    return np.rint(base * (1 - alpha) + ink * alpha).astype(np.uint8)


def glyph_sets(per_class: int, photos: list[np.ndarray], seed: int = 0) -> tuple[LabelledSet, LabelledSet]:
    """(synthetic: plain backgrounds, real: photo backgrounds), ``per_class`` images of each glyph."""
    rng = np.random.default_rng(seed)
    faces = fonts()
    out = {}
    for role in ("synthetic", "real"):
        images, labels = [], []
        for char in GLYPHS:
            for _ in range(per_class):
                photo = photos[int(rng.integers(len(photos)))] if role == "real" else None
                images.append(render(char, faces[int(rng.integers(len(faces)))], rng, photo))
                labels.append(char)
        ids = np.array([f"{role}-{i}" for i in range(len(images))])
        out[role] = LabelledSet(ids, np.array(labels), np.stack(images))
    return out["synthetic"], out["real"]


def cifar(folder: Path) -> LabelledSet:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    images = np.stack([np.asarray(Image.fromarray(load_rgb(f)).resize((SIZE, SIZE), Image.Resampling.BILINEAR))
                       for f in files])
    return LabelledSet(np.array([str(f) for f in files]), np.array([f.parent.name for f in files]), images)


def embed(images: np.ndarray, batch: int = 32) -> np.ndarray:
    """MobileNetV2 pooled features (N, 1280), as the features stage computes them."""
    extractor = resolve_extractor("mobilenet-v2", allow_download=False)
    spec, model = extractor.spec, extractor.model()
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch):
            x = torch.stack([spec.preprocess(torch.from_numpy(im.copy()).permute(2, 0, 1))
                             for im in images[start : start + batch]])
            out.append(model(x.contiguous(memory_format=torch.channels_last))[0].float().numpy())
    return np.concatenate(out)


def with_x(data: LabelledSet, x: np.ndarray) -> LabelledSet:
    return LabelledSet(data.ids, data.labels, x)


def compare(name: str, synthetic: LabelledSet, real: LabelledSet, orientation_invariant: bool | None) -> None:
    feats = {"synthetic": embed(synthetic.x), "real": embed(real.x)}
    rows = []
    for model in ("linear", "cnn"):
        start = time.perf_counter()
        settings = CasSettings(model=model, bootstrap_reps=1000, augmentation=False,
                               orientation_invariant=orientation_invariant)
        if model == "linear":
            syn, ref = with_x(synthetic, feats["synthetic"]), with_x(real, feats["real"])
        else:
            syn, ref = synthetic, real
        cas = dump(classification_accuracy_score(syn, ref, settings, FitCache())["cas"])
        rows.append((model, cas, time.perf_counter() - start))
    print(f"\n{name}: {len(real.ids)} real images, {len(set(real.labels.tolist()))} classes, "
          f"{cas['split']['n_test_real']} real test images")
    for model, cas, seconds in rows:
        r2r, c = cas["real_to_real"], cas["classifier"]
        how = (f"C={c['c']['c']:g} ({c['c']['method']})" if c["c"]
               else f"transforms {c['augmentation']['transforms']} ({c['augmentation']['validation']})")
        print(f"  {model:>6}: real->real {r2r['value']:.3f} [{r2r['ci95'][0]:.3f}, {r2r['ci95'][1]:.3f}]  "
              f"synthetic->real {cas['value']:.3f}  {seconds:6.1f} s  {how}")
    lin, cnn = rows[0][1]["real_to_real"]["value"], rows[1][1]["real_to_real"]["value"]
    print(f"  default (linear) real->real - cnn real->real: {lin - cnn:+.3f}  ({'ok' if lin >= cnn else 'WEAKER'})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class", type=int, default=30)
    ap.add_argument("--orientation", choices=("decide", "declared"), default="decide",
                    help="the CNN's flips/rotations: decided from the real data as in an audit (3 extra CNN "
                    "trainings per set), or declared (CIFAR: none, as for any set with an up; glyphs: none)")
    ap.add_argument("--cifar", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/cifar10-sample")
    args = ap.parse_args()
    os.environ.setdefault("SYNTHSCOPE_PROGRESS", "0")
    photos = cifar(args.cifar)
    print(f"torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs")
    # CIFAR: the real set against itself (synthetic = a copy of the first half; real->real is the number here)
    declared = None if args.orientation == "decide" else False
    half = photos.take(np.arange(0, len(photos.ids), 2))
    compare("CIFAR-10 sample", half, photos, declared)
    synthetic, real = glyph_sets(args.per_class, list(photos.x))
    compare(f"glyphs ({len(GLYPHS)} characters, photo backgrounds)", synthetic, real, declared)


if __name__ == "__main__":
    main()
