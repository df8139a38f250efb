"""Seeded shape images with known truth, for the features tests (the demo generator's stand-in)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SHAPES = ("circle", "square", "triangle")


def render_shape(
    shape: str,
    size: int,
    color: tuple[int, int, int],
    background: tuple[int, int, int],
    center: tuple[float, float],
    radius: float,
    texture: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(size, size, 3) uint8 image of one filled shape and its true (size, size) bool mask.

    ``center`` and ``radius`` are fractions of ``size``; ``texture`` is the std (0-255
    units) of Gaussian noise added to the background only.
    """
    yy, xx = np.mgrid[:size, :size] + 0.5
    cx, cy, r = center[0] * size, center[1] * size, radius * size
    if shape == "circle":
        mask = (xx - cx) ** 2 + (yy - cy) ** 2 <= r**2
    elif shape == "square":
        mask = (np.abs(xx - cx) <= r * 0.886) & (np.abs(yy - cy) <= r * 0.886)
    else:  # upward triangle inscribed in the circle of radius r
        top, bottom = cy - r, cy + r / 2
        half = (yy - top) / (bottom - top) * r * 0.866
        mask = (yy >= top) & (yy <= bottom) & (np.abs(xx - cx) <= half)
    rng = np.random.default_rng(seed)
    img = np.empty((size, size, 3), dtype=np.float64)
    img[:] = background
    img += rng.normal(0.0, texture, (size, size, 1)) * (texture > 0)
    img[mask] = color
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), mask


def write_shapes(folder: Path, n: int, seed: int = 0, size: int = 64) -> list[Path]:
    """Write ``n`` seeded random shape PNGs under ``folder/<shape>/`` and return their paths."""
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        shape = SHAPES[i % 3]
        img, _ = render_shape(
            shape,
            size,
            tuple(int(v) for v in rng.integers(0, 256, 3)),
            tuple(int(v) for v in rng.integers(0, 256, 3)),
            tuple(rng.uniform(0.3, 0.7, 2)),
            float(rng.uniform(0.12, 0.25)),
            texture=float(rng.uniform(0, 10)),
            seed=i,
        )
        path = folder / shape / f"{i:04d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(path)
        paths.append(path)
    return paths
