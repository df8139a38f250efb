"""Export scikit-learn's bundled handwritten digits (real data, no download) as an ImageFolder."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from synthscope.io import write_bytes


def export_digits(out: Path, scale: int = 4) -> Path:
    """1,797 8x8 digits (16 grey levels) as ``<digit>/<index>.png``, upscaled ``scale`` times."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    for i, (image, target) in enumerate(zip(digits.images, digits.target, strict=True)):
        grey = np.rint(image / 16.0 * 255.0).astype(np.uint8)
        img = Image.fromarray(255 - grey, mode="L").resize((8 * scale, 8 * scale), Image.Resampling.NEAREST)
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        write_bytes(Path(out) / str(int(target)) / f"{i:04d}.png", buf.getvalue())
    return Path(out)
