"""Composite photos with known object masks: the ground truth for testing object masks.

No photo set with object masks ships with the project, so one is made: a textured,
shaded object with a known alpha matte is pasted onto either a real photograph (crops of
the two sample photos scikit-learn ships inside its wheel: cluttered backgrounds) or a
studio-like backdrop (flat colour with sensor noise, vignetting and a soft drop shadow, like
a green screen or a white sweep). Objects may cross the frame edge; sides go from 28 px to
megapixels. Everything derives from the seed (pure: arrays out, no files written).
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image
from scipy import ndimage

BACKDROPS = ("flat", "photo")
# Studio backdrops: green screen, white sweep, grey card, blue screen (RGB 0-255).
BACKDROP_COLOURS = ((40, 150, 60), (245, 245, 240), (128, 128, 128), (30, 70, 170))
# Sides (width, height) drawn from; the megapixel ones are what bounded work resolution is for.
SIZES = ((28, 28), (32, 32), (64, 64), (96, 72), (128, 128), (300, 200), (640, 480))
LARGE_SIZES = ((1600, 1200), (2048, 1536))
MIN_OBJECT_CONTRAST = 90.0  # RGB distance between object and backdrop colour, like a real chroma key


@dataclass(frozen=True)
class Composite:
    """One composite: ``rgb`` (H, W, 3) uint8, ``alpha`` (H, W) float32 in [0, 1] (the truth)."""

    rgb: np.ndarray
    alpha: np.ndarray
    backdrop: str  # flat | photo
    crosses_edge: bool


@lru_cache(maxsize=1)
def sample_photos() -> tuple[np.ndarray, ...]:
    """scikit-learn's bundled sample photos (china.jpg, flower.jpg), (427, 640, 3) uint8, offline."""
    from sklearn.datasets import load_sample_images

    return tuple(np.ascontiguousarray(img) for img in load_sample_images().images)


def photo_crop(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A random crop (10-100% of the shorter side) of a sample photo, resized to (height, width, 3)."""
    photos = sample_photos()
    photo = photos[int(rng.integers(len(photos)))]
    ph, pw = photo.shape[:2]
    scale = rng.uniform(0.1, 1.0) * min(pw / width, ph / height)
    cw, ch = max(8, int(width * scale)), max(8, int(height * scale))
    x0, y0 = int(rng.integers(0, pw - cw + 1)), int(rng.integers(0, ph - ch + 1))
    crop = Image.fromarray(photo[y0 : y0 + ch, x0 : x0 + cw])
    return np.asarray(crop.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)


def flat_backdrop(rng: np.random.Generator, width: int, height: int, colour: np.ndarray) -> np.ndarray:
    """A flat colour with vignetting (corners up to 35% darker) and Gaussian sensor noise, float (H, W, 3)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = width * rng.uniform(0.3, 0.7), height * rng.uniform(0.3, 0.7)
    r2 = ((xx - cx) / width) ** 2 + ((yy - cy) / height) ** 2
    vignette = 1.0 - rng.uniform(0.0, 0.35) * np.clip(r2 / 0.5, 0.0, 1.0)
    img = colour[None, None, :] * vignette[..., None]
    return img + rng.normal(0.0, rng.uniform(1.0, 10.0), size=img.shape).astype(np.float32)


def blob_alpha(width: int, height: int, cx: float, cy: float, radius: float, rng: np.random.Generator) -> np.ndarray:
    """Anti-aliased alpha (H, W) float32 of a smooth random star-convex blob (radius in pixels).

    The radius varies with the angle by a few low harmonics, like an organic silhouette; a
    one-pixel linear ramp at the edge anti-aliases it as a camera would.
    """
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    dx, dy = xx + 0.5 - cx, yy + 0.5 - cy
    theta = np.arctan2(dy, dx)
    aspect = rng.uniform(0.6, 1.0)
    rot = rng.uniform(0, np.pi)
    edge = np.ones_like(theta)
    for k in (2, 3, 5):
        edge += rng.uniform(0.0, 0.12) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    # elongation: a squashed ellipse along a random axis
    c, s = np.cos(theta - rot), np.sin(theta - rot)
    edge *= aspect / np.sqrt((aspect * c) ** 2 + s**2)
    dist = np.hypot(dx, dy) - radius * edge
    return np.clip(0.5 - dist, 0.0, 1.0).astype(np.float32)


def object_colour(rng: np.random.Generator, avoid: np.ndarray | None) -> np.ndarray:
    """A random object colour (RGB 0-255) at least MIN_OBJECT_CONTRAST from ``avoid``."""
    while True:
        hsv = (rng.uniform(0, 1), rng.uniform(0.0, 1.0), rng.uniform(0.15, 1.0))
        rgb = np.array(colorsys.hsv_to_rgb(*hsv), dtype=np.float32) * 255.0
        if avoid is None or np.linalg.norm(rgb - avoid) >= MIN_OBJECT_CONTRAST:
            return rgb


def shaded_object(rng: np.random.Generator, width: int, height: int, colour: np.ndarray) -> np.ndarray:
    """Object appearance (H, W, 3) float: a base colour lit by a linear gradient plus fine texture."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    light = 1.0 + 0.2 * ((xx / width - 0.5) * np.cos(angle) + (yy / height - 0.5) * np.sin(angle))
    texture = ndimage.gaussian_filter(rng.normal(0, 8.0, size=(height, width)), 1.0).astype(np.float32)
    return colour[None, None, :] * light[..., None] + texture[..., None]


def composite(
    rng: np.random.Generator, width: int, height: int, backdrop: str, crosses_edge: bool,
    colour: tuple[int, int, int] | None = None,
) -> Composite:
    """One composite image with its alpha matte (see the module docstring).

    ``colour`` fixes a flat backdrop's colour (else one of ``BACKDROP_COLOURS`` at random).
    """
    if backdrop not in BACKDROPS:
        raise ValueError(f"unknown backdrop {backdrop!r}; use one of {BACKDROPS}")
    side = min(width, height)
    radius = side * rng.uniform(0.15, 0.32)
    if crosses_edge:  # centre near a random edge so that 15-45% of the radius sticks out
        t = rng.uniform(0.55, 0.85) * radius
        edge = int(rng.integers(4))
        cx = [t, width - t, rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * width][edge]
        cy = [rng.uniform(0.3, 0.7) * height, rng.uniform(0.3, 0.7) * height, t, height - t][edge]
    else:
        cx = rng.uniform(radius * 1.1, width - radius * 1.1)
        cy = rng.uniform(radius * 1.1, height - radius * 1.1)
    alpha = blob_alpha(width, height, cx, cy, radius, rng)
    if backdrop == "flat":
        pick = BACKDROP_COLOURS[int(rng.integers(len(BACKDROP_COLOURS)))] if colour is None else colour
        base = np.array(pick, dtype=np.float32)
        bg = flat_backdrop(rng, width, height, base)
        # soft drop shadow: the matte shifted down-right, blurred, darkening by up to 15%
        shift = (side * rng.uniform(0.0, 0.05), side * rng.uniform(0.0, 0.05))
        shadow = ndimage.gaussian_filter(ndimage.shift(alpha, shift, order=1), side * 0.03)
        bg *= 1.0 - rng.uniform(0.0, 0.15) * shadow[..., None]
    else:
        bg = photo_crop(rng, width, height)
        base = np.median(bg.reshape(-1, 3), axis=0)
    obj = shaded_object(rng, width, height, object_colour(rng, base))
    rgb = alpha[..., None] * obj + (1.0 - alpha[..., None]) * bg
    return Composite(np.clip(np.rint(rgb), 0, 255).astype(np.uint8), alpha, backdrop, crosses_edge)


def composite_set(
    n: int, seed: int = 0, backdrops: tuple[str, ...] = BACKDROPS, sizes: tuple[tuple[int, int], ...] = SIZES
) -> list[Composite]:
    """``n`` composites cycling through backdrops and sizes; every other one crosses the edge."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        width, height = sizes[(i // len(backdrops)) % len(sizes)]
        out.append(composite(rng, width, height, backdrops[i % len(backdrops)], crosses_edge=(i // 2) % 2 == 1))
    return out


def truth(alpha: np.ndarray) -> dict[str, float]:
    """True object area and centroid (fractions of the image side) of an alpha matte (H, W)."""
    h, w = alpha.shape
    total = float(alpha.sum())
    yy, xx = np.mgrid[0:h, 0:w]
    return {
        "fg_area": total / (h * w),
        "centroid_x": float(((xx + 0.5) * alpha).sum() / total / w),
        "centroid_y": float(((yy + 0.5) * alpha).sum() / total / h),
    }
