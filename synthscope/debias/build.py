"""From attributes, embeddings and findings to the list of images the augmented set will hold (pure).

Each :class:`Item` is one output image: a source image, a variant number (0 = the source
itself, k > 0 = its k-th transformed copy) and the attribute transforms to apply. The stage
renders and writes them; this module only decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from synthscope.debias.plan import DebiasPlan, make_plan
from synthscope.debias.select import select_candidates
from synthscope.debias.transforms import image_seed
from synthscope.documents.debias import Selection
from synthscope.errors import DataError
from synthscope.metrics.realism import realism_scores
from synthscope.neighbours import knn_radii
from synthscope.params import NEAR_COPY, DebiasParams, NearCopyParams, ScanParams, ScoreParams

# A copy repeats its source's unflagged attributes exactly: with a handful of sources (a rare
# class) the repeated values form clusters a shallow tree memorises, a new shortcut. Measured on
# the default demo (100/class, 13 usable triangles -> 70 copies): copies that were only moved
# gave a triangle size Youden J of 0.76 after (real data 0.33, before 0.03); moved and rescaled,
# no finding is left above info. Moving copies also keeps them from being near-duplicates.
VARIANT_EXTRA = ("size", "location")


@dataclass(frozen=True)
class Item:
    """One image of the augmented set. ``file``: absolute source path; ``attributes``: transforms."""

    image_id: str
    label: str
    source_role: str
    source_path: str
    file: Path
    variant: int
    attributes: tuple[str, ...]


def _items(rows: pd.DataFrame, role: str, variant: int, attributes: tuple[str, ...]) -> list[Item]:
    return [
        Item(str(r.image_id), str(r.label), role, str(r.path), Path(str(r.root)) / str(r.path), variant, attributes)
        for r in rows.itertuples(index=False)
    ]


def fill(ranked: pd.DataFrame, n: int, attributes: tuple[str, ...], first_variant: int, label: str) -> list[Item]:
    """``n`` synthetic items from ``ranked`` (best first), cycling with growing variant numbers.

    Items of variant 0 are the sources themselves (with the flagged transforms); later rounds
    are transformed copies, which also get ``VARIANT_EXTRA``.
    """
    if n > 0 and ranked.empty:
        raise DataError(f"class {label!r} has no usable synthetic image to fill it with; add synthetic "
                        "images of it or give it a smaller share in debias.target")
    out: list[Item] = []
    for j in range(n):
        variant = first_variant + j // len(ranked)
        attrs = attributes if variant == 0 else tuple(dict.fromkeys(attributes + VARIANT_EXTRA))
        out += _items(ranked.iloc[[j % len(ranked)]], "synthetic", variant, attrs)
    return out


def realism_of(syn: np.ndarray, real: np.ndarray | None, k: int) -> np.ndarray:
    """Realism scores of the synthetic rows; without enough real rows, typicality in the synthetic
    set itself (minus the k-NN radius: dense regions first)."""
    if real is not None and len(real) > k:
        return realism_scores(real, syn, k)
    if len(syn) > 1:
        return -knn_radii(syn, min(k, len(syn) - 1))
    return np.zeros(len(syn))


def build_items(
    attributes: pd.DataFrame,
    emb_index: pd.DataFrame,
    features: np.ndarray,
    findings: pd.DataFrame,
    params: DebiasParams,
    scan: ScanParams,
    realism_k: int = ScoreParams.realism_k,
    near_copy: NearCopyParams = NEAR_COPY,
) -> tuple[DebiasPlan, list[Item], Selection]:
    """(plan, items sorted by label/role/id/variant, selection counts).

    ``attributes``: attributes.parquet; ``emb_index`` / ``features`` (N, D): ``load_embeddings``
    rows, the same ok manifest rows in the same order; ``findings``: bias_findings.parquet;
    ``realism_k``: ``score.realism_k``, so candidates rank by the scores in ``realism.parquet``;
    ``near_copy``: which candidates are copies (dropped) or duplicates of each other.
    """
    if not attributes[["role", "path"]].reset_index(drop=True).equals(emb_index[["role", "path"]]):
        raise DataError("attributes.parquet and the stored embeddings list different images; "
                        "re-run `synthscope stage features`")
    table = attributes.assign(root=emb_index["root"].to_numpy())
    is_syn = (table["role"] == "synthetic").to_numpy()
    is_real = (table["role"] == "real").to_numpy()
    syn, real = table[is_syn].reset_index(drop=True), table[is_real].reset_index(drop=True)
    real_feats = features[is_real] if is_real.any() else None
    realism = realism_of(features[is_syn], real_feats, realism_k)
    kept, counts = select_candidates(syn, features[is_syn], realism, real if len(real) else None, real_feats,
                                     near_copy)
    real_unique = real.drop_duplicates("image_id")
    real_counts = real_unique["label"].astype(str).value_counts() if len(real_unique) else None
    plan = make_plan(findings, kept["label"].astype(str).value_counts(), real_counts, params,
                     scan.imbalance_levels[0])
    items: list[Item] = []
    for label, target in plan.target_counts.items():
        ranked = kept[kept["label"].astype(str) == label]
        if plan.role == "synthetic":
            keep = ranked.iloc[:target]
            items += _items(keep, "synthetic", 0, plan.attributes)
            items += fill(ranked, target - len(keep), plan.attributes, 1, label)
        else:
            own = real_unique[real_unique["label"].astype(str) == label]
            # Undersampling drops a seeded, order-free choice of real images.
            order = sorted(own["image_id"], key=lambda i: image_seed(params.seed, str(i), 0))
            keep = own.set_index("image_id").loc[order[:target]].reset_index()
            items += _items(keep, "real", 0, ())
            items += fill(ranked, target - len(keep), plan.attributes, 0, label)
    items.sort(key=lambda it: (it.label, it.source_role, it.image_id, it.variant))
    selection = Selection(**counts, realism_median=float(np.median(realism)) if len(realism) else None)
    return plan, items, selection
