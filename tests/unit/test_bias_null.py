"""Real-vs-real noise: halves of the real set, the excess over their noise, the low cap and origins."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from synthscope.bias import ScanData, scan
from synthscope.bias.base import score_frame, score_row
from synthscope.bias.null import NO_NULL, calibrate, excess_over, real_halves
from synthscope.params import ScanParams
from tests.bias_fakes import make_attributes

P = ScanParams()


def test_real_halves_are_disjoint_equal_and_aligned():
    real = make_attributes(11, seed=2, role="real")  # 33 rows: halves of 16, one row left out
    emb = np.arange(len(real), dtype=np.float32)[:, None] * np.ones((1, 4), np.float32)
    halves = real_halves(ScanData(make_attributes(5, seed=1), real, None, emb), seed=0)
    assert halves.null_pair and len(halves.synthetic) == len(halves.real) == 16
    assert set(halves.synthetic["role"]) == {"synthetic"} and set(halves.real["role"]) == {"real"}
    assert not set(halves.synthetic["image_id"]) & set(halves.real["image_id"])
    row = real.index[real["image_id"] == halves.synthetic["image_id"].iloc[0]][0]
    assert halves.synthetic_emb[0, 0] == row  # embeddings follow their rows
    assert real_halves(ScanData(make_attributes(5, seed=1), real.iloc[:3]), seed=0) is None


def test_excess_is_a_share_of_the_headroom_above_the_noise():
    got = excess_over(np.array([1.0, 0.5, 0.2, 0.9]), np.array([0.3, 0.5, 0.4, 0.0]))
    assert got == pytest.approx([1.0, 0.0, 0.0, 0.9])
    assert excess_over(np.array([0.65]), np.array([0.3]))[0] == pytest.approx(0.5)


def _scores() -> pd.DataFrame:
    return score_frame([
        score_row("shortcut", "color", "a", "youden_j", 0.9, 0.1, 0.8, "introduced", "m1"),
        score_row("shortcut", "color", "b", "youden_j", 0.3, 0.1, 0.2, "introduced", "m2"),
        score_row("shortcut", "size", "a", "youden_j", 0.9, 0.6, 0.3, "copied", "m3"),
        score_row("consistency", "color", "tiny", "spread_ratio", 0.1, 1.0, 0.9, "introduced", "m4"),
        score_row("drift", "color", None, "classifier_auc", 0.9, 0.5, 0.7, "introduced", "m5"),
        score_row("shortcut", "color", None, "nmi", 0.2, 0.1, float("nan"), "unknown", "m6"),
    ])


def _levels() -> pd.DataFrame:
    return pd.DataFrame([
        {"check": "shortcut", "attribute": "color", "metric": "youden_j", "class": "a", "null_n": 4, "noise": 0.2},
        {"check": "shortcut", "attribute": "color", "metric": "youden_j", "class": "b", "null_n": 4, "noise": 0.25},
        {"check": "shortcut", "attribute": "size", "metric": "youden_j", "class": "a", "null_n": 4, "noise": 0.1},
        {"check": "consistency", "attribute": "color", "metric": "spread_ratio", "class": "tiny", "null_n": 1, "noise": 0.1},
    ]).assign(null_mean=0.0, null_sd=0.0)


def test_calibrate_flags_the_excess_and_sets_origins():
    out = calibrate(_scores(), _levels(), P, by_test=frozenset({"drift"})).set_index("message", drop=False)
    out.index = [m.split(" ")[0] for m in out.index]
    assert out.loc["m1", "flag_value"] == pytest.approx((0.8 - 0.2) / 0.8)
    assert out.loc["m1", "origin"] == "introduced" and "[0.80 against 0.20 between two halves" in out.loc["m1", "message"]
    # within the noise: nothing flagged, and "introduced" is not claimed
    assert out.loc["m2", "flag_value"] == 0.0 and out.loc["m2", "origin"] == "unknown"
    # a copied shortcut the generator made stronger beyond the noise is introduced
    assert out.loc["m3", "flag_value"] > 0 and out.loc["m3", "origin"] == "introduced"
    # measured on one null pair only: raw value kept, no reliable null, said in the message
    assert out.loc["m4", "flag_value"] == 0.9 and not out.loc["m4", "null_ok"] and NO_NULL in out.loc["m4", "message"]
    # drift is its own test: untouched; an info-only row stays NaN
    assert out.loc["m5", "flag_value"] == 0.7 and out.loc["m5", "null_ok"] and out.loc["m5", "message"] == "m5"
    assert np.isnan(out.loc["m6", "flag_value"]) and out.loc["m6", "null_ok"]


def test_no_reliable_null_caps_the_severity_at_low():
    from synthscope.bias.flag import flag

    flagged = flag(calibrate(_scores(), _levels(), P, by_test=frozenset({"drift"})), P)
    tiny = flagged[flagged["class"] == "tiny"].iloc[0]
    assert tiny["raw_flag_value"] == 0.9 and tiny["severity"] == "low"


def test_class_counts_that_differ_by_sampling_are_not_an_imbalance():
    """36 balanced real rows; the synthetic counts 14/6/10 are within what halves of them show."""
    syn = make_attributes({"circle": 14, "square": 6, "triangle": 10}, seed=1)
    real = make_attributes(12, seed=2, role="real")
    raw = scan(ScanData(syn, real), dataclasses.replace(P, null_splits=0))
    hit = raw[(raw["check"] == "imbalance") & (raw["class"] == "square")].iloc[0]
    assert hit["severity"] == "medium"  # uncalibrated: a finding from sampling noise
    calibrated = scan(ScanData(syn, real), P)
    row = calibrated[(calibrated["check"] == "imbalance") & (calibrated["class"] == "square")].iloc[0]
    assert row["severity"] in ("info", "low") and row["null_noise"] > 0.3


def test_a_planted_imbalance_is_still_found():
    syn = make_attributes({"circle": 60, "square": 27, "triangle": 9}, seed=1)
    flagged = scan(ScanData(syn, make_attributes(60, seed=2, role="real")), P)
    hits = flagged[(flagged["check"] == "imbalance") & flagged["severity"].isin(["medium", "high"])]
    # triangle has 9 images where its real share would give 32; square (27) is within what halves
    # of the real set show against their largest class, so at most low
    assert set(hits["class"]) == {"triangle"} and set(hits["origin"]) == {"introduced"}
    square = flagged[(flagged["check"] == "imbalance") & (flagged["class"] == "square")].iloc[0]
    assert square["severity"] in ("info", "low") and square["raw_flag_value"] > 0.5


def test_class_count_null_flags_a_rare_class_and_not_sampling_noise():
    """The imbalance knob of the acceptance test (6 triangles against 40 real) is beyond the
    class-count null; counts that are halves of one balanced set never are (the null-pair rule)."""
    from synthscope.bias.imbalance import class_deficits, count_null
    from synthscope.bias.null import excess_over

    syn, real = np.array([40, 18, 6]), np.array([40, 40, 40])
    _, _, noise = count_null(syn, real, P.null_z, seed=0)
    excess = excess_over(class_deficits(syn, real), noise)
    assert excess[2] >= P.imbalance_levels[1] and excess[0] == 0.0  # triangle: at least medium
    rng = np.random.default_rng(5)
    worst = 0.0
    for _ in range(200):  # halves of 120 balanced real images, as the scan's null pairs draw them
        labels = rng.permutation(np.repeat([0, 1, 2], 40))
        a, b = np.bincount(labels[:60], minlength=3), np.bincount(labels[60:], minlength=3)
        worst = max(worst, excess_over(class_deficits(a, b), count_null(a, b, P.null_z, seed=1)[2]).max())
    assert worst < P.imbalance_levels[1]  # never above low


def test_the_imbalance_row_says_which_null_calibrated_it():
    syn = make_attributes({"circle": 60, "square": 27, "triangle": 9}, seed=1)
    flagged = scan(ScanData(syn, make_attributes(60, seed=2, role="real")), P)
    triangle = flagged[(flagged["check"] == "imbalance") & (flagged["class"] == "triangle")].iloc[0]
    assert "from sampling alone at these class counts]" in triangle["message"]
    assert 0.4 < triangle["null_noise"] < 0.7 and triangle["raw_flag_value"] == pytest.approx(1 - 9 / 60)


def test_size_scale_is_the_ratio_of_two_sample_noise():
    """Independent reference: the spread of a difference of means, simulated, synthetic (n_s) vs
    real (n_r) against two halves of the real set, as the scan draws its null pairs."""
    from synthscope.bias.null import size_scale

    assert size_scale(np.array([60]), np.array([60]))[0] == pytest.approx(np.sqrt(0.5))
    assert size_scale(np.array([0, 5]), np.array([10, 1])).tolist() == [1.0, 1.0]  # nothing to scale
    rng = np.random.default_rng(0)
    for n_s, n_r in ((60, 60), (20, 80), (9, 20)):
        real = rng.normal(size=(4000, n_r))
        halves = real[:, : n_r // 2].mean(1) - real[:, n_r // 2 : 2 * (n_r // 2)].mean(1)
        compared = rng.normal(size=(4000, n_s)).mean(1) - real.mean(1)
        assert compared.std() / halves.std() == pytest.approx(size_scale(np.array([n_s]), np.array([n_r]))[0], rel=0.05)


def test_null_pairs_of_the_same_real_set_are_scored_once():
    """The re-scan after debias shares the real set with the scan: its null pairs are served
    again, and any change to the real rows, their embeddings, the params or the scorer
    scores them anew."""
    from synthscope.bias import null

    real = make_attributes(10, seed=2, role="real")
    emb = np.random.default_rng(0).normal(size=(len(real), 4)).astype(np.float32)
    calls = []

    def scorer(halves: ScanData, params: ScanParams) -> pd.DataFrame:
        calls.append(len(halves.real))
        return score_frame([score_row("shortcut", "color", None, "nmi", 0.2, 0.1, float(len(calls)), "unknown", "m")])

    params = dataclasses.replace(P, null_splits=3)
    first = null.null_levels(ScanData(make_attributes(5, seed=1), real, None, emb), params, scorer, scorer="v1")
    assert len(calls) == 3
    other_synthetic = ScanData(make_attributes(7, seed=9), real.copy(), None, emb.copy())
    again = null.null_levels(other_synthetic, params, scorer, scorer="v1")
    assert len(calls) == 3  # served: same real content (copies), another synthetic set
    assert again["null_mean"].tolist() == first["null_mean"].tolist()
    changed = real.copy()
    changed.loc[0, "fg_area"] += 0.01
    for data, p, key in ((ScanData(make_attributes(5, seed=1), changed, None, emb), params, "v1"),
                         (ScanData(make_attributes(5, seed=1), real, None, emb + 1), params, "v1"),
                         (ScanData(make_attributes(5, seed=1), real, None, emb), dataclasses.replace(params, null_z=3.0), "v1"),
                         (ScanData(make_attributes(5, seed=1), real, None, emb), params, "v2")):
        before = len(calls)
        null.null_levels(data, p, scorer, scorer=key)
        assert len(calls) == before + 3
    null.null_levels(ScanData(make_attributes(5, seed=1), real, None, emb), params, scorer)  # no scorer: no reuse
    null.null_levels(ScanData(make_attributes(5, seed=1), real, None, emb), params, scorer)
    assert len(calls) == 4 * 3 + 3 + 6
