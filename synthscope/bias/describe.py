"""Name attribute values in words for findings ("circle is red in 100% of ...").

Each attribute group gets one function ``frame -> Series[str]`` that bins a row's values
into a named category. Bins are fixed (hue names) or come from ``edges`` computed once on
the pooled data, so synthetic and real rows are named on the same scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthscope.features.attributes import rgb_to_hsv

# Hue (degrees) upper bounds of named colours, HSV convention; red wraps around 0/360.
HUE_NAMES = (
    (15.0, "red"),
    (45.0, "orange"),
    (70.0, "yellow"),
    (165.0, "green"),
    (195.0, "cyan"),
    (255.0, "blue"),
    (285.0, "purple"),
    (345.0, "magenta"),
    (360.0, "red"),
)
GRAY_SATURATION = 0.2  # below this saturation a colour is named by its value instead


def unit_rgb(values: np.ndarray) -> np.ndarray:
    """RGB values as floats in [0, 1], whether stored as 0..1 or 0..255."""
    values = np.asarray(values, dtype=np.float64)
    return values / 255.0 if np.nanmax(values, initial=0.0) > 1.5 else values


def color_names(hue_deg: np.ndarray, saturation: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Named colour per pixel/object: hue bins, or black/gray/white when unsaturated.

    ``hue_deg`` in [0, 360); ``saturation`` and ``value`` in [0, 1]. Returns an object array.
    """
    hue = np.mod(np.asarray(hue_deg, dtype=np.float64), 360.0)
    bounds = np.array([b for b, _ in HUE_NAMES])
    names = np.array([n for _, n in HUE_NAMES], dtype=object)
    out = names[np.clip(np.searchsorted(bounds, hue, side="right"), 0, len(names) - 1)]
    sat, val = np.asarray(saturation, dtype=np.float64), np.asarray(value, dtype=np.float64)
    gray = np.where(val < 0.25, "black", np.where(val > 0.8, "white", "gray"))
    return np.where((sat < GRAY_SATURATION) | (val < 0.15), gray, out).astype(object)


def tertile_names(values: pd.Series, edges: np.ndarray, names: tuple[str, str, str]) -> np.ndarray:
    """Three named bins by the two ``edges`` (pooled tertiles)."""
    idx = np.searchsorted(edges, values.to_numpy(dtype=np.float64), side="right")
    return np.asarray(names, dtype=object)[np.clip(idx, 0, 2)]


def value_names(group: str, frame: pd.DataFrame, pooled: pd.DataFrame) -> pd.Series:
    """Named value of attribute ``group`` for each row of ``frame``.

    ``pooled`` (all roles together) fixes the size tertiles so both roles share one scale.
    """
    if group == "color":
        rgb = unit_rgb(frame[["obj_r", "obj_g", "obj_b"]].to_numpy())
        hue, sat, val = rgb_to_hsv(rgb)
        names = color_names(hue, sat, val)
    elif group == "background":
        rgb = unit_rgb(frame[["bg_r", "bg_g", "bg_b"]].to_numpy())
        hue, sat, val = rgb_to_hsv(rgb)
        edges = np.nanquantile(pooled["bg_clutter"].to_numpy(dtype=np.float64), [0.5])
        plain = frame["bg_clutter"].to_numpy(dtype=np.float64) <= edges[0]
        names = np.where(plain, "plain ", "textured ").astype(object) + color_names(hue, sat, val)
    elif group == "size":
        edges = np.nanquantile(pooled["fg_area"].to_numpy(dtype=np.float64), [1 / 3, 2 / 3])
        names = tertile_names(frame["fg_area"], edges, ("small", "medium-sized", "large"))
    elif group == "location":
        xs = tertile_names(frame["centroid_x"], np.array([1 / 3, 2 / 3]), ("left", "center", "right"))
        ys = tertile_names(frame["centroid_y"], np.array([1 / 3, 2 / 3]), ("top", "middle", "bottom"))
        names = np.where((xs == "center") & (ys == "middle"), "centered", ys + "-" + xs).astype(object)
    else:
        raise ValueError(f"no value names for attribute group {group!r}")
    return pd.Series(names, index=frame.index, dtype=object)


def modal_share(names: pd.Series) -> tuple[str, float]:
    """The most common name and its share of rows (ties: alphabetical first)."""
    counts = names.value_counts()
    top = sorted(counts[counts == counts.max()].index)[0]
    return str(top), float(counts[top] / counts.sum())
