"""The memorisation finding's examples: nearest real image checked against scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import NearestNeighbors

from synthscope.bias.base import ScanData
from synthscope.bias.examples import memorised_examples
from synthscope.neighbours import l2_normalise
from synthscope.params import NEAR_COPY, ScanParams


def frame(role: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({
        "image_id": [f"{role}{i:060d}" for i in range(n)], "role": role, "label": ["a", "b"] * (n // 2),
        "path": [f"{role}/{i}.png" for i in range(n)],
        "dhash": rng.integers(0, 2**62, n, dtype=np.int64),
    })


@pytest.fixture
def data() -> tuple[ScanData, dict[int, int]]:
    """40 synthetic, 30 real; synthetic 3 and 7 are noisy copies of real 5 and 11, synthetic 12 a byte copy of real 2."""
    rng = np.random.default_rng(4)
    syn, real = frame("s", 40, rng), frame("r", 30, rng)
    syn_emb, real_emb = rng.normal(size=(40, 32)), rng.normal(size=(30, 32))
    copies = {3: 5, 7: 11, 12: 2}
    for s, r in copies.items():
        syn_emb[s] = real_emb[r] + 0.05 * rng.normal(size=32)
        syn.loc[s, "dhash"] = real.loc[r, "dhash"] ^ 1  # one bit apart
        syn.loc[s, "label"] = real.loc[r, "label"]
    syn.loc[12, ["image_id", "dhash"]] = real.loc[2, ["image_id", "dhash"]].to_list()
    syn_emb[12] = real_emb[2]
    return ScanData(syn, real, l2_normalise(syn_emb), l2_normalise(real_emb)), copies


def test_each_copy_is_listed_with_the_nearest_real_image_by_cosine(data):
    scan, copies = data
    examples = memorised_examples(scan, NEAR_COPY.memorization)
    listed = {int(e.synthetic.path[2:-4]): int(e.real.path[2:-4]) for e in examples}
    assert listed == copies
    nn = NearestNeighbors(n_neighbors=1, metric="cosine").fit(scan.real_emb)
    dist, idx = nn.kneighbors(scan.synthetic_emb[list(copies)])
    assert [copies[s] for s in copies] == idx[:, 0].tolist()
    by_syn = {int(e.synthetic.path[2:-4]): e for e in examples}
    assert [by_syn[s].cosine_distance for s in copies] == pytest.approx(dist[:, 0], abs=1e-5)
    assert examples[0].exact and examples[0].synthetic.path == "s/12.png"  # the byte copy first
    assert [e.hamming for e in examples[1:]] == [1, 1]
    assert [e.cosine_distance for e in examples[1:]] == sorted(e.cosine_distance for e in examples[1:])


def test_without_embeddings_the_nearest_is_by_dhash_and_without_real_there_is_none(data):
    scan, copies = data
    hashes_only = ScanData(scan.synthetic, scan.real)
    examples = memorised_examples(hashes_only, NEAR_COPY.memorization)
    assert {e.synthetic.path: e.real.path for e in examples} == {
        f"s/{s}.png": f"r/{r}.png" for s, r in copies.items()}
    assert all(e.cosine_distance is None for e in examples)
    assert memorised_examples(ScanData(scan.synthetic), NEAR_COPY.memorization) == []


def test_findings_carry_the_examples_of_their_class_up_to_the_limit(data):
    from synthscope.bias import findings, scan

    scan_data, copies = data
    flagged = scan(scan_data, ScanParams())
    examples = memorised_examples(scan_data, NEAR_COPY.memorization)
    items = [f for f in findings(flagged, examples, 2) if f.check == "memorization"]
    assert items, "three of forty synthetic images copy a real one: a memorisation finding"
    for f in items:
        wanted = [e for e in examples if f.class_ is None or e.synthetic.label == f.class_][:2]
        assert f.examples == wanted and len(f.examples) <= 2
    # bias.json leaves the key out of every other finding
    assert all("examples" not in f.model_fields_set for f in findings(flagged) if f.check != "memorization")
