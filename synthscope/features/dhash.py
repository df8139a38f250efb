"""The features stage's dhash of rows of an embeddings index (read from ``attributes.parquet``).

CAS leaves synthetic near copies of real test images out of training by the scan's criterion
(``bias.duplicates.near_copy_mask``), which compares dhashes; the score and compare stages read
them here, keyed by image_id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthscope.errors import StageInputError
from synthscope.paths import OutputPaths


def index_dhash(paths: OutputPaths, index: pd.DataFrame) -> np.ndarray:
    """The features stage's dhash of each ``index`` row (attributes.parquet, keyed by image_id)."""
    if not paths.attributes.is_file():
        raise StageInputError(f"{paths.attributes} is missing; run `synthscope stage features` first")
    attrs = pd.read_parquet(paths.attributes, columns=["image_id", "dhash"]).drop_duplicates("image_id")
    dhash = index["image_id"].map(attrs.set_index("image_id")["dhash"])
    if dhash.isna().any():
        raise StageInputError(f"{paths.attributes} lacks rows of the manifest; re-run `synthscope stage features`")
    return dhash.to_numpy().astype(np.int64)
