"""Decode any supported image to one canonical form: RGB uint8, EXIF orientation applied.

Every stage opens images through :func:`load_rgb` so that a palette PNG, a CMYK JPEG and a
16-bit grayscale TIFF of the same picture give the same pixels everywhere.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from synthscope.logs import progress

# Formats Pillow decodes that we accept; anything else is quarantined as unsupported.
SUPPORTED_FORMATS = frozenset({"PNG", "JPEG", "MPO", "BMP", "GIF", "WEBP", "TIFF"})


def to_rgb(img: Image.Image) -> Image.Image:
    """Normalise any mode to RGB.

    Alpha (RGBA, LA, palette with transparency) is composited on white, the convention of
    browsers and of most dataset viewers; 16- and 32-bit integer modes are rescaled by their
    actual range so a 16-bit image does not saturate to white.
    """
    if img.mode == "RGB":
        return img
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if img.mode.startswith("I;16") else max(float(arr.max()), 1.0)
        if img.mode == "F":
            lo, hi = float(arr.min()), float(arr.max())
            arr = (arr - lo) / max(hi - lo, 1e-12) * 255.0
        else:
            arr = arr / hi * 255.0
        img = Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), mode="L")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def decode(data: bytes) -> tuple[Image.Image, Image.Image]:
    """Fully decode ``data``; return (image as stored, RGB image after EXIF orientation).

    Raises ``PIL.UnidentifiedImageError``/``OSError``/``ValueError`` on corrupt input and
    ``Image.DecompressionBombError`` above twice Pillow's limit.
    """
    with warnings.catch_warnings():
        # Size limits are enforced by ingest (ingest.max_pixels) before anything is decoded.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        img = Image.open(io.BytesIO(data))
        img.load()
    oriented = ImageOps.exif_transpose(img) or img
    return img, to_rgb(oriented)


def load_rgb(path: Path | str) -> np.ndarray:
    """Image at ``path`` as an (H, W, 3) uint8 array, EXIF-transposed, RGB."""
    with open(path, "rb") as fh:
        _, rgb = decode(fh.read())
    return np.asarray(rgb, dtype=np.uint8)


def load_images(files: Sequence[Path | str], size: int) -> np.ndarray:
    """Image files -> uint8 (N, size, size, 3): EXIF-transposed RGB, bilinear-resized when needed.

    What the CNN classifiers (CAS in the score stage, before/after CAS of debias) train on.
    """
    out = np.empty((len(files), size, size, 3), dtype=np.uint8)
    for i, file in enumerate(progress(files, "load images", total=len(files))):
        rgb = load_rgb(file)
        if rgb.shape[:2] != (size, size):
            rgb = np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.BILINEAR))
        out[i] = rgb
    return out
