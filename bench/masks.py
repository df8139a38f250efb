"""Object masks on the composite photo set: the old threshold rule against the new model.

Prints, per backdrop (flat = uniform/noisy/vignetted studio backdrop, photo = cluttered
real-photo crop), the median |fg_area error| and median centroid error (fractions of the
side) of each method, and for the new one how its confidence separates good masks from
bad ones. Then the same per harder kind (lit backdrops, concave objects, cast shadows,
thin strokes: ``HARD_KINDS``), scored against the *filled* object, with the share of images
where no distinct object is found. Run: ``nice python bench/masks.py [N] [N_PER_KIND]``
(``N_PER_KIND`` 0 skips the old kinds' sections and runs only the harder kinds, with N of each).
"""

from __future__ import annotations

import sys
import time

import cv2  # opencv-python-headless (test extra): GrabCut, the measured alternative
import numpy as np
from scipy import ndimage

from synthscope.demo.composite import HARD_KINDS, LARGE_SIZES, composite_set, hard_set, truth
from synthscope.features.attributes import shrink
from synthscope.features.mask import WORK_SIDE, background_model, clean, object_mask


def old_mask(rgb: np.ndarray) -> np.ndarray:
    """The seed's rule (ATTRIBUTES_VERSION 1): border median + 1.5 x its 95th-percentile spread."""
    h, w = rgb.shape[:2]
    b = max(1, round(0.04 * min(h, w)))
    frame = np.ones((h, w), dtype=bool)
    frame[b : h - b, b : w - b] = False
    border = rgb[frame].astype(np.float32)
    bg = np.median(border, axis=0)
    spread = np.percentile(np.linalg.norm(border - bg, axis=1), 95)
    mask = np.linalg.norm(rgb.astype(np.float32) - bg, axis=2) > max(30.0, 1.5 * float(spread))
    if min(mask.shape) >= 16:
        mask = ndimage.binary_opening(mask, structure=np.ones((3, 3), dtype=bool))
    mask = ndimage.binary_fill_holes(mask)
    labels, n = ndimage.label(mask)
    if n > 1:
        mask = labels == (int(np.argmax(np.bincount(labels.ravel())[1:])) + 1)
    return mask


def grabcut(img: np.ndarray, seed: np.ndarray, dist: np.ndarray, threshold: float) -> np.ndarray:
    """Refine ``seed`` with GrabCut: far pixels are probable object, near ones probable backdrop,
    pixels within half the threshold of the backdrop surface definite backdrop."""
    gc = np.where(seed, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    gc[dist < 0.5 * threshold] = cv2.GC_BGD
    core = ndimage.binary_erosion(seed, iterations=2)
    gc[core] = cv2.GC_FGD
    if not (gc == cv2.GC_BGD).any() or not np.isin(gc, (cv2.GC_FGD, cv2.GC_PR_FGD)).any():
        return seed
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    u8 = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    cv2.grabCut(u8, gc, None, bgd, fgd, 2, cv2.GC_INIT_WITH_MASK)
    return np.isin(gc, (cv2.GC_FGD, cv2.GC_PR_FGD))


def grabcut_mask(rgb: np.ndarray) -> np.ndarray:
    """The new mask refined by GrabCut (2 iterations) on images of 16 px or more."""
    img = rgb.astype(np.float32)
    dist, threshold, _, _ = background_model(img)
    seed = clean(dist > threshold)[1]
    if not seed.any() or min(seed.shape) < 16:
        return seed
    return clean(grabcut(img, seed, dist, threshold))[1]


def errors(mask: np.ndarray, alpha_small: np.ndarray) -> tuple[float, float]:
    """(|area error|, max centroid error per axis) of a mask against the truth, fractions of the side."""
    t = truth(alpha_small)
    h, w = mask.shape
    if not mask.any():
        return abs(t["fg_area"]), max(abs(0.5 - t["centroid_x"]), abs(0.5 - t["centroid_y"]))
    ys, xs = np.nonzero(mask)
    cx, cy = (xs.mean() + 0.5) / w, (ys.mean() + 0.5) / h
    return abs(mask.mean() - t["fg_area"]), max(abs(cx - t["centroid_x"]), abs(cy - t["centroid_y"]))


METHODS = {
    "old (border median + spread)": lambda s: (old_mask(s), np.nan, np.nan),
    # size and location are read from the filled object (getattr: the bench also runs on older code)
    "dominant cluster + surface (used)": lambda s: (lambda m: (getattr(m, "filled", m.mask), m.confidence,
                                                                m.fg_score))(object_mask(s)),
    "dominant cluster + surface + grabCut": lambda s: (grabcut_mask(s), np.nan, np.nan),
}


def evaluate(items: list, methods: tuple[str, ...] = tuple(METHODS)) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {}
    smalls = [(shrink(c.rgb, WORK_SIDE), c) for c in items]
    for name in methods:
        rows, started = [], time.perf_counter()
        for small, c in smalls:
            mask, conf, fg = METHODS[name](small)
            a_small = shrink_alpha(c.truth_alpha, mask.shape)
            rows.append((*errors(mask, a_small), conf, fg, not mask.any()))
        arr = np.array(rows, dtype=float)
        out[name] = {"area": arr[:, 0], "centroid": arr[:, 1], "conf": arr[:, 2], "fg": arr[:, 3],
                     "empty": arr[:, 4], "ms": 1000 * (time.perf_counter() - started) / len(items)}
    return out


def shrink_alpha(alpha: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    if alpha.shape == shape:
        return alpha
    return np.asarray(Image.fromarray(alpha).resize((shape[1], shape[0]), Image.Resampling.BOX))


def report(title: str, res: dict) -> None:
    print(f"\n{title}")
    for name, r in res.items():
        print(f"  {name:40s} median |area err| {np.median(r['area']):.3f}  median centroid err "
              f"{np.median(r['centroid']):.3f}  ({r['ms']:.1f} ms/image at <= {WORK_SIDE} px)")


def separation(r: dict, cut: float = 0.5) -> None:
    good = (r["area"] <= 0.05) & (r["centroid"] <= 0.05)
    conf = r["conf"]
    from sklearn.metrics import roc_auc_score

    auc = roc_auc_score(good, conf) if 0 < good.sum() < len(good) else float("nan")
    hi, lo = conf >= cut, conf < cut
    print(f"  confidence >= {cut}: {hi.sum()} images, median |area err| {np.median(r['area'][hi]) if hi.any() else np.nan:.3f}"
          f", centroid {np.median(r['centroid'][hi]) if hi.any() else np.nan:.3f}; < {cut}: {lo.sum()} images, "
          f"median |area err| {np.median(r['area'][lo]) if lo.any() else np.nan:.3f}, centroid "
          f"{np.median(r['centroid'][lo]) if lo.any() else np.nan:.3f}; AUC(confidence -> good mask) {auc:.3f}")


def hard_kinds(n: int) -> None:
    """Per harder kind: median errors against the filled object, and 'no distinct object'."""
    used = "dominant cluster + surface (used)"
    print(f"\nharder kinds, {n} images each; truth = the filled object; 'no object' = fg_score 0 (empty or faint)")
    for i, kind in enumerate(HARD_KINDS):
        res = evaluate(hard_set(kind, n, seed=100 + i), ("old (border median + spread)", used))
        for name, r in res.items():
            extra = (f"  no object {np.mean(r['fg'] == 0):.1%} (empty {np.mean(r['empty'] > 0):.1%}), "
                     f"median confidence {np.median(r['conf']):.2f}") if name == used else ""
            print(f"  {kind:12s} {name:34s} median |area err| {np.median(r['area']):.3f}  median centroid err "
                  f"{np.median(r['centroid']):.3f}{extra}  ({r['ms']:.1f} ms/image)")


def main(n: int = 200, per_kind: int = 100) -> None:
    if per_kind == 0:
        hard_kinds(n)
        return
    for backdrop in ("flat", "photo"):
        for edge in (False, True):
            items = [c for c in composite_set(2 * n, seed=1, backdrops=(backdrop,)) if c.crosses_edge == edge]
            res = evaluate(items)
            report(f"{backdrop} backdrop, {'crossing the edge' if edge else 'inside the frame'}: {len(items)} images", res)
            separation(res["dominant cluster + surface (used)"])
    large = composite_set(8, seed=2, sizes=LARGE_SIZES)
    report("megapixel composites (1600x1200, 2048x1536), both backdrops: 8 images", evaluate(large))
    hard_kinds(per_kind)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
