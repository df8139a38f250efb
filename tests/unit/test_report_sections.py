"""Section tables checked against independent references (numpy/pandas/scikit-learn on the same data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthscope.documents import Finding
from synthscope.report import sections
from tests.documents_fakes import finding


def manifest():
    rows = (
        [("synthetic", "a", "ok")] * 6 + [("synthetic", "b", "ok")] * 2 + [("synthetic", "b", "quarantined")]
    )
    rows += [("real", "a", "ok")] * 3 + [("real", "b", "ok")] * 3
    return pd.DataFrame(
        {
            "image_id": [f"{i:064x}" for i in range(len(rows))],
            "role": [r[0] for r in rows],
            "label": [r[1] for r in rows],
            "status": [r[2] for r in rows],
            "reason": ["" if r[2] == "ok" else "truncated" for r in rows],
            "duplicate_of": [""] * len(rows),
            "path": [f"{i}.png" for i in range(len(rows))],
            "root": ["/d"] * len(rows),
        }
    )


def test_class_balance_counts_ok_images_per_role():
    rows = {r["label"]: r for r in sections.class_balance(manifest())}
    assert (rows["a"]["synthetic"], rows["b"]["synthetic"], rows["a"]["real"]) == (6, 2, 3)
    assert rows["a"]["synthetic_fraction"] == pytest.approx(0.75)
    summary = sections.dataset_summary(manifest())
    assert summary["synthetic"].n_quarantined == 1 and summary["synthetic"].quarantine_reasons == {
        "truncated": 1
    }


def test_location_heatmap_matches_a_direct_count():
    rng = np.random.default_rng(0)
    attrs = pd.DataFrame(
        {
            "role": "synthetic",
            "label": "a",
            "centroid_x": rng.uniform(0, 1, 200),
            "centroid_y": rng.uniform(0, 0.5, 200),
        }
    )
    (h,) = sections.location_heatmaps(attrs, 4)
    grid = np.array(h.grid)
    assert grid.sum() == pytest.approx(1.0)
    assert grid[2:].sum() == 0.0  # nothing in the bottom half: row 0 is the top of the image
    x, y = attrs["centroid_x"].to_numpy(), attrs["centroid_y"].to_numpy()
    assert grid[1, 3] == pytest.approx(np.mean((y >= 0.25) & (y < 0.5) & (x >= 0.75)))


def test_attribute_summary_percentiles_match_pandas():
    rng = np.random.default_rng(1)
    attrs = pd.DataFrame({"role": "real", "label": "a", "fg_area": rng.uniform(0, 1, 101)})
    (row,) = sections.attribute_summary(attrs)
    q = attrs["fg_area"].quantile([0.1, 0.5, 0.9]).to_numpy()
    assert [row.p10, row.p50, row.p90] == pytest.approx(list(q))
    assert row.attribute == "size" and row.std == pytest.approx(attrs["fg_area"].std(ddof=0))


def test_histogram_fractions_sum_to_one_on_shared_bins():
    attrs = pd.DataFrame(
        {"role": ["real"] * 3 + ["synthetic"] * 2, "label": "a", "obj_hue": [10.0, 20.0, 350.0, 10.0, 10.0]}
    )
    rows = sections.attribute_histograms(attrs, "obj_hue", bins=12)
    for role in ("real", "synthetic"):
        part = [r for r in rows if r.role == role]
        assert len(part) == 12 and sum(r.fraction for r in part) == pytest.approx(1.0)
    assert rows[0].bin_lo == 0.0 and rows[11].bin_hi == 360.0


def _example(index, qi, ni, dist):
    ref = {i: {"image_id": index.image_id[i], "path": index.path[i], "label": index.label[i]} for i in (qi, ni)}
    return {"synthetic": ref[qi], "real": ref[ni], "exact": False, "hamming": 1, "cosine_distance": dist}


def test_memorized_pairs_come_from_the_scan_examples_overall_first_each_image_once():
    index = manifest().query("status == 'ok'").reset_index(drop=True)  # rows 0-7 synthetic, 8-13 real
    def memorization(cls, examples):
        return Finding.model_validate(finding("high", "memorization", cls=cls, attribute=None, examples=examples))

    per_class = memorization("a", [_example(index, 1, 9, 0.02)])
    overall = memorization(None, [_example(index, 0, 8, 0.01), _example(index, 1, 9, 0.02)])
    gone = _example(index, 2, 10, 0.03) | {"real": {"image_id": "f" * 64, "path": "gone.png", "label": "a"}}
    other = Finding.model_validate(finding("high"))
    with_gone = memorization(None, [_example(index, 0, 8, 0.01), _example(index, 1, 9, 0.02), gone])
    pairs = sections.memorized_pairs([other, per_class, with_gone], index, 5)
    assert [(p.query.image_id, p.neighbour.image_id, p.distance) for p in pairs] == [
        (index.image_id[0], index.image_id[8], 0.01), (index.image_id[1], index.image_id[9], 0.02)]
    assert pairs[0].query.role == "synthetic" and pairs[0].neighbour.root == "/d"
    assert len(sections.memorized_pairs([overall], index, 1)) == 1
