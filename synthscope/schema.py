"""Column contracts shared by the stages (docs/design.md, "Data contracts").

Every table keys on ``image_id`` (sha256 of the file's bytes). Later stages read these
names from here rather than spelling them again.
"""

from __future__ import annotations

ROLES = ("synthetic", "real", "augmented")
STATUSES = ("ok", "quarantined")

# manifest.parquet: the docs/design.md contract first, then synthscope's own extras.
MANIFEST_COLUMNS = (
    "image_id",  # sha256 hex of the file's bytes
    "role",  # synthetic | real | augmented
    "label",  # class name (string)
    "path",  # relative to the dataset root, POSIX separators
    "width",
    "height",
    "mode",  # PIL mode of the file as stored (before normalisation to RGB)
    "status",  # ok | quarantined
    "reason",  # why quarantined; "" when ok
    "root",  # absolute dataset root, so later stages can open the file
    "format",  # PIL format name (PNG, JPEG, ...)
    "bytes",  # file size
    "duplicate_of",  # path of the first file with the same sha256 in this role, else ""
    "path_bytes",  # the name's raw bytes when it is not UTF-8 (then quarantined; ``path`` shows it escaped), else b""
)

# attributes.parquet: one row per ok manifest row; keys first.
ATTRIBUTE_KEYS = ("image_id", "role", "label", "path")

# Attribute groups the bias scan tests, each a set of numeric columns of attributes.parquet.
# Hue is circular, so it is stored as (cos, sin) of the angle as well as in degrees.
ATTRIBUTE_GROUPS: dict[str, tuple[str, ...]] = {
    "color": ("obj_r", "obj_g", "obj_b", "obj_hue_cos", "obj_hue_sin", "obj_saturation", "obj_value"),
    "size": ("fg_area", "bbox_w", "bbox_h"),
    "location": ("centroid_x", "centroid_y"),
    "background": ("bg_r", "bg_g", "bg_b", "bg_clutter"),
}
ATTRIBUTES = tuple(ATTRIBUTE_GROUPS)

# Other attribute columns, not tested for shortcuts but shown in the report.
QUALITY_COLUMNS = (
    "mean_r", "mean_g", "mean_b", "hue", "saturation", "value", "colorfulness",
    "obj_hue", "bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1",
    "sharpness", "contrast", "noise", "entropy", "width", "height", "aspect",
)
# How far the object mask is trusted (features/mask.py): the confidence in [0, 1] and its two
# factors, which say why it is low (cluttered background, or no distinct object).
MASK_COLUMNS = ("mask_confidence", "mask_bg_score", "mask_fg_score")

# What the drift check compares between synthetic and real: the object groups (confident
# masks only) plus the whole image's resolution and quality.
DRIFT_GROUPS: dict[str, tuple[str, ...]] = {
    **ATTRIBUTE_GROUPS,
    "resolution": ("width", "height", "aspect"),
    "quality": ("sharpness", "contrast", "noise", "entropy"),
}
# bias.json's ``attribute`` vocabulary.
FINDING_ATTRIBUTES = tuple(DRIFT_GROUPS)

# The network whose pool3 features make a Frechet distance "FID" (with official weights).
FID_NETWORK = "inception-fid"

# bias.json vocabulary.
CHECKS = ("consistency", "shortcut", "imbalance", "diversity", "duplicates", "memorization", "drift")
SEVERITIES = ("info", "low", "medium", "high")
ORIGINS = ("introduced", "copied", "unknown")


def severity_rank(severity: str) -> int:
    """Order severities so gates can compare them (info=0 ... high=3)."""
    return SEVERITIES.index(severity)
