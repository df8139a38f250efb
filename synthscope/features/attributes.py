"""Low-level attributes of one image, computed from its pixels (pure numpy, no paths).

The bias scan tests these for shortcuts: the colour, size, location and background of the
*object*, so everything starts from a foreground/background split
(:func:`synthscope.features.mask.object_mask`) and its ``mask_confidence``: object columns of
an image whose mask is not trusted are still stored, and the checks leave them out.
Quality columns (sharpness, contrast, noise, entropy, ...) go to the report and the drift check.

All colour values are in [0, 1]; hue is in degrees [0, 360) and also stored as (cos, sin)
because it is circular; sizes and positions are fractions of the image side, so they do not
depend on the resolution.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from synthscope.features.mask import WORK_SIDE, erode_cross, object_mask
from synthscope.schema import ATTRIBUTE_GROUPS, MASK_COLUMNS, QUALITY_COLUMNS

# Bump when any formula below changes: the feature store keys cached attributes on it.
ATTRIBUTES_VERSION = 3  # 2: backdrop-model masks with mask_confidence, noise column; 3: backdrop re-fit
# inside the frame, thin strokes kept, size and location from the filled object
# Attributes are computed on the image shrunk to at most this side: area, centroid and
# colours do not depend on the scale, and it bounds the cost of a 4000 px photo.
MAX_SIDE = 256

ATTRIBUTE_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [c for cols in ATTRIBUTE_GROUPS.values() for c in cols] + list(QUALITY_COLUMNS) + list(MASK_COLUMNS)
    )
)


def shrink(rgb: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """(H, W, 3) uint8 -> the same image with its longer side at most ``max_side`` (box filter)."""
    h, w = rgb.shape[:2]
    if max(h, w) <= max_side:
        return rgb
    scale = max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX))


def rgb_to_hsv(rgb01: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(..., 3) float in [0, 1] -> hue in degrees [0, 360), saturation, value (same shape[:-1])."""
    # contiguous channels and pairwise max/min: the same values as ``max(axis=-1)`` at a
    # fraction of its cost on (N, 3) arrays
    r, g, b = (np.ascontiguousarray(rgb01[..., i]) for i in range(3))
    v = np.maximum(np.maximum(r, g), b)
    c = v - np.minimum(np.minimum(r, g), b)
    safe = np.where(c > 0, c, 1.0)
    h = np.where(v == r, ((g - b) / safe) % 6.0, np.where(v == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    h = np.where(c > 0, h * 60.0, 0.0)
    s = np.where(v > 0, c / np.where(v > 0, v, 1.0), 0.0)
    return h, s, v


def noise_sigma(lum: np.ndarray) -> float:
    """Immerkaer (1996) fast noise estimate: sigma of additive Gaussian noise of an (H, W) image.

    The 3x3 mask is the difference of two Laplacians, so smooth image structure cancels and
    the mean absolute response measures the noise. Returned in the units of ``lum``; 0 below 3 px.
    """
    h, w = lum.shape
    if h < 3 or w < 3:
        return 0.0
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64)
    response = ndimage.convolve(lum.astype(np.float64), kernel)[1:-1, 1:-1]
    return float(np.sqrt(np.pi / 2.0) * np.abs(response).sum() / (6.0 * (w - 2) * (h - 2)))


def circular_hue(hue: np.ndarray, weight: np.ndarray) -> tuple[float, float, float]:
    """Weighted circular mean of hues in degrees -> (hue degrees, cos, sin).

    Weights are saturation x value so grey pixels, whose hue is meaningless, do not vote.
    (cos, sin) is the unit vector of the mean; with no coloured pixel it is (0, 0), hue 0.
    """
    rad = np.deg2rad(hue)
    x, y = float(np.sum(weight * np.cos(rad))), float(np.sum(weight * np.sin(rad)))
    norm = float(np.hypot(x, y))
    if norm <= 1e-12:
        return 0.0, 0.0, 0.0
    return float(np.rad2deg(np.arctan2(y, x)) % 360.0), x / norm, y / norm


def colorfulness(rgb01: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003) colourfulness of (K, 3) pixels in [0, 1] (0 for grey)."""
    rg = rgb01[:, 0] - rgb01[:, 1]
    yb = 0.5 * (rgb01[:, 0] + rgb01[:, 1]) - rgb01[:, 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def gray(rgb01: np.ndarray) -> np.ndarray:
    """(H, W, 3) in [0, 1] -> (H, W) ITU-R BT.601 luma, Pillow's "L" weights."""
    return rgb01 @ np.array([0.299, 0.587, 0.114], dtype=rgb01.dtype)


def dhash(rgb: np.ndarray) -> int:
    """64-bit difference hash (Krawetz): 9x8 grayscale thumbnail, bit = left < right.

    Returned as a signed int64 (the bit pattern of the unsigned hash) so Parquet stores it.
    Near-duplicates differ in few bits (Hamming distance).
    """
    thumb = np.asarray(
        Image.fromarray(rgb).convert("L").resize((9, 8), Image.Resampling.LANCZOS), dtype=np.int16
    )
    bits = (thumb[:, 1:] > thumb[:, :-1]).ravel()
    value = int(np.packbits(bits).view(">u8")[0])
    return value - (1 << 64) if value >= (1 << 63) else value


def _mask_stats(rgb01: np.ndarray, mask: np.ndarray, filled: np.ndarray | None = None) -> dict[str, float]:
    """Object colour from its own pixels (``mask``), size and location from the *filled* object
    (holes and the inside of a closed outline count; ``filled`` defaults to ``mask``), the
    background from the pixels that are not the object's (fallbacks when it is empty)."""
    filled = mask if filled is None else filled
    h, w = mask.shape
    out: dict[str, float] = {"fg_area": float(filled.mean())}
    if mask.any():
        ys, xs = np.nonzero(filled)
        x0, x1, y0, y1 = xs.min() / w, (xs.max() + 1) / w, ys.min() / h, (ys.max() + 1) / h
        cx, cy = (xs.mean() + 0.5) / w, (ys.mean() + 0.5) / h
        # The eroded mask avoids anti-aliased (or blurred) edge pixels that mix object and
        # background: two pixels in where the object is large enough, else one.
        once = erode_cross(mask)
        core = erode_cross(once)
        if core.sum() < 16:
            core = once
        obj = rgb01[core if core.sum() >= 4 else mask]
    else:  # nothing stands out: the whole image is "background", the object is undefined
        x0 = x1 = y0 = y1 = 0.0
        cx = cy = 0.5
        obj = rgb01.reshape(-1, 3)
    bg = rgb01[~mask] if (~mask).any() else rgb01.reshape(-1, 3)
    out.update(bbox_x0=x0, bbox_y0=y0, bbox_x1=x1, bbox_y1=y1, bbox_w=x1 - x0, bbox_h=y1 - y0)
    out.update(centroid_x=float(cx), centroid_y=float(cy))
    o_r, o_g, o_b = obj.mean(axis=0)
    oh, os_, ov = rgb_to_hsv(obj)
    hue, hc, hs = circular_hue(oh, os_ * ov)
    out.update(obj_r=o_r, obj_g=o_g, obj_b=o_b, obj_hue=hue, obj_hue_cos=hc, obj_hue_sin=hs)
    out.update(obj_saturation=float(os_.mean()), obj_value=float(ov.mean()))
    b_r, b_g, b_b = bg.mean(axis=0)
    # Clutter: spread of the background's luma; 0 on a flat backdrop, grows with texture.
    out.update(bg_r=b_r, bg_g=b_g, bg_b=b_b, bg_clutter=float(gray(bg).std()))
    return {k: float(v) for k, v in out.items()}


def image_attributes(rgb: np.ndarray) -> dict[str, float | int]:
    """(H, W, 3) uint8 image -> every column of ``ATTRIBUTE_COLUMNS`` plus ``dhash``.

    ``width``/``height``/``aspect`` describe the original image; the rest are computed on
    it shrunk to ``MAX_SIDE``. ``dhash`` is an int (see :func:`dhash`), the rest floats.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 image, got {rgb.shape} {rgb.dtype}")
    height, width = rgb.shape[:2]
    small = shrink(rgb)
    rgb01 = small.astype(np.float64) / 255.0
    pixels = rgb01.reshape(-1, 3)
    hue, sat, val = rgb_to_hsv(pixels)
    mean_hue, _, _ = circular_hue(hue, sat * val)
    lum = gray(rgb01)
    counts = np.bincount(np.clip(np.rint(lum * 255), 0, 255).astype(np.int64).ravel(), minlength=256)
    p = counts[counts > 0] / counts.sum()
    out = {
        "mean_r": float(pixels[:, 0].mean()),
        "mean_g": float(pixels[:, 1].mean()),
        "mean_b": float(pixels[:, 2].mean()),
        "hue": mean_hue,
        "saturation": float(sat.mean()),
        "value": float(val.mean()),
        "colorfulness": colorfulness(pixels),
        # Variance of the Laplacian: the standard focus measure (blur lowers it).
        "sharpness": float(ndimage.laplace(lum.astype(np.float64)).var()),
        "contrast": float(lum.std()),
        "entropy": float(-(p * np.log2(p)).sum()),
        "width": float(width),
        "height": float(height),
        "aspect": float(width / height),
    }
    # The mask and the object's statistics use the working resolution of the mask model.
    work = shrink(small, WORK_SIDE)
    found = object_mask(work)
    work01 = rgb01 if work is small else work.astype(np.float64) / 255.0
    out.update(_mask_stats(work01, found.mask, found.filled))
    out.update(mask_confidence=found.confidence, mask_bg_score=found.bg_score, mask_fg_score=found.fg_score)
    out["noise"] = noise_sigma(lum * 255.0)
    missing = set(ATTRIBUTE_COLUMNS) - set(out)
    if missing:  # a schema change without a formula here is a programming error
        raise RuntimeError(f"attribute columns without a formula: {sorted(missing)}")
    result: dict[str, float | int] = {c: out[c] for c in ATTRIBUTE_COLUMNS}
    result["dhash"] = dhash(rgb)
    return result
