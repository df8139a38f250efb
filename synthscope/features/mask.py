"""The object mask of one image and how far to trust it (pure numpy, no paths).

Photos break the simple "far from the border's median colour" rule: an arm crossing the
frame inflates the border's spread, vignetting darkens the corners, a cluttered scene has
no backdrop at all. So the background is modelled from the *dominant colour cluster* of
the border frame only (k-means), as a smooth quadratic surface over the image (which
absorbs vignetting and lighting gradients), with its own noise level; pixels far from that
surface are the object. Refining that split with OpenCV's GrabCut was measured in
bench/masks.py (no gain on studio backdrops, about 0.01 of area on cluttered ones, at 2-3x
the cost), so it is not used.

The mask comes with a confidence in [0, 1], the product of two scores that also say *why*
a mask is not trusted: ``bg_score`` (how much of the border the backdrop model explains;
low on cluttered backgrounds) and ``fg_score`` (whether a distinct object of plausible size
stands out; low when nothing differs from the backdrop or the "object" fills the frame,
as in a CIFAR photo).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

# Masks are computed on the image shrunk to at most this side: the cost stays bounded on
# megapixel photos and area/centroid are fractions of the side anyway.
WORK_SIDE = 128
BORDER_FRACTION = 0.04  # width of the border frame, fraction of the shorter side
KMEANS_K = 3
KMEANS_ITERATIONS = 8
# Threshold on the distance (RGB 0-255) to the background surface: NOISE_FACTOR x the
# backdrop's median residual, never below MIN_DISTANCE (JPEG and sensor noise).
MIN_DISTANCE = 30.0
NOISE_FACTOR = 4.0
# Median backdrop residual (RGB units) from which the backdrop counts as textured (score 1 -> 0):
# sensor noise of sigma 8 gives about 12 (tuned on the composite set: bench/masks.py).
NOISY_BACKDROP = (12.0, 28.0)


@dataclass(frozen=True)
class ObjectMask:
    """``mask`` (h, w) bool at the working resolution; scores in [0, 1]."""

    mask: np.ndarray
    confidence: float
    bg_score: float  # the backdrop model explains the border (0: cluttered background)
    fg_score: float  # a distinct object of plausible size stands out (0: none, or it fills the frame)


def border_frame(h: int, w: int) -> np.ndarray:
    """(h, w) bool, True on a frame about ``BORDER_FRACTION`` of the shorter side wide (>= 1 px)."""
    b = max(1, round(BORDER_FRACTION * min(h, w)))
    frame = np.ones((h, w), dtype=bool)
    frame[b : h - b, b : w - b] = False
    return frame


def kmeans_labels(pixels: np.ndarray, k: int = KMEANS_K) -> np.ndarray:
    """Deterministic k-means of (N, 3) float pixels -> (N,) labels (init at luma quantiles)."""
    luma = pixels @ np.array([0.299, 0.587, 0.114], dtype=pixels.dtype)
    order = np.argsort(luma, kind="stable")
    centres = pixels[order[((np.arange(k) + 0.5) / k * len(pixels)).astype(int)]].copy()
    labels = np.zeros(len(pixels), dtype=np.int64)
    for _ in range(KMEANS_ITERATIONS):
        d = ((pixels[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        labels = d.argmin(axis=1)
        for j in range(k):
            if np.any(labels == j):
                centres[j] = pixels[labels == j].mean(axis=0)
    return labels


def design(ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Quadratic surface basis (N, 6) of normalised coordinates in [-1, 1]."""
    return np.stack([np.ones_like(xs), xs, ys, xs * xs, ys * ys, xs * ys], axis=-1)


def fit_surface(pixels: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Least-squares (6, 3) coefficients of a per-channel quadratic surface through ``pixels``."""
    coef, *_ = np.linalg.lstsq(basis, pixels, rcond=None)
    return coef


def background_model(img: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """(h, w, 3) float32 -> (residual distance map (h, w), threshold, share of border explained,
    backdrop noise: the median residual of the pixels it explains, RGB 0-255 units).

    Fit on the dominant border cluster, then once more on every border pixel the first fit
    explains, so a backdrop that k-means split in two (vignetting) is taken whole.
    """
    h, w = img.shape[:2]
    frame = border_frame(h, w)
    ys, xs = np.nonzero(frame)
    yn, xn = (ys / max(h - 1, 1)) * 2 - 1, (xs / max(w - 1, 1)) * 2 - 1
    px = img[frame]
    labels = kmeans_labels(px)
    members = labels == np.bincount(labels).argmax()
    basis = design(yn.astype(np.float32), xn.astype(np.float32))
    threshold = MIN_DISTANCE
    for _ in range(2):
        if members.sum() < 12:  # too few pixels for a surface: a flat colour
            coef = np.zeros((6, 3), dtype=np.float32)
            coef[0] = px[members].mean(axis=0) if members.any() else px.mean(axis=0)
        else:
            coef = fit_surface(px[members], basis[members])
        resid = np.linalg.norm(px - basis @ coef, axis=1)
        noise = float(np.median(resid[members])) if members.any() else float(np.median(resid))
        threshold = max(MIN_DISTANCE, NOISE_FACTOR * noise)
        members = resid < threshold
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    grid = design((gy / max(h - 1, 1)) * 2 - 1, (gx / max(w - 1, 1)) * 2 - 1)
    surface = (grid.reshape(-1, 6) @ coef).reshape(h, w, 3)
    return np.linalg.norm(img - surface, axis=2), threshold, float(members.mean()), noise


def largest_component(mask: np.ndarray) -> np.ndarray:
    """Keep the largest 8-connected component of a bool mask (the most salient blob)."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n <= 1:
        return mask
    return labels == (int(np.argmax(np.bincount(labels.ravel())[1:])) + 1)


def clean(mask: np.ndarray) -> np.ndarray:
    """Remove specks (opening on images of 16 px or more), fill holes, keep the largest blob."""
    if min(mask.shape) >= 16:
        mask = ndimage.binary_opening(mask, structure=np.ones((3, 3), dtype=bool))
    return largest_component(ndimage.binary_fill_holes(mask))


def ramp(x: float, lo: float, hi: float) -> float:
    """0 at or below ``lo``, 1 at or above ``hi``, linear between."""
    return float(np.clip((x - lo) / (hi - lo), 0.0, 1.0))


def foreground_score(mask: np.ndarray, dist: np.ndarray, threshold: float) -> float:
    """How plausibly ``mask`` is one distinct object: contrast, area and how much border it covers.

    Zero for an empty mask, for one covering most of the image or most of the border (an
    object that fills the frame, where no backdrop is seen), and for a faint blob.
    """
    area = float(mask.mean())
    if area == 0.0:
        return 0.0
    contrast = float(np.median(dist[mask])) / threshold  # > 1 by construction of the seed
    on_border = float(mask[border_frame(*mask.shape)].mean())
    return (
        ramp(contrast, 1.2, 2.5)
        * ramp(area, 0.0, 0.01)
        * (1.0 - ramp(area, 0.6, 0.85))
        * (1.0 - ramp(on_border, 0.3, 0.6))
    )


def object_mask(rgb: np.ndarray) -> ObjectMask:
    """(H, W, 3) uint8 (already at working resolution, see ``WORK_SIDE``) -> :class:`ObjectMask`."""
    img = rgb.astype(np.float32)
    dist, threshold, explained, noise = background_model(img)
    mask = clean(dist > threshold)
    # a backdrop explains the border, and is smooth: texture left after the surface fit is clutter
    bg = ramp(explained, 0.5, 0.8) * (1.0 - ramp(noise, NOISY_BACKDROP[0], NOISY_BACKDROP[1]))
    fg = foreground_score(mask, dist, threshold)
    return ObjectMask(mask, bg * fg, bg, fg)


def image_object_mask(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 at any size -> (H, W) bool object mask, for code that edits pixels (debias).

    Computed at the working resolution (``WORK_SIDE``) and scaled back with nearest-neighbour.
    """
    from PIL import Image

    h, w = rgb.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    small = rgb if scale == 1.0 else np.asarray(
        Image.fromarray(rgb).resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BOX)
    )
    mask = object_mask(small).mask
    if mask.shape == (h, w):
        return mask
    return np.asarray(Image.fromarray(mask).resize((w, h), Image.Resampling.NEAREST), dtype=bool)
