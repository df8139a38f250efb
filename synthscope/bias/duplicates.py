"""Near-duplicates within the synthetic set, and memorisation of real images.

An image is a near-duplicate when another synthetic image is within ``dup_hamming`` bits
of its 64-bit dhash, has cosine >= ``dup_cosine`` in embedding space, or the same sha256.
It is memorised when a real image is that close (``mem_hamming`` / ``mem_cosine``) or
byte-identical. Scores are the share of synthetic images affected, overall and per class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthscope.bias.base import CHECKS, ScanData, origin_of, pct, score_frame, score_row
from synthscope.neighbours import max_cosine, min_hamming
from synthscope.params import ScanParams


def near_duplicate_mask(
    frame: pd.DataFrame, emb: np.ndarray | None, hamming: int, cosine: float
) -> np.ndarray:
    """bool (N,): the row has another row of ``frame`` that is a near or exact copy."""
    exact = frame["image_id"].duplicated(keep=False).to_numpy()
    close = min_hamming(frame["dhash"].to_numpy(), frame["dhash"].to_numpy(), exclude_self=True) <= hamming
    if emb is not None:
        close |= max_cosine(emb, emb, exclude_self=True) >= cosine
    return exact | close


def memorised_mask(
    syn: pd.DataFrame,
    real: pd.DataFrame,
    syn_emb: np.ndarray | None,
    real_emb: np.ndarray | None,
    hamming: int,
    cosine: float,
) -> np.ndarray:
    """bool (Ns,): the synthetic row is byte-identical or a near copy of some real row."""
    exact = syn["image_id"].isin(set(real["image_id"])).to_numpy()
    close = min_hamming(syn["dhash"].to_numpy(), real["dhash"].to_numpy()) <= hamming
    if syn_emb is not None and real_emb is not None:
        close |= max_cosine(syn_emb, real_emb) >= cosine
    return exact | close


def _per_class_rows(check: str, frame: pd.DataFrame, mask: np.ndarray, what: str) -> list[dict]:
    rows = []
    for label, idx in frame.groupby(frame["label"].astype(str)).indices.items():
        share = float(mask[idx].mean())
        rows.append(
            score_row(
                check,
                None,
                label,
                "share",
                share,
                message=f"{pct(share)} of synthetic {label} images {what}.",
            )
        )
    return rows


@CHECKS.register("duplicates")
class Duplicates:
    """Share of synthetic images with a near-duplicate inside the synthetic set."""

    name = "duplicates"

    def score(self, data: ScanData, params: ScanParams) -> pd.DataFrame:
        mask = near_duplicate_mask(data.synthetic, data.synthetic_emb, params.dup_hamming, params.dup_cosine)
        share = float(mask.mean()) if len(mask) else 0.0
        ref = None
        if data.has_reference:
            ref = float(
                near_duplicate_mask(data.real, data.real_emb, params.dup_hamming, params.dup_cosine).mean()
            )
        text = (
            f"{pct(share)} of synthetic images ({int(mask.sum())}) have a near-duplicate in the synthetic set"
        )
        rows = [
            score_row(
                "duplicates",
                None,
                None,
                "share",
                share,
                float("nan") if ref is None else ref,
                flag_value=share,
                origin=origin_of(share, ref, params.copied_ratio),
                message=text + (f" (real set: {pct(ref)})." if ref is not None else "."),
            )
        ]
        return score_frame(
            rows + _per_class_rows("duplicates", data.synthetic, mask, "have a near-duplicate")
        )


@CHECKS.register("memorization")
class Memorization:
    """Share of synthetic images that are exact or near copies of real images."""

    name = "memorization"

    def score(self, data: ScanData, params: ScanParams) -> pd.DataFrame:
        if not data.has_reference:
            return score_frame([])
        mask = memorised_mask(
            data.synthetic,
            data.real,
            data.synthetic_emb,
            data.real_emb,
            params.mem_hamming,
            params.mem_cosine,
        )
        exact = int(data.synthetic["image_id"].isin(set(data.real["image_id"])).sum())
        share = float(mask.mean()) if len(mask) else 0.0
        rows = [
            score_row(
                "memorization",
                None,
                None,
                "share",
                share,
                0.0,
                flag_value=share,
                origin="introduced",
                message=(
                    f"{pct(share)} of synthetic images ({int(mask.sum())}, {exact} byte-identical) "
                    f"are near copies of real images."
                ),
            )
        ]
        return score_frame(rows + _per_class_rows("memorization", data.synthetic, mask, "copy a real image"))
