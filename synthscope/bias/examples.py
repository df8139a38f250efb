"""The images behind two findings, each with its nearest real image, for ``bias.json``.

The memorisation check scores the share of synthetic images that copy a real one; a user
also wants to see them: every such image with the real image it is closest to, most certain
first (the report's gallery). The drift check's embedding classifier tells synthetic from
real; the images it finds most synthetic-looking show what the gap looks like (the report's
drift section). The report shows these lists; it never recomputes them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthscope.bias.base import ScanData
from synthscope.bias.drift import embedding_fit
from synthscope.bias.duplicates import CopyKeys, near_copy_mask
from synthscope.documents.bias import DriftExample, ImageRef, MemorizedExample
from synthscope.params import CopyRule, ScanParams

BLOCK = 512  # synthetic rows per block: block x N_real distances at a time


def _ref(frame: pd.DataFrame, i: int) -> ImageRef:
    return ImageRef(image_id=str(frame["image_id"].iat[i]), path=str(frame["path"].iat[i]),
                    label=str(frame["label"].iat[i]))


def _nearest(data: ScanData, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """For synthetic ``rows`` (M,): nearest real row (M,) int64, its Hamming distance (M,) int64 and
    cosine distance (M,) float64 or None. Nearest by embedding when there are embeddings, else by
    dhash; a byte-identical real image always wins."""
    syn, real = data.synthetic, data.real
    assert real is not None
    real_hash = real["dhash"].to_numpy().astype(np.uint64)
    syn_hash = syn["dhash"].to_numpy().astype(np.uint64)
    with_emb = data.synthetic_emb is not None and data.real_emb is not None
    nearest, ham = np.empty(len(rows), np.int64), np.empty(len(rows), np.int64)
    cos = np.empty(len(rows)) if with_emb else None
    real_pos = pd.Series(np.arange(len(real)), index=real["image_id"].to_numpy())
    real_pos = real_pos[~real_pos.index.duplicated()]
    for start in range(0, len(rows), BLOCK):
        block = rows[start : start + BLOCK]
        bits = np.bitwise_count(syn_hash[block, None] ^ real_hash[None, :]).astype(np.int64)
        if with_emb:
            sim = data.synthetic_emb[block] @ data.real_emb.T  # float32, as the check's max_cosine
            best = sim.argmax(axis=1)
        else:
            best = bits.argmin(axis=1)
        same = real_pos.reindex(syn["image_id"].to_numpy()[block]).to_numpy()
        best = np.where(np.isnan(same), best, np.nan_to_num(same)).astype(np.int64)
        at = np.arange(len(block))
        nearest[start : start + len(block)] = best
        ham[start : start + len(block)] = bits[at, best]
        if cos is not None:
            cos[start : start + len(block)] = 1.0 - sim[at, best]
    return nearest, ham, cos


def memorised_examples(data: ScanData, rule: CopyRule) -> list[MemorizedExample]:
    """Every synthetic image the memorisation check counts, with its nearest real image.

    Byte-identical copies first, then by cosine distance (or Hamming distance without
    embeddings), then synthetic path; [] without a real reference.
    """
    if data.real is None or not data.has_reference:
        return []
    real = data.real
    mask = near_copy_mask(CopyKeys.of(data.synthetic, data.synthetic_emb), CopyKeys.of(real, data.real_emb),
                          rule.hamming, rule.cosine)
    rows = np.flatnonzero(mask)
    nearest, ham, cos = _nearest(data, rows)
    out = []
    for k, i in enumerate(rows):
        syn_ref, real_ref = _ref(data.synthetic, int(i)), _ref(real, int(nearest[k]))
        out.append(MemorizedExample(
            synthetic=syn_ref, real=real_ref, exact=syn_ref.image_id == real_ref.image_id,
            hamming=int(ham[k]), cosine_distance=None if cos is None else max(round(float(cos[k]), 6), 0.0),
        ))
    out.sort(key=lambda e: (not e.exact, e.hamming if e.cosine_distance is None else e.cosine_distance,
                            e.synthetic.path))
    return out


def drift_examples(data: ScanData, params: ScanParams, limit: int) -> list[DriftExample] | None:
    """Up to ``limit`` synthetic images the drift check's embedding classifier finds most synthetic-looking.

    Highest probability first (ties by synthetic row), each with its nearest real image by
    cosine; None without a real set or embeddings, [] when ``limit`` is 0 or the classifier
    cannot be fitted (too few rows).
    """
    if not data.has_reference or data.synthetic_emb is None or data.real_emb is None:
        return None
    assert data.real is not None
    if limit <= 0:
        return []
    _, proba = embedding_fit(data, params)
    if not np.isfinite(proba).all():
        return []
    order = np.argsort(-proba, kind="stable")[:limit]
    sim = data.synthetic_emb[order] @ data.real_emb.T  # unit rows: a dot product is a cosine
    best = sim.argmax(axis=1)

    def distance(i: int, j: int) -> float:
        """In float64 from the rows themselves: a float32 product's last bits depend on the BLAS
        path (two runs on the same embeddings would write different bias.json files)."""
        a, b = data.synthetic_emb[i].astype(np.float64), data.real_emb[j].astype(np.float64)
        return float(1.0 - np.sum(a * b))

    return [DriftExample(synthetic=_ref(data.synthetic, int(i)), real=_ref(data.real, int(j)),
                         probability=float(proba[i]), cosine_distance=distance(int(i), int(j)))
            for i, j in zip(order, best, strict=True)]
