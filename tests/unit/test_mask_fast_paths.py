"""The mask's hand-written fast paths give exactly what the library calls they replace do.

Stored attributes must not change when a formula is only made faster (``ATTRIBUTES_VERSION``
stays), so each fast path is compared bit for bit with the form it replaced.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synthscope.features.attributes import rgb_to_hsv
from synthscope.features.mask import (
    KMEANS_ITERATIONS,
    dilate_square,
    erode_cross,
    erode_square,
    fill_holes,
    kmeans_labels,
)

SQUARE = np.ones((3, 3), dtype=bool)


def test_binary_morphology_by_slicing_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    for _ in range(400):
        h, w = (int(v) for v in rng.integers(1, 24, 2))
        mask = rng.random((h, w)) < rng.random()
        assert np.array_equal(erode_cross(mask), ndimage.binary_erosion(mask))
        assert np.array_equal(erode_cross(erode_cross(mask)), ndimage.binary_erosion(mask, iterations=2))
        assert np.array_equal(erode_square(mask), ndimage.binary_erosion(mask, structure=SQUARE))
        assert np.array_equal(dilate_square(mask), ndimage.binary_dilation(mask, structure=SQUARE))
        assert np.array_equal(dilate_square(erode_square(mask)), ndimage.binary_opening(mask, structure=SQUARE))
        assert np.array_equal(erode_square(dilate_square(mask)), ndimage.binary_closing(mask, structure=SQUARE))
        assert np.array_equal(fill_holes(mask), ndimage.binary_fill_holes(mask))
    ring = np.zeros((9, 9), dtype=bool)
    ring[2:7, 2:7], ring[3:6, 3:6] = True, False
    assert fill_holes(ring).sum() == 25 and ndimage.binary_fill_holes(ring).sum() == 25


def reference_kmeans(pixels: np.ndarray, k: int = 3) -> np.ndarray:
    """The per-channel k-means the fast one replaced (all iterations, no early stop)."""
    luma = pixels @ np.array([0.299, 0.587, 0.114], dtype=pixels.dtype)
    order = np.argsort(luma, kind="stable")
    centres = pixels[order[((np.arange(k) + 0.5) / k * len(pixels)).astype(int)]].copy()
    labels = np.zeros(len(pixels), dtype=np.int64)
    channels = [pixels[:, c].astype(np.float64) for c in range(pixels.shape[1])]
    for _ in range(KMEANS_ITERATIONS):
        d = np.stack([sum((ch - centres[j, c]) ** 2 for c, ch in enumerate(channels)) for j in range(k)], axis=1)
        labels = d.argmin(axis=1)
        counts = np.bincount(labels, minlength=k)
        for c, ch in enumerate(channels):
            sums = np.bincount(labels, weights=ch, minlength=k)
            centres[counts > 0, c] = sums[counts > 0] / counts[counts > 0]
    return labels


def test_kmeans_with_early_stop_matches_the_per_channel_form() -> None:
    rng = np.random.default_rng(1)
    for trial in range(200):
        n = int(rng.integers(3, 900))
        if trial % 3 == 0:  # few distinct colours: ties and empty clusters
            pixels = rng.integers(0, 3, (n, 3)).astype(np.float32) * 100
        else:
            pixels = (rng.random((n, 3)) * 255).astype(np.float32)
        assert np.array_equal(kmeans_labels(pixels), reference_kmeans(pixels))


def reference_hsv(rgb01: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The axis-reduction HSV the fast one replaced."""
    r, g, b = rgb01[..., 0], rgb01[..., 1], rgb01[..., 2]
    v = rgb01.max(axis=-1)
    c = v - rgb01.min(axis=-1)
    safe = np.where(c > 0, c, 1.0)
    h = np.where(v == r, ((g - b) / safe) % 6.0, np.where(v == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    h = np.where(c > 0, h * 60.0, 0.0)
    s = np.where(v > 0, c / np.where(v > 0, v, 1.0), 0.0)
    return h, s, v


def test_hsv_matches_the_axis_reduction_form() -> None:
    rng = np.random.default_rng(2)
    rgb01 = rng.integers(0, 256, (5000, 3)).astype(np.float64) / 255.0
    rgb01[:50] = rgb01[:50, :1]  # greys
    rgb01[50:100, 1] = rgb01[50:100, 0]  # ties between the largest channels
    for got, want in zip(rgb_to_hsv(rgb01), reference_hsv(rgb01), strict=True):
        assert np.array_equal(got.view(np.uint64), want.view(np.uint64))
    for got, want in zip(rgb_to_hsv(rgb01[::7]), reference_hsv(rgb01[::7]), strict=True):  # a strided view
        assert np.array_equal(got.view(np.uint64), want.view(np.uint64))
