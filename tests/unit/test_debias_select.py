"""Realism score against a hand-computed case; selection drops copies and near-duplicates."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from synthscope.debias.select import realism_scores, select_candidates
from synthscope.params import ScanParams


def test_realism_score_matches_a_hand_computed_case():
    # 1-NN radii: 1, 1, 1, 1 and 7 for the outlier at 10; the median is 1, so the outlier's
    # ball is pruned. At 1.5 the best ratio is 1 / 0.5 = 2; at 9 it is 1 / 6 (7 / 1 unpruned).
    real = np.array([[0.0], [1.0], [2.0], [3.0], [10.0]])
    scores = realism_scores(real, np.array([[1.5], [9.0], [1.0]]), k=1)
    assert scores[0] == pytest.approx(2.0)
    assert scores[1] == pytest.approx(1 / 6)
    assert np.isinf(scores[2])  # on a real sample
    with pytest.raises(ValueError, match="more than k"):
        realism_scores(real[:1], real, k=1)


def test_realism_score_in_two_dimensions_by_brute_force(monkeypatch):
    from synthscope import neighbours

    monkeypatch.setattr(neighbours, "block_rows", lambda n, itemsize=8, budget=None: 3)  # many blocks
    rng = np.random.default_rng(0)
    real, cand, k = rng.normal(size=(30, 2)), rng.normal(size=(7, 2)), 3
    dist = np.linalg.norm(real[:, None] - real[None], axis=2)
    radii = np.sort(dist, axis=1)[:, k]
    keep = radii <= np.median(radii)
    expected = [max(r / np.linalg.norm(g - x) for x, r in zip(real[keep], radii[keep], strict=True)) for g in cand]
    assert realism_scores(real, cand, k) == pytest.approx(expected)


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
    kept, counts = select_candidates(syn, syn_emb, realism, real, real_emb, ScanParams())
    ids = set(kept["image_id"])
    assert syn.loc[0, "image_id"] not in ids
    assert syn.loc[5, "image_id"] in ids and syn.loc[3, "image_id"] not in ids
    assert syn.loc[9, "image_id"] in ids and syn.loc[7, "image_id"] not in ids
    assert counts == {"n_synthetic": 12, "n_copies_of_real": 1, "n_near_duplicates": 2, "n_kept": 9}
    assert list(kept.groupby("label")["rank"].apply(list)["a"]) == list(range((kept["label"] == "a").sum()))
    assert kept.groupby("label")["realism"].apply(lambda r: r.is_monotonic_decreasing).all()
    # The choice does not depend on the input order.
    order = rng.permutation(12)
    shuffled, _ = select_candidates(syn.iloc[order], syn_emb[order], realism[order], real, real_emb, ScanParams())
    assert list(shuffled["image_id"]) == list(kept["image_id"])
