"""Overly consistent attributes: the spread of each attribute group, overall and per class.

Spread of a group = root-mean-square of its columns' standard deviations, each column
divided by a fixed scale so that columns in different units weigh alike. With a real
reference the scale is the real data's overall std and the score is the ratio of spreads
(synthetic / real, same class); without one, the baseline is the std of a uniform
distribution over the column's natural range (what an unbiased spread would be).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthscope.bias.base import CHECKS, ScanData, classes_of, pct, score_frame, score_row
from synthscope.bias.describe import modal_share, value_names
from synthscope.bias.masked import confident
from synthscope.params import NEAR_COPY, NearCopyParams, ScanParams
from synthscope.schema import ATTRIBUTE_GROUPS

UNIFORM_STD = 1.0 / np.sqrt(12.0)
# Natural range of a column (lo, hi) in stored units, for the no-reference baseline;
# columns absent here use the observed range of the data.
HUE_CIRCLE_STD = 1.0 / np.sqrt(2.0)  # std of cos/sin of a uniformly random angle
NATURAL_STD = {
    "obj_hue_cos": HUE_CIRCLE_STD,
    "obj_hue_sin": HUE_CIRCLE_STD,
    "obj_saturation": UNIFORM_STD,
    "obj_value": UNIFORM_STD,
    "centroid_x": UNIFORM_STD,
    "centroid_y": UNIFORM_STD,
    "bbox_w": UNIFORM_STD,
    "bbox_h": UNIFORM_STD,
}
RGB_COLUMNS = ("obj_r", "obj_g", "obj_b", "bg_r", "bg_g", "bg_b")


def baseline_scale(frame: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Per-column std of an unbiased (uniform over the natural range) attribute, float64 (C,)."""
    scale = []
    for col in columns:
        values = frame[col].to_numpy(dtype=np.float64)
        if col in NATURAL_STD:
            scale.append(NATURAL_STD[col])
        elif col in RGB_COLUMNS:
            top = 255.0 if np.nanmax(values, initial=0.0) > 1.5 else 1.0
            scale.append(top * UNIFORM_STD)
        else:
            scale.append((np.nanmax(values) - np.nanmin(values)) * UNIFORM_STD)
    return np.asarray(scale, dtype=np.float64)


def group_spread(values: np.ndarray, scale: np.ndarray) -> float:
    """RMS over columns of std(values[:, j]) / scale[j]; values float (N, C), scale (C,)."""
    keep = scale > 0
    if values.shape[0] < 2 or not keep.any():
        return float("nan")
    std = np.nanstd(values[:, keep], axis=0, ddof=1) / scale[keep]
    return float(np.sqrt(np.mean(std**2)))


def _names_message(
    group: str, label: str | None, syn: pd.DataFrame, real: pd.DataFrame | None, pooled: pd.DataFrame
) -> str:
    """'circle is red in 100% of synthetic images, 24% of real ones' for the modal value."""
    name, share = modal_share(value_names(group, syn, pooled))
    who = label if label is not None else "the dataset"
    text = f"{who} is {name} in {pct(share)} of synthetic images"
    if real is not None and len(real):
        real_share = float((value_names(group, real, pooled) == name).mean())
        text += f", {pct(real_share)} of real ones"
    return text


@CHECKS.register("consistency")
class Consistency:
    """Spread of each attribute group (overall and per class) against real or unbiased."""

    name = "consistency"

    def score(self, data: ScanData, params: ScanParams, near_copy: NearCopyParams = NEAR_COPY) -> pd.DataFrame:
        # every group is an object attribute: only images with a trusted mask are read
        syn = confident(data.synthetic, params)
        real = confident(data.real, params) if data.has_reference else None
        pooled = syn if real is None else pd.concat([syn, real], ignore_index=True)
        labels = classes_of(syn, params.min_class_size)
        if real is not None:
            labels = [c for c in labels if c in set(classes_of(real, params.min_class_size))]
        rows = []
        for group, columns in ATTRIBUTE_GROUPS.items():
            cols = tuple(c for c in columns if c in syn.columns)
            if not cols:
                continue
            if real is not None:
                scale = np.nanstd(real[list(cols)].to_numpy(dtype=np.float64), axis=0, ddof=1)
            else:
                scale = baseline_scale(syn, cols)
            subsets = [(None, syn, real)] + [
                (c, syn[syn["label"] == c], None if real is None else real[real["label"] == c])
                for c in labels
            ]
            for label, s_part, r_part in subsets:
                spread = group_spread(s_part[list(cols)].to_numpy(dtype=np.float64), scale)
                ref = 1.0 if r_part is None else group_spread(r_part[list(cols)].to_numpy(np.float64), scale)
                # Too few trusted masks on a side (a whole small set included, not only a class): a spread
                # of 2 objects says nothing (a null pair of 30 CIFAR photos had 2 against 7 and read "high").
                enough = min(len(s_part), len(s_part) if r_part is None else len(r_part)) >= params.min_class_size
                ratio = spread / ref if enough and ref and np.isfinite(ref) and ref > 0 else float("nan")
                against = "the real data's" if real is not None else "an unbiased spread"
                message = "" if data.null_pair else (
                    f"{group} spread of {label or 'all classes'} is {pct(ratio)} of {against}; "
                    + _names_message(group, label, s_part, r_part, pooled)
                    + "."
                )
                rows.append(
                    score_row(
                        "consistency",
                        group,
                        label,
                        "spread_ratio",
                        spread,
                        ref,
                        flag_value=max(0.0, 1.0 - ratio) if np.isfinite(ratio) else float("nan"),
                        origin="introduced" if real is not None else "unknown",
                        message=message,
                    )
                )
        return score_frame(rows)
