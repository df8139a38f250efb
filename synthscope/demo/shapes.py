"""Render one shape image from its latent attributes (pure: arrays in, arrays out).

Shapes are drawn at 4x resolution and box-downsampled, so edges are anti-aliased like a
real photo's; every class is drawn with the same *area* for the same ``area`` value, so
size says nothing about the class unless a bias makes it so.
"""

from __future__ import annotations

import colorsys
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

CLASSES = ("circle", "square", "triangle")
SUPERSAMPLE = 4


def hsv_to_rgb255(hue_deg: float, sat: float, val: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb((hue_deg % 360.0) / 360.0, sat, val)
    return int(round(r * 255)), int(round(g * 255)), int(round(b * 255))


def shape_polygon(shape: str, cx: float, cy: float, area: float, rotation_deg: float, size: int) -> list[tuple]:
    """Vertices (in supersampled pixels) of a polygon of ``area`` (fraction of the image)."""
    s = size * SUPERSAMPLE
    a = area * s * s
    if shape == "circle":
        r, n = math.sqrt(a / math.pi), 96
    elif shape == "square":
        r, n = math.sqrt(a) / math.sqrt(2), 4  # circumradius of a square of area a
    elif shape == "triangle":
        side = math.sqrt(4 * a / math.sqrt(3))
        r, n = side / math.sqrt(3), 3
    else:
        raise ValueError(f"unknown shape {shape!r}")
    theta0 = math.radians(rotation_deg)
    return [
        (cx * s + r * math.cos(theta0 + 2 * math.pi * k / n), cy * s + r * math.sin(theta0 + 2 * math.pi * k / n))
        for k in range(n)
    ]


def max_extent(area: float) -> float:
    """Largest centre-to-vertex distance of any class at ``area``, as a fraction of the side."""
    return math.sqrt(4 * area / math.sqrt(3)) / math.sqrt(3)


def background(size: int, rgb: tuple[int, int, int], texture: float, rng: np.random.Generator) -> np.ndarray:
    """A (size, size, 3) float background: flat colour plus smooth blobs and a gradient.

    ``texture`` is the amplitude (0-255 scale) of the clutter; 0 gives a plain background.
    """
    base = np.broadcast_to(np.asarray(rgb, dtype=np.float64), (size, size, 3)).copy()
    if texture <= 0:
        return base
    coarse = rng.normal(0.0, 1.0, size=(size // 8 + 1, size // 8 + 1, 3))
    blobs = np.asarray(Image.fromarray(((coarse + 3) * 40).clip(0, 255).astype(np.uint8)).resize(
        (size, size), Image.Resampling.BICUBIC), dtype=np.float64) / 40.0 - 3.0
    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    angle = rng.uniform(0, 2 * math.pi)
    gradient = (np.cos(angle) * xx + np.sin(angle) * yy - 0.5)[..., None]
    return base + texture * (0.6 * blobs / 1.5 + 0.8 * gradient)


# (Gaussian blur radius, sensor-noise sigma) per style. The synthetic renderer is a little too
# crisp and clean: a generator artefact FID notices, but small enough that planted biases
# dominate (measured on the demo with MobileNetV2 features, 60/class: real_b 23.5,
# unbiased synthetic 39.6, biased demo synthetic 123.3).
STYLES: dict[str, tuple[float, float]] = {"real": (0.7, 4.0), "synthetic": (0.6, 2.5)}


def render(
    shape: str, obj_rgb: tuple[int, int, int], area: float, cx: float, cy: float, rotation: float,
    bg_rgb: tuple[int, int, int], texture: float, size: int, style: str, rng: np.random.Generator,
    texture_seed: int | None = None,
) -> np.ndarray:
    """(size, size, 3) uint8 image, blurred and noised as ``STYLES[style]`` says."""
    # The clutter comes from its own seed so a near-duplicate can share its source's background.
    bg = background(size, bg_rgb, texture, rng if texture_seed is None else np.random.default_rng(texture_seed))
    mask_img = Image.new("L", (size * SUPERSAMPLE, size * SUPERSAMPLE), 0)
    ImageDraw.Draw(mask_img).polygon(shape_polygon(shape, cx, cy, area, rotation, size), fill=255)
    alpha = np.asarray(mask_img.resize((size, size), Image.Resampling.BOX), dtype=np.float64)[..., None] / 255.0
    img = alpha * np.asarray(obj_rgb, dtype=np.float64) + (1.0 - alpha) * bg
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}")
    blur, noise = STYLES[style]
    img = np.asarray(Image.fromarray(img.clip(0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(blur)), dtype=np.float64)
    img = img + rng.normal(0.0, noise, size=img.shape)
    return np.rint(img).clip(0, 255).astype(np.uint8)


def true_mask(shape: str, area: float, cx: float, cy: float, rotation: float, size: int) -> np.ndarray:
    """(size, size) bool: pixels at least half covered by the object."""
    mask_img = Image.new("L", (size * SUPERSAMPLE, size * SUPERSAMPLE), 0)
    ImageDraw.Draw(mask_img).polygon(shape_polygon(shape, cx, cy, area, rotation, size), fill=255)
    return np.asarray(mask_img.resize((size, size), Image.Resampling.BOX)) >= 128
