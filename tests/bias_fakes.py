"""Hand-made attributes.parquet frames for the bias-scan tests (no images needed).

Columns follow ``schema.ATTRIBUTE_GROUPS`` with colours in [0, 1] and positions/sizes as
fractions of the image, like the features stage writes them.
"""

from __future__ import annotations

import colorsys
import hashlib

import numpy as np
import pandas as pd

CLASSES = ("circle", "square", "triangle")


def make_attributes(
    n_per_class: int | dict[str, int] = 60,
    seed: int = 0,
    role: str = "synthetic",
    hue_by_class: dict[str, float] | None = None,
    hue_jitter: float = 5.0,
    centered: bool = False,
    size_fixed: bool = False,
) -> pd.DataFrame:
    """A frame of attribute rows; ``hue_by_class`` pins a class's object hue (degrees)."""
    rng = np.random.default_rng(seed)
    counts = n_per_class if isinstance(n_per_class, dict) else dict.fromkeys(CLASSES, n_per_class)
    rows = []
    for label, n in counts.items():
        for i in range(n):
            if hue_by_class and label in hue_by_class:
                hue = (hue_by_class[label] + rng.normal(0, hue_jitter)) % 360
            else:
                hue = rng.uniform(0, 360)
            sat, val = rng.uniform(0.6, 1.0), rng.uniform(0.6, 1.0)
            r, g, b = colorsys.hsv_to_rgb(hue / 360, sat, val)
            side = 0.45 + rng.normal(0, 0.01) if size_fixed else rng.uniform(0.2, 0.7)
            cx = 0.5 + rng.normal(0, 0.01) if centered else rng.uniform(0.2, 0.8)
            cy = 0.5 + rng.normal(0, 0.01) if centered else rng.uniform(0.2, 0.8)
            bg = rng.uniform(0, 1, 3)
            key = f"{role}/{label}/{i}/{seed}"
            rows.append(
                {
                    "image_id": hashlib.sha256(key.encode()).hexdigest(),
                    "role": role,
                    "label": label,
                    "path": f"{label}/{i:04d}.png",
                    "obj_r": r,
                    "obj_g": g,
                    "obj_b": b,
                    "obj_hue": hue,
                    "obj_hue_cos": np.cos(np.radians(hue)),
                    "obj_hue_sin": np.sin(np.radians(hue)),
                    "obj_saturation": sat,
                    "obj_value": val,
                    "fg_area": side * side * 0.7,
                    "bbox_w": side,
                    "bbox_h": side,
                    "centroid_x": cx,
                    "centroid_y": cy,
                    "bg_r": bg[0],
                    "bg_g": bg[1],
                    "bg_b": bg[2],
                    "bg_clutter": rng.uniform(0, 0.3),
                    "dhash": int(rng.integers(-(2**63), 2**63 - 1, dtype=np.int64)),
                }
            )
    return pd.DataFrame(rows)
