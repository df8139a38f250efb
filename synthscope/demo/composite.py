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
    kind: str = ""  # "" for the original blob composites, else one of HARD_KINDS
    # The truth for size and location when it differs from ``alpha``: the filled object (a
    # ring's hole, the inside of an outline drawing), see docs/masks.md.
    filled: np.ndarray | None = None

    @property
    def truth_alpha(self) -> np.ndarray:
        """The matte that size and location are scored against (the filled object)."""
        return self.alpha if self.filled is None else self.filled


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


# --- Harder composites (issue: lit backdrops, concave objects, cast shadows, thin strokes) ---
HARD_KINDS = ("spotlight", "dark_middle", "hand", "letters", "ring", "shadow", "outline", "glyph")
# Chroma-key backdrops (green and blue screen): where shadows are told from objects by chroma.
SATURATED_BACKDROPS = (BACKDROP_COLOURS[0], BACKDROP_COLOURS[3])
PAPER = (245, 245, 240)
SUPERSAMPLE = 4
HAND_SIZES = ((64, 64), (96, 72), (128, 128), (300, 200), (640, 480))
STROKE_SIZES = ((28, 28), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256), (512, 512))
GLYPHS = "ABCDEGMOPQRSW0123456789"  # many with holes (A, B, O, ...), some open (C, M, S, W)


def light_field(rng: np.random.Generator, width: int, height: int, brighter_middle: bool) -> np.ndarray:
    """(H, W) gain of a spotlight: 1 at its centre, down to 0.45-0.7 at the frame (or the reverse).

    ``brighter_middle`` False gives a backdrop darker in the middle than at the border.
    """
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    side = float(max(width, height))
    cx, cy = width * rng.uniform(0.35, 0.65), height * rng.uniform(0.35, 0.65)
    spot = np.exp(-(((xx - cx) / side) ** 2 + ((yy - cy) / side) ** 2) / (2 * rng.uniform(0.15, 0.3) ** 2))
    low = rng.uniform(0.45, 0.7)
    return (low + (1 - low) * spot) if brighter_middle else (1 - (1 - low) * spot)


def drawn_alpha(width: int, height: int, draw_fn, supersample: int = SUPERSAMPLE) -> tuple[np.ndarray, np.ndarray]:
    """(alpha, filled) (H, W) float32: ``draw_fn(ImageDraw, scale)`` drawn at ``supersample`` x and
    box-downsampled (anti-aliased edges); ``filled`` has the holes of the drawing filled."""
    from PIL import ImageDraw

    big = Image.new("L", (width * supersample, height * supersample), 0)
    draw_fn(ImageDraw.Draw(big), supersample)
    arr = np.asarray(big) >= 128
    full = ndimage.binary_fill_holes(arr)

    def down(a: np.ndarray) -> np.ndarray:
        img = Image.fromarray(a.astype(np.uint8) * 255)
        return np.asarray(img.resize((width, height), Image.Resampling.BOX), dtype=np.float32) / 255.0

    return down(arr), down(full)


def hand_alpha(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Alpha of a hand-like silhouette entering from a random edge: a palm and five spread
    fingers (capsules), with open gaps between the fingers that show the backdrop."""
    side = float(min(width, height))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
    edge = int(rng.integers(4))
    along = rng.uniform(0.35, 0.65)
    start = [(0.0, along * height), (width, along * height), (along * width, 0.0), (along * width, height)][edge]
    u = np.array([(1, 0), (-1, 0), (0, 1), (0, -1)][edge], dtype=np.float32)  # into the image
    u = u @ np.array([[np.cos(t := rng.uniform(-0.3, 0.3)), np.sin(t)], [-np.sin(t), np.cos(t)]], dtype=np.float32)
    v = np.array([-u[1], u[0]], dtype=np.float32)
    p0 = np.array(start, dtype=np.float32) - u * 0.1 * side
    palm_r = side * rng.uniform(0.11, 0.14)
    palm = p0 + u * side * rng.uniform(0.4, 0.5)
    capsules = [(p0, palm, palm_r)]
    spread = rng.uniform(0.9, 1.4)
    for i, angle in enumerate((-0.42, -0.14, 0.14, 0.42)):
        base = palm + u * palm_r * 0.7 + v * palm_r * (-0.75 + 0.5 * i)
        a = angle * spread
        direction = u * np.cos(a) + v * np.sin(a)
        capsules.append((base, base + direction * side * rng.uniform(0.17, 0.26), side * rng.uniform(0.028, 0.036)))
    thumb_side = 1.0 if rng.uniform() < 0.5 else -1.0
    a = thumb_side * rng.uniform(1.1, 1.4)
    base = palm + v * thumb_side * palm_r * 0.6
    capsules.append((base, base + (u * np.cos(a) + v * np.sin(a)) * side * 0.17, side * 0.035))
    dist = np.full((height, width), np.inf, dtype=np.float32)
    for a0, a1, r in capsules:
        d = a1 - a0
        t = np.clip(((xx - a0[0]) * d[0] + (yy - a0[1]) * d[1]) / float(d @ d), 0.0, 1.0)
        dist = np.minimum(dist, np.hypot(xx - a0[0] - t * d[0], yy - a0[1] - t * d[1]) - r)
    return np.clip(0.5 - dist, 0.0, 1.0).astype(np.float32)


def letter_alpha(rng: np.random.Generator, width: int, height: int, text: str,
                 fill_share: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """(alpha, filled) of ``text`` in Pillow's bundled font, about ``fill_share`` of the side
    high, at a random place inside the frame (filled: its holes, as in A or O, filled)."""
    from PIL import ImageFont

    side = min(width, height)
    font = ImageFont.load_default(size=max(8, int(side * rng.uniform(*fill_share) * 1.35 * SUPERSAMPLE)))
    x0, y0, x1, y1 = font.getbbox(text)
    room_x, room_y = width * SUPERSAMPLE - (x1 - x0), height * SUPERSAMPLE - (y1 - y0)
    ox, oy = rng.uniform(0.1, 0.9) * max(room_x, 0) - x0, rng.uniform(0.1, 0.9) * max(room_y, 0) - y0
    return _text_alpha(width, height, (ox, oy), text, font)


def _text_alpha(width: int, height: int, origin: tuple[float, float], text: str, font) -> tuple[np.ndarray, np.ndarray]:
    from PIL import ImageDraw

    big = Image.new("L", (width * SUPERSAMPLE, height * SUPERSAMPLE), 0)
    ImageDraw.Draw(big).text(origin, text, fill=255, font=font)
    arr = np.asarray(big) >= 128
    full = ndimage.binary_fill_holes(arr)
    down = [np.asarray(Image.fromarray(a.astype(np.uint8) * 255).resize((width, height), Image.Resampling.BOX),
                       dtype=np.float32) / 255.0 for a in (arr, full)]
    return down[0], down[1]


def outline_alpha(rng: np.random.Generator, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(alpha, filled) of a closed hand-drawn outline (a wobbly polygon, 1-3 px pen) and its inside."""
    side = min(width, height)
    pen = int(rng.integers(1, 4))
    radius = side * rng.uniform(0.18, 0.33)
    cx = rng.uniform(radius * 1.15, width - radius * 1.15)
    cy = rng.uniform(radius * 1.15, height - radius * 1.15)
    n = int(rng.integers(5, 40))  # a pentagon to a round, wobbly loop
    theta = np.sort(rng.uniform(0, 2 * np.pi, n)) if n < 12 else np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = radius * (1 + 0.12 * np.cos(2 * theta + rng.uniform(0, 6.3)) + rng.normal(0, 0.03, n))
    pts = [(float((cx + ri * np.cos(t)) * SUPERSAMPLE), float((cy + ri * np.sin(t)) * SUPERSAMPLE))
           for ri, t in zip(r, theta, strict=True)]

    def draw(d, s: int) -> None:
        d.line(pts + [pts[0]], fill=255, width=pen * s, joint="curve")

    alpha, _ = drawn_alpha(width, height, draw)
    _, filled = drawn_alpha(width, height, lambda d, s: (d.polygon(pts, fill=255), draw(d, s)))
    return alpha, filled


def _flat(rng: np.random.Generator, width: int, height: int, colour, vignette: bool = True) -> np.ndarray:
    base = np.array(colour, dtype=np.float32)
    if vignette:
        return flat_backdrop(rng, width, height, base)
    return base[None, None, :] + rng.normal(0.0, rng.uniform(1.0, 4.0), size=(height, width, 3)).astype(np.float32)


def hard_composite(rng: np.random.Generator, kind: str, width: int, height: int) -> Composite:
    """One composite of a harder ``kind`` (see ``HARD_KINDS`` and docs/masks.md) with its truth."""
    if kind not in HARD_KINDS:
        raise ValueError(f"unknown kind {kind!r}; use one of {HARD_KINDS}")
    side = min(width, height)
    pick = BACKDROP_COLOURS[int(rng.integers(len(BACKDROP_COLOURS)))]
    filled = None
    light = None
    crosses = False
    if kind in ("outline", "glyph"):  # dark pen / print on paper: no shading, the strokes are the object
        if kind == "outline":
            alpha, filled = outline_alpha(rng, width, height)
        else:
            alpha, filled = letter_alpha(rng, width, height, GLYPHS[int(rng.integers(len(GLYPHS)))], (0.45, 0.8))
        bg = _flat(rng, width, height, PAPER, vignette=False)
        ink = np.array(colorsys.hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.0, 0.35)),
                       dtype=np.float32) * 255
        obj = ink[None, None, :] + rng.normal(0, 3.0, size=(height, width, 3)).astype(np.float32)
    else:
        if kind in ("spotlight", "dark_middle"):
            radius = side * rng.uniform(0.15, 0.32)
            crosses = bool(rng.uniform() < 0.5)
            cx = rng.uniform(radius * 1.1, width - radius * 1.1) if not crosses else radius * 0.7
            cy = rng.uniform(radius * 1.1, height - radius * 1.1)
            alpha = blob_alpha(width, height, cx, cy, radius, rng)
            light = light_field(rng, width, height, kind == "spotlight")
        elif kind == "hand":  # the reported case: a hand from the frame edge, often on a lit green screen
            pick = BACKDROP_COLOURS[0] if rng.uniform() < 0.5 else pick
            alpha, crosses = hand_alpha(rng, width, height), True
            light = light_field(rng, width, height, True) if rng.uniform() < 0.7 else None
        elif kind == "letters":
            alpha, filled = letter_alpha(rng, width, height, "CEM"[int(rng.integers(3))], (0.5, 0.8))
        elif kind == "ring":
            outer = side * rng.uniform(0.18, 0.33)
            inner = outer * rng.uniform(0.45, 0.75)
            cx, cy = rng.uniform(outer * 1.1, width - outer * 1.1), rng.uniform(outer * 1.1, height - outer * 1.1)
            alpha, filled = drawn_alpha(width, height, lambda d, s: (
                d.ellipse([(cx - outer) * s, (cy - outer) * s, (cx + outer) * s, (cy + outer) * s], fill=255),
                d.ellipse([(cx - inner) * s, (cy - inner) * s, (cx + inner) * s, (cy + inner) * s], fill=0)))
        else:  # shadow: a hard cast shadow on a chroma-key backdrop, 20-40% darker, offset 4-10% of the side
            pick = SATURATED_BACKDROPS[int(rng.integers(len(SATURATED_BACKDROPS)))]
            radius = side * rng.uniform(0.15, 0.28)
            cx, cy = rng.uniform(radius * 1.1, width - radius * 1.1), rng.uniform(radius * 1.1, height - radius * 1.1)
            alpha = blob_alpha(width, height, cx, cy, radius, rng)
        bg = _flat(rng, width, height, pick, vignette=kind != "shadow")
        if kind == "shadow":
            shift = side * rng.uniform(0.04, 0.1) * np.array([rng.choice((-1, 1)), rng.choice((-1, 1))])
            cast = ndimage.gaussian_filter(ndimage.shift(alpha, shift, order=1), side * rng.uniform(0.003, 0.015))
            bg *= 1.0 - rng.uniform(0.2, 0.4) * cast[..., None]
        obj = shaded_object(rng, width, height, object_colour(rng, np.array(pick, dtype=np.float32)))
    rgb = alpha[..., None] * obj + (1.0 - alpha[..., None]) * bg
    if light is not None:  # the light falls on the object too, as in a photo
        rgb = rgb * light[..., None]
    rgb_u8 = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    return Composite(rgb_u8, alpha, "flat", crosses, kind=kind, filled=filled)


def hard_set(kind: str, n: int, seed: int = 0) -> list[Composite]:
    """``n`` composites of one harder ``kind``, cycling through its sizes."""
    sizes = STROKE_SIZES if kind in ("outline", "glyph") else HAND_SIZES if kind == "hand" else SIZES
    rng = np.random.default_rng(seed)
    return [hard_composite(rng, kind, *sizes[i % len(sizes)]) for i in range(n)]
