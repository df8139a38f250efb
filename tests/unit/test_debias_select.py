"""Selection drops copies and near-duplicates (the realism score is tested in test_realism.py)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from synthscope.debias.select import select_candidates
from synthscope.params import NearCopyParams


def frame(n: int, role: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "image_id": [hashlib.sha256(f"{role}{seed}{i}".encode()).hexdigest() for i in range(n)],
        "label": ["a" if i % 2 else "b" for i in range(n)],
        "path": [f"{i}.png" for i in range(n)],
        "dhash": rng.integers(-(2**62), 2**62, size=n),
    })


def test_selection_drops_copies_of_real_and_keeps_the_best_of_each_duplicate_group():
    rng = np.random.default_rng(1)
    syn, real = frame(12, "s", 0), frame(10, "r", 1)
    syn_emb, real_emb = rng.normal(size=(12, 16)), rng.normal(size=(10, 16))
    syn.loc[0, "dhash"] = real.loc[4, "dhash"]  # a near-copy of a real image (same hash)
    syn.loc[3, "dhash"] = syn.loc[5, "dhash"] ^ 1  # near-duplicates by hash: 1 bit apart
    syn_emb[7] = syn_emb[9] * 2.0  # near-duplicates by embedding: cosine 1
    realism = np.arange(12, dtype=float)  # higher index = more realistic
    kept, counts = select_candidates(syn, syn_emb, realism, real, real_emb, NearCopyParams())
    ids = set(kept["image_id"])
    assert syn.loc[0, "image_id"] not in ids
    assert syn.loc[5, "image_id"] in ids and syn.loc[3, "image_id"] not in ids
    assert syn.loc[9, "image_id"] in ids and syn.loc[7, "image_id"] not in ids
    assert counts == {"n_synthetic": 12, "n_copies_of_real": 1, "n_near_duplicates": 2, "n_kept": 9}
    assert list(kept.groupby("label")["rank"].apply(list)["a"]) == list(range((kept["label"] == "a").sum()))
    assert kept.groupby("label")["realism"].apply(lambda r: r.is_monotonic_decreasing).all()
    # The choice does not depend on the input order.
    order = rng.permutation(12)
    shuffled, _ = select_candidates(syn.iloc[order], syn_emb[order], realism[order], real, real_emb, NearCopyParams())
    assert list(shuffled["image_id"]) == list(kept["image_id"])
