"""Near-duplicates within the synthetic set, and memorisation of real images.

An image is a near-duplicate when another synthetic image is within ``near_copy.dup_hamming``
bits of its 64-bit dhash, has cosine >= ``near_copy.dup_cosine`` in embedding space, or the same
sha256. It is memorised when a real image is that close (``near_copy.mem_*``) or
byte-identical. Scores are the share of synthetic images affected, overall and per class;
near-duplicates are flagged beyond the real set's own share (photo collections hold some).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthscope.bias.base import CHECKS, ScanData, origin_of, pct, score_frame, score_row
from synthscope.neighbours import l2_normalise, max_cosine, min_hamming
from synthscope.params import NEAR_COPY, NearCopyParams, ScanParams


@dataclass(frozen=True)
class CopyKeys:
    """What near-copy detection compares, row-aligned: ``ids`` str (N,) (sha256 of the bytes:
    equal ids are exact copies), ``dhash`` int (N,) 64-bit difference hashes, ``emb`` float
    (N, D) embeddings (normalised here, so raw ones will do). Either of the last two may be None."""

    ids: np.ndarray
    dhash: np.ndarray | None = None
    emb: np.ndarray | None = None

    @classmethod
    def of(cls, frame: pd.DataFrame, emb: np.ndarray | None = None) -> CopyKeys:
        """From rows with ``image_id`` (and ``dhash`` when present, as in attributes.parquet)."""
        dhash = frame["dhash"].to_numpy() if "dhash" in frame else None
        return cls(frame["image_id"].astype(str).to_numpy(), dhash, emb)

    def take(self, idx: np.ndarray | list[int]) -> CopyKeys:
        idx = np.asarray(idx, dtype=np.int64)
        return CopyKeys(
            self.ids[idx],
            None if self.dhash is None else self.dhash[idx],
            None if self.emb is None else self.emb[idx],
        )


def near_copy_mask(
    query: CopyKeys, reference: CopyKeys, hamming: int, cosine: float, same_set: bool = False
) -> np.ndarray:
    """bool (Nq,): the query row has an exact or near copy among the reference rows.

    The one near-copy criterion of synthscope (memorisation, near-duplicates, CAS leakage,
    debias selection): same sha256, or dhash within ``hamming`` bits, or embedding cosine
    >= ``cosine``. With ``same_set`` (query is reference) a row is not its own copy, but a
    byte-identical file at another row is.
    """
    if len(query.ids) == 0:
        return np.zeros(0, dtype=bool)
    if same_set:
        exact = pd.Series(query.ids).duplicated(keep=False).to_numpy()
    else:
        exact = np.isin(query.ids, reference.ids)
    close = np.zeros(len(query.ids), dtype=bool)
    if query.dhash is not None and reference.dhash is not None:
        close |= min_hamming(query.dhash, reference.dhash, exclude_self=same_set) <= hamming
    if query.emb is not None and reference.emb is not None:
        q = l2_normalise(query.emb)
        r = q if same_set else l2_normalise(reference.emb)
        close |= max_cosine(q, r, exclude_self=same_set) >= cosine
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

    def score(self, data: ScanData, params: ScanParams, near_copy: NearCopyParams = NEAR_COPY) -> pd.DataFrame:
        syn = CopyKeys.of(data.synthetic, data.synthetic_emb)
        rule = near_copy.duplicates
        mask = near_copy_mask(syn, syn, rule.hamming, rule.cosine, same_set=True)
        share = float(mask.mean()) if len(mask) else 0.0
        ref = None
        if data.has_reference:
            real = CopyKeys.of(data.real, data.real_emb)
            ref = float(near_copy_mask(real, real, rule.hamming, rule.cosine, same_set=True).mean())
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
                flag_value=share if ref is None else max(0.0, share - ref),
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

    def score(self, data: ScanData, params: ScanParams, near_copy: NearCopyParams = NEAR_COPY) -> pd.DataFrame:
        if not data.has_reference:
            return score_frame([])
        mask = near_copy_mask(
            CopyKeys.of(data.synthetic, data.synthetic_emb),
            CopyKeys.of(data.real, data.real_emb),
            near_copy.mem_hamming,
            near_copy.mem_cosine,
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
