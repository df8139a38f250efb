"""Assemble :class:`ScanData` from attributes.parquet and the stored embeddings (pure)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthscope.bias.base import ScanData
from synthscope.errors import DataError
from synthscope.neighbours import l2_normalise


def scan_data(
    attributes: pd.DataFrame, emb_index: pd.DataFrame | None = None, features: np.ndarray | None = None
) -> ScanData:
    """Split attributes by role and attach L2-normalised embeddings row by row.

    ``attributes``: attributes.parquet (keys + group columns + ``dhash``).
    ``emb_index`` (N rows: role, path) and ``features`` float32 (N, D) from ``load_embeddings``;
    rows are matched on (role, path), which is unique per audit. Augmented rows are ignored.
    """
    if "synthetic" not in set(attributes["role"]):
        raise DataError(
            "attributes.parquet has no synthetic rows; run `synthscope stage features` on a "
            "config whose synthetic dataset has images"
        )
    parts = {
        role: attributes[attributes["role"] == role].reset_index(drop=True) for role in ("synthetic", "real")
    }
    emb: dict[str, np.ndarray | None] = {"synthetic": None, "real": None}
    if emb_index is not None and features is not None:
        keys = pd.MultiIndex.from_frame(emb_index[["role", "path"]].astype(str))
        position = pd.Series(np.arange(len(keys)), index=keys)
        for role, frame in parts.items():
            wanted = pd.MultiIndex.from_frame(frame[["role", "path"]].astype(str))
            rows = position.reindex(wanted)
            if rows.isna().any():
                missing = frame["path"][rows.isna().to_numpy()].iloc[0]
                raise DataError(
                    f"no stored embedding for {role} image {missing}; re-run "
                    "`synthscope stage features` so attributes and embeddings match"
                )
            emb[role] = l2_normalise(features[rows.to_numpy(dtype=np.int64)])
    real = parts["real"] if len(parts["real"]) else None
    return ScanData(parts["synthetic"], real, emb["synthetic"], emb["real"] if real is not None else None)
