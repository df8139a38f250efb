"""Choose the synthetic images worth keeping: realistic, not copies of real images, not copies
of each other (pure: arrays and frames in, indices out).

Candidates are ranked by the realism score of ``synthscope.metrics.realism`` (Kynkaenniemi et
al. 2019), the same scores the score stage writes to ``realism.parquet``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthscope.bias.duplicates import memorised_mask
from synthscope.bias.neighbours import l2_normalise
from synthscope.params import ScanParams


def duplicate_pairs(frame: pd.DataFrame, emb: np.ndarray | None, hamming: int, cosine: float) -> list[set[int]]:
    """For each row of ``frame`` (``image_id``, ``dhash``), the other rows that are its exact or near
    copies: dhash within ``hamming`` bits or embedding cosine >= ``cosine`` (``emb`` (N, D) float)."""
    ids = frame["image_id"].astype(str).to_numpy()
    hashes = frame["dhash"].to_numpy().astype(np.uint64)
    unit = None if emb is None else l2_normalise(emb)  # idempotent on unit rows
    out: list[set[int]] = [set() for _ in range(len(frame))]
    for i in range(len(frame)):
        close = ids == ids[i]
        close |= np.bitwise_count(hashes ^ hashes[i]) <= hamming
        if unit is not None:
            close |= unit @ unit[i] >= cosine
        close[i] = False
        out[i] = set(np.flatnonzero(close).tolist())
    return out


def select_candidates(
    synthetic: pd.DataFrame,
    synthetic_emb: np.ndarray | None,
    realism: np.ndarray,
    real: pd.DataFrame | None,
    real_emb: np.ndarray | None,
    scan: ScanParams,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rank the synthetic rows and drop the unusable ones -> (kept rows, counts of what was dropped).

    ``synthetic`` / ``real``: attributes rows (``image_id``, ``label``, ``dhash``) aligned with
    ``*_emb`` (N, D). Memorised rows (near copies of a real image, the scan's ``mem_*``
    thresholds) are dropped; of each group of near-duplicates (``dup_*``) only the most
    realistic is kept (greedy, best first). Returns the kept rows with ``realism`` and
    ``rank`` (0 = best within its class), sorted by label then rank; ties break on image_id
    so the order does not depend on the input order. ``*_emb`` may be raw: they are normalised
    here, as the scan compares cosines.
    """
    synthetic_emb = None if synthetic_emb is None else l2_normalise(synthetic_emb)
    real_emb = None if real_emb is None else l2_normalise(real_emb)
    frame = synthetic.reset_index(drop=True).copy()
    frame["realism"] = realism
    frame["dropped"] = ""
    if real is not None and len(real):
        copies = memorised_mask(frame, real, synthetic_emb, real_emb, scan.mem_hamming, scan.mem_cosine)
        frame.loc[copies, "dropped"] = "copy of a real image"
    neighbours = duplicate_pairs(frame, synthetic_emb, scan.dup_hamming, scan.dup_cosine)
    order = np.lexsort((frame["image_id"].astype(str).to_numpy(), -frame["realism"].to_numpy()))
    kept: set[int] = set()
    for i in order:
        if frame.at[i, "dropped"]:
            continue
        if neighbours[i] & kept:
            frame.at[i, "dropped"] = "near-duplicate of a kept image"
            continue
        kept.add(int(i))
    counts = {
        "n_synthetic": int(len(frame)),
        "n_copies_of_real": int((frame["dropped"] == "copy of a real image").sum()),
        "n_near_duplicates": int((frame["dropped"] == "near-duplicate of a kept image").sum()),
        "n_kept": len(kept),
    }
    out = frame[frame["dropped"] == ""].copy()
    out = out.sort_values(["label", "realism", "image_id"], ascending=[True, False, True], kind="mergesort")
    out["rank"] = out.groupby("label").cumcount()
    return out.drop(columns="dropped"), counts
