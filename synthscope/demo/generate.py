"""Generate shapes datasets with known attributes and planted biases, deterministically.

The "real" set has natural variety: colour, size, position, rotation and background are
drawn independently of the class. The synthetic set uses a slightly crisper, cleaner renderer and turns on
one :class:`Biases` knob per bias. What was planted is written to ``truth/<name>.json``
beside the dataset (not inside it, so ingest does not see it) for the scanner's tests.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypedDict

import numpy as np
import pandas as pd
from PIL import Image

from synthscope.demo.shapes import CLASSES, hsv_to_rgb255, max_extent, render
from synthscope.io import JSONObject, write_json, write_parquet
from synthscope.params import DemoParams

# The colour each class takes when colour is tied to class: red circles, blue squares, green triangles.
CLASS_HUES = {"circle": 0.0, "square": 240.0, "triangle": 120.0}
IMBALANCE = {"circle": 1.0, "square": 0.45, "triangle": 0.15}
LIMITED_CLASS = "triangle"
PLAIN_BG = (128, 128, 128)
MIN_CONTRAST = 90.0  # RGB distance between object and background, so the object is visible


@dataclass(frozen=True)
class Biases:
    """One knob per bias; all off is an unbiased generator."""

    color_shortcut: bool = False  # each class drawn in its own colour (CLASS_HUES)
    consistent_size: bool = False  # every object the same size
    plain_background: bool = False  # one flat grey background for every image
    centered: bool = False  # every object at the centre
    imbalance: bool = False  # class counts in IMBALANCE proportions
    near_duplicates: float = 0.0  # fraction of images that are near-copies of another
    limited_variety: bool = False  # LIMITED_CLASS drawn from 3 prototypes only
    memorize: float = 0.0  # fraction of images that are near-copies of real images
    real_color_shortcut: float = 0.0  # real side: fraction of real images in their class colour


# One preset per knob (the scanner's acceptance test loops over these) plus the copied case.
KNOB_PRESETS: dict[str, Biases] = {
    "color_shortcut": Biases(color_shortcut=True),
    "consistent_size": Biases(consistent_size=True),
    "plain_background": Biases(plain_background=True),
    "centered": Biases(centered=True),
    "imbalance": Biases(imbalance=True),
    "near_duplicates": Biases(near_duplicates=0.3),
    "limited_variety": Biases(limited_variety=True),
    "memorize": Biases(memorize=0.2),
    "copied_color_shortcut": Biases(color_shortcut=True, real_color_shortcut=0.9),
}
DEMO_BIASES = Biases(color_shortcut=True, plain_background=True, imbalance=True, near_duplicates=0.1, memorize=0.05)


class Planted(TypedDict):
    """One finding a correct scanner should report (``truth/<set>.json`` ``planted``)."""

    knob: str  # the Biases field that plants it
    check: str
    attribute: str | None
    classes: list[str] | None  # None: not tied to classes
    origin: str | None  # introduced | copied; None: either is correct
    primary: bool  # the bias itself (recall is measured on these), not a consequence of it


def planted(biases: Biases) -> list[Planted]:
    """The findings a correct scanner should report for ``biases``.

    ``primary`` items are the bias itself (recall is measured on them); the others are
    direct consequences a correct scanner may also report (they count as correct, not missed).
    """
    items: list[Planted] = []

    def add(knob: str, check: str, attribute: str | None, classes: list[str] | None, primary: bool = True,
            origin: str | None = "") -> None:
        """``origin=None``: either origin is correct for this item."""
        if origin == "":
            origin = "copied" if (knob == "color_shortcut" and biases.real_color_shortcut >= 0.5) else "introduced"
        items.append(Planted(knob=knob, check=check, attribute=attribute, classes=classes, origin=origin,
                             primary=primary))

    if biases.color_shortcut:
        add("color_shortcut", "shortcut", "color", list(CLASSES))
        add("color_shortcut", "consistency", "color", list(CLASSES), primary=False)
    if biases.consistent_size:
        add("consistent_size", "consistency", "size", None)
        # At one fixed area the bounding box reveals the shape. The real data shows a weaker
        # form of the same cue (triangles fill less of their box), so either origin is right.
        add("consistent_size", "shortcut", "size", None, primary=False, origin=None)
    if biases.plain_background:
        add("plain_background", "consistency", "background", None)
    if biases.centered:
        add("centered", "consistency", "location", None)
    if biases.imbalance:
        add("imbalance", "imbalance", None, [c for c, f in IMBALANCE.items() if f < 1.0])
    if biases.near_duplicates > 0:
        add("near_duplicates", "duplicates", None, None)
        # Copies shrink the nearest-neighbour distances the diversity check measures.
        add("near_duplicates", "diversity", None, None, primary=False)
        # Copies of one image share its size: the shortcut tree's cross-validation folds hold
        # the same object on both sides, so a size cue of a heavily copied class can read as a
        # shortcut (seen: triangle, J 0.79 at 30% copies). A consequence, not the bias itself.
        add("near_duplicates", "shortcut", "size", None, primary=False, origin=None)
    if biases.limited_variety:
        add("limited_variety", "diversity", None, [LIMITED_CLASS])
        for attribute in ("color", "size", "location", "background"):
            add("limited_variety", "consistency", attribute, [LIMITED_CLASS], primary=False)
            # Three prototypes make the class predictable from any of its attributes.
            add("limited_variety", "shortcut", attribute, [LIMITED_CLASS], primary=False,
                origin=None if attribute == "size" else "introduced")
        add("limited_variety", "duplicates", None, [LIMITED_CLASS], primary=False)
    if biases.memorize > 0:
        add("memorize", "memorization", None, None)
    # The drift check compares whole distributions with the real set, so it sees each planted
    # attribute bias too, and always the rendering style: "real" images are blurred and carry
    # sensor noise by design (quality), which the embeddings also tell apart.
    drift = {"plain_background": ["background"], "centered": ["location"], "consistent_size": ["size"],
             "color_shortcut": ["color"],
             "limited_variety": ["color", "size", "location", "background"]}
    for knob, attributes in drift.items():
        if getattr(biases, knob):
            for attribute in attributes:
                add(knob, "drift", attribute, None, primary=False, origin=None)
    add("style", "drift", "quality", None, primary=False, origin=None)
    add("style", "drift", None, None, primary=False, origin=None)
    return items


def _contrasting(rng: np.random.Generator, fixed_obj: tuple | None, fixed_bg: tuple | None,
                 obj_hue: float | None) -> tuple[tuple, tuple, float, float, float]:
    """Sample object and background colours at least MIN_CONTRAST apart."""
    for _ in range(200):
        hue = obj_hue if obj_hue is not None else rng.uniform(0, 360)
        sat, val = rng.uniform(0.6, 1.0), rng.uniform(0.6, 1.0)
        obj = fixed_obj or hsv_to_rgb255(hue, sat, val)
        bg = fixed_bg or hsv_to_rgb255(rng.uniform(0, 360), rng.uniform(0.0, 0.5), rng.uniform(0.15, 0.95))
        if math.dist(obj, bg) >= MIN_CONTRAST:
            return obj, bg, hue % 360.0, sat, val
    raise RuntimeError("could not find contrasting colours")  # unreachable with these ranges


def sample_latents(n_per_class: int, biases: Biases, rng: np.random.Generator, real: bool = False) -> pd.DataFrame:
    """One row per image: label and every attribute the renderer takes (and the truth)."""
    rows = []
    for label in CLASSES:
        count = max(2, int(round(n_per_class * (IMBALANCE[label] if biases.imbalance and not real else 1.0))))
        for _ in range(count):
            tied = (real and rng.random() < biases.real_color_shortcut) or (not real and biases.color_shortcut)
            hue = (CLASS_HUES[label] + rng.normal(0, 8.0)) if tied else None
            bg_fixed = PLAIN_BG if (biases.plain_background and not real) else None
            obj, bg, hue, sat, val = _contrasting(rng, None, bg_fixed, hue)
            area = 0.09 + rng.uniform(-0.003, 0.003) if (biases.consistent_size and not real) else rng.uniform(0.04, 0.16)
            margin = max_extent(area) + 0.03
            if biases.centered and not real:
                cx, cy = 0.5 + rng.uniform(-0.01, 0.01), 0.5 + rng.uniform(-0.01, 0.01)
            else:
                cx, cy = rng.uniform(margin, 1 - margin), rng.uniform(margin, 1 - margin)
            texture = 0.0 if bg_fixed else rng.uniform(8.0, 40.0)
            rows.append({"label": label, "obj_r": obj[0], "obj_g": obj[1], "obj_b": obj[2], "hue": hue,
                         "saturation": sat, "value": val, "area": area, "cx": cx, "cy": cy,
                         "rotation": rng.uniform(0, 360), "bg_r": bg[0], "bg_g": bg[1], "bg_b": bg[2],
                         "texture": texture, "texture_seed": int(rng.integers(2**31)), "source": "sampled",
                         "copied_from": ""})
    frame = pd.DataFrame(rows)
    if not real and biases.limited_variety:
        frame = _limit_variety(frame, rng)
    if not real and biases.near_duplicates > 0:
        frame = _near_duplicates(frame, biases.near_duplicates, rng)
    return frame


def _limit_variety(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Replace LIMITED_CLASS's attributes by 3 prototypes with tiny jitter."""
    idx = frame.index[frame["label"] == LIMITED_CLASS]
    prototypes = frame.loc[idx[:3]].copy()
    for i in idx[3:]:
        proto = prototypes.iloc[rng.integers(len(prototypes))]
        for col in frame.columns:
            frame.at[i, col] = proto[col]
        frame.at[i, "cx"] = proto["cx"] + rng.uniform(-0.01, 0.01)
        frame.at[i, "cy"] = proto["cy"] + rng.uniform(-0.01, 0.01)
        frame.at[i, "rotation"] = proto["rotation"] + rng.uniform(-3, 3)
        frame.at[i, "source"] = "prototype"
    return frame


def _near_duplicates(frame: pd.DataFrame, fraction: float, rng: np.random.Generator) -> pd.DataFrame:
    """Turn ``fraction`` of each class into near-copies (a 1% shift) of another image of it."""
    for _label, group in frame.groupby("label"):
        n_dup = int(round(fraction * len(group)))
        order = rng.permutation(group.index.to_numpy())
        sources, targets = order[: len(order) - n_dup], order[len(order) - n_dup:]
        for t in targets:
            s = sources[rng.integers(len(sources))]
            for col in frame.columns:
                frame.at[t, col] = frame.at[s, col]
            frame.at[t, "cx"] = frame.at[s, "cx"] + 0.01
            frame.at[t, "source"] = "near_duplicate"
            frame.at[t, "copied_from"] = f"#{s}"
    return frame


def truth_paths(dataset_dir: Path) -> tuple[Path, Path]:
    """(planted-biases JSON, per-image truth Parquet), beside the dataset, not inside it."""
    folder = Path(dataset_dir).parent / "truth"
    return folder / f"{Path(dataset_dir).name}.json", folder / f"{Path(dataset_dir).name}.parquet"


def read_truth(dataset_dir: Path) -> tuple[JSONObject, pd.DataFrame]:
    """The truth written by :func:`generate_dataset`: (info with ``planted``, per-image frame)."""
    json_path, parquet_path = truth_paths(dataset_dir)
    return json.loads(json_path.read_text()), pd.read_parquet(parquet_path)


def _png(rgb: np.ndarray) -> bytes:
    """Lossless PNG at zlib level 1: the demo's 64 px images encode about 3x faster than at the
    default level 6, for files about 10% larger (the demo's generation is part of ``make demo``)."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def generate_dataset(
    out_dir: Path, n_per_class: int, biases: Biases = Biases(), style: str = "synthetic", seed: int = 0,
    size: int = 64, real_dir: Path | None = None,
) -> pd.DataFrame:
    """Write an ImageFolder of PNGs and its truth; return the per-image truth frame.

    ``style="real"`` samples the natural (reference) distribution, using only the
    ``real_color_shortcut`` knob; ``memorize`` copies images of ``real_dir`` (same class)
    with faint noise. The same arguments always give byte-identical files.
    """
    final_dir = Path(out_dir)
    # Build beside the target and swap it in, so a re-run never leaves stale files behind.
    out_dir = final_dir.with_name(f".{final_dir.name}.partial")
    shutil.rmtree(out_dir, ignore_errors=True)
    rng = np.random.default_rng(seed)
    real = style == "real"
    truth = sample_latents(n_per_class, biases, rng, real=real)
    copies: dict[int, np.ndarray] = {}
    if biases.memorize > 0 and not real:
        if real_dir is None:
            raise ValueError("memorize needs real_dir, the real dataset to copy from")
        copies = _memorized(truth, Path(real_dir), biases.memorize, rng)
    paths = []
    counters: dict[str, int] = {}
    for i, row in truth.iterrows():
        k = counters[row["label"]] = counters.get(row["label"], -1) + 1
        rel = f"{row['label']}/{row['label']}_{k:04d}.png"
        if i in copies:
            rgb = copies[i]
        else:
            rgb = render(row["label"], (int(row["obj_r"]), int(row["obj_g"]), int(row["obj_b"])), row["area"],
                         row["cx"], row["cy"], row["rotation"], (int(row["bg_r"]), int(row["bg_g"]), int(row["bg_b"])),
                         row["texture"], size, style, rng, texture_seed=int(row["texture_seed"]))
        # a plain write: the whole folder is built beside the target and swapped in below
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / rel).write_bytes(_png(rgb))
        paths.append(rel)
    truth.insert(0, "path", paths)
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(final_dir, ignore_errors=True)
    os.replace(out_dir, final_dir)
    json_path, parquet_path = truth_paths(final_dir)
    write_parquet(parquet_path, truth)
    write_json(json_path, {"biases": asdict(biases), "planted": [] if real else planted(biases), "style": style,
                           "seed": seed, "size": size, "n_per_class": n_per_class,
                           "classes": {c: int((truth["label"] == c).sum()) for c in CLASSES}})
    return truth


def _memorized(truth: pd.DataFrame, real_dir: Path, fraction: float, rng: np.random.Generator) -> dict[int, np.ndarray]:
    """Replace ``fraction`` of each class by a real image of that class plus faint noise."""
    _info, real_truth = read_truth(real_dir)
    copies: dict[int, np.ndarray] = {}
    for label, group in truth.groupby("label"):
        pool = real_truth[real_truth["label"] == label]
        n_copy = int(round(fraction * len(group)))
        targets = rng.choice(group.index.to_numpy(), size=n_copy, replace=False)
        picks = rng.choice(len(pool), size=n_copy, replace=False)
        for t, p in zip(targets, picks, strict=True):
            src = pool.iloc[int(p)]
            rgb = np.asarray(Image.open(real_dir / src["path"]).convert("RGB"), dtype=np.float64)
            copies[int(t)] = np.rint(rgb + rng.normal(0, 1.5, size=rgb.shape)).clip(0, 255).astype(np.uint8)
            for col in truth.columns:
                if col in src.index and col not in ("source", "copied_from"):
                    truth.at[t, col] = src[col]
            truth.at[t, "source"], truth.at[t, "copied_from"] = "memorized", str(src["path"])
    return copies


def write_demo(out: Path, params: DemoParams, seed: int | None = None) -> dict[str, Path]:
    """The four demo datasets: real, a second real split, biased and unbiased synthetic."""
    out = Path(out)
    seed = params.seed if seed is None else seed
    n, size = params.n_per_class, params.image_size
    generate_dataset(out / "real", n, Biases(), "real", seed, size)
    generate_dataset(out / "real_b", n, Biases(), "real", seed + 1, size)
    generate_dataset(out / "synthetic", n, DEMO_BIASES, "synthetic", seed + 2, size, real_dir=out / "real")
    generate_dataset(out / "unbiased", n, Biases(), "synthetic", seed + 3, size)
    return {name: out / name for name in ("real", "real_b", "synthetic", "unbiased")}
