"""Choose the synthetic images worth keeping: realistic, not copies of real images, not copies
of each other (pure: arrays and frames in, indices out).

Candidates are ranked by the realism score of ``synthscope.metrics.realism`` (Kynkaenniemi et
al. 2019), the same scores the score stage writes to ``realism.parquet``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthscope.bias.duplicates import CopyKeys, near_copy_mask
from synthscope.neighbours import cosine_pairs, hamming_pairs, l2_normalise
from synthscope.params import NearCopyParams


def duplicate_pairs(frame: pd.DataFrame, emb: np.ndarray | None, hamming: int, cosine: float) -> list[set[int]]:
    """For each row of ``frame`` (``image_id``, ``dhash``), the other rows that are its exact or near
    copies: dhash within ``hamming`` bits or embedding cosine >= ``cosine`` (``emb`` (N, D) float).
    Blocked searches (``synthscope.neighbours``): no N x N matrix, no per-row pass over all rows."""
    ids = frame["image_id"].astype(str).to_numpy()
    pairs = [hamming_pairs(frame["dhash"].to_numpy(), hamming)]
    if emb is not None:
        pairs.append(cosine_pairs(l2_normalise(emb), cosine))  # idempotent on unit rows
    codes = pd.factorize(ids)[0]
    order = np.argsort(codes, kind="stable")
    for group in np.split(order, np.flatnonzero(np.diff(codes[order])) + 1):
        if len(group) > 1:  # byte-identical files: every ordered pair
            a, b = np.meshgrid(group, group)
            keep = a != b
            pairs.append(np.stack([a[keep], b[keep]], axis=1))
    out: list[set[int]] = [set() for _ in range(len(frame))]
    for i, j in np.concatenate(pairs).tolist():
        out[i].add(j)
    return out


def select_candidates(
    synthetic: pd.DataFrame,
    synthetic_emb: np.ndarray | None,
    realism: np.ndarray,
    real: pd.DataFrame | None,
    real_emb: np.ndarray | None,
    near_copy: NearCopyParams,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rank the synthetic rows and drop the unusable ones -> (kept rows, counts of what was dropped).

    ``synthetic`` / ``real``: attributes rows (``image_id``, ``label``, ``dhash``) aligned with
    ``*_emb`` (N, D). Memorised rows (near copies of a real image, ``near_copy.mem_*``) are dropped; of each group of near-duplicates (``near_copy.dup_*``) only the most
    realistic is kept (greedy, best first). Both use the near-copy criterion of
    ``bias.duplicates.near_copy_mask``. Returns the kept rows with ``realism`` and
    ``rank`` (0 = best within its class), sorted by label then rank; ties break on image_id
    so the order does not depend on the input order. ``*_emb`` may be raw: they are normalised
    here, as the scan compares cosines.
    """
    frame = synthetic.reset_index(drop=True).copy()
    frame["realism"] = realism
    frame["dropped"] = ""
    keys = CopyKeys.of(frame, synthetic_emb)
    if real is not None and len(real):
        copies = near_copy_mask(keys, CopyKeys.of(real, real_emb), near_copy.mem_hamming,
                                near_copy.mem_cosine)
        frame.loc[copies, "dropped"] = "copy of a real image"
    # the same criterion as near_copy_mask, as blocked pair lists (no per-row pass over all rows)
    neighbours = duplicate_pairs(frame, synthetic_emb, near_copy.dup_hamming, near_copy.dup_cosine)
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
