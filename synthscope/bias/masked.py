"""Which images' object attributes can be trusted, and why the others cannot.

Object columns (color, size, location, background) come from an object mask; where the
mask is not trusted (``mask_confidence`` below ``scan.min_mask_confidence``) the checks
leave the image out rather than read sizes and colours of a mask that found nothing.
"""

from __future__ import annotations

import pandas as pd

from synthscope.bias.base import ScanData
from synthscope.documents.bias import ObjectCoverage, Role
from synthscope.params import ScanParams


def confident(frame: pd.DataFrame, params: ScanParams) -> pd.DataFrame:
    """Rows whose object mask is trusted (all rows of a frame without ``mask_confidence``)."""
    if "mask_confidence" not in frame.columns:
        return frame
    return frame[frame["mask_confidence"].to_numpy() >= params.min_mask_confidence]


def coverage(frame: pd.DataFrame, params: ScanParams) -> ObjectCoverage:
    """How many images have measurable object attributes, and why the rest do not.

    ``cluttered_background``: the backdrop model explains too little of the border
    (``mask_bg_score`` is the lower factor); ``no_distinct_object``: nothing stands out from
    the backdrop, or the "object" fills the frame (``mask_fg_score`` is the lower one).
    """
    n = len(frame)
    if "mask_confidence" not in frame.columns:
        return ObjectCoverage(images=n, measured=n, cluttered_background=0, no_distinct_object=0)
    low = frame[frame["mask_confidence"].to_numpy() < params.min_mask_confidence]
    cluttered = int((low["mask_bg_score"] < low["mask_fg_score"]).sum())
    return ObjectCoverage(images=n, measured=n - len(low), cluttered_background=cluttered,
                          no_distinct_object=len(low) - cluttered)


def coverage_sentence(counts: ObjectCoverage, role: str) -> str:
    """'object attributes measured on 812 of 1000 synthetic images (150 cluttered background, ...)'."""
    text = f"object attributes measured on {counts.measured} of {counts.images} {role} images"
    if counts.images - counts.measured:
        text += (f" ({counts.cluttered_background} with a cluttered background, "
                 f"{counts.no_distinct_object} with no object distinct from the backdrop)")
    return text


def object_coverage(data: ScanData, params: ScanParams) -> dict[Role, ObjectCoverage]:
    """bias.json ``summary.object_attributes``: :func:`coverage` per role present."""
    out: dict[Role, ObjectCoverage] = {"synthetic": coverage(data.synthetic, params)}
    if data.real is not None and data.has_reference:
        out["real"] = coverage(data.real, params)
    return out
