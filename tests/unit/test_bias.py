"""Bias checks on hand-made attribute frames: each planted bias found, controls clean."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthscope.bias import CHECKS, SCORE_COLUMNS, ScanData, findings, scan, summary
from synthscope.bias.flag import severity_of
from synthscope.bias.imbalance import imbalance_ratio, normalised_entropy
from synthscope.documents import dump
from synthscope.documents.stages import ExtractorInfo
from synthscope.errors import ConfigError
from synthscope.params import ScanParams, build_section
from synthscope.schema import CHECKS as CHECK_NAMES
from tests.bias_fakes import make_attributes
from tests.documents_fakes import INFO

P = ScanParams()
COLOR = {"circle": 0.0, "square": 220.0, "triangle": 120.0}


def above_low(flagged: pd.DataFrame) -> pd.DataFrame:
    return flagged[flagged["severity"].isin(["medium", "high"])]


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return make_attributes(60, seed=2, role="real")


@pytest.mark.parametrize("name", [n for n, _ in CHECKS])
@pytest.mark.parametrize("with_reference", [True, False])
def test_every_check_returns_the_score_contract(name, with_reference, real):
    syn = make_attributes(40, seed=1)
    data = ScanData(syn, real if with_reference else None)
    frame = CHECKS.get(name)().score(data, P)
    assert list(frame.columns) == list(SCORE_COLUMNS)
    assert name in CHECK_NAMES and set(frame["check"]) <= {name}
    assert set(frame["origin"]) <= {"introduced", "copied", "unknown"}
    if not with_reference:
        assert set(frame["origin"]) <= {"unknown"}
    assert frame["message"].str.len().gt(0).all()


def test_red_circle_blue_square_is_an_introduced_color_shortcut_beyond_real_noise(real):
    syn = make_attributes(60, seed=1, hue_by_class=COLOR)
    flagged = scan(ScanData(syn, real), P)
    hits = above_low(flagged[flagged["check"] == "shortcut"])
    assert set(hits["attribute"]) == {"color"} and set(hits["class"]) == set(COLOR)
    assert "high" in set(hits["severity"])
    # what is flagged is the excess over two halves of the real set, a share of the headroom above it
    row = hits.iloc[0]
    assert row["null_noise"] > 0 and row["flag_value"] == pytest.approx(
        (row["raw_flag_value"] - row["null_noise"]) / (1 - row["null_noise"]))
    assert set(hits["origin"]) == {"introduced"}
    msg = hits.set_index("class").loc["circle", "message"]
    assert msg.startswith("circle is red in 100% of synthetic images") and "of real ones" in msg


def test_shortcut_also_in_real_data_is_copied():
    syn = make_attributes(60, seed=1, hue_by_class=COLOR)
    real = make_attributes(60, seed=2, role="real", hue_by_class=COLOR, hue_jitter=10)
    flagged = scan(ScanData(syn, real), P)
    assert above_low(flagged[flagged["check"] == "shortcut"]).empty  # the real data shows it too: at most low
    shortcut = flagged[(flagged["check"] == "shortcut") & (flagged["severity"] == "low")]
    assert len(shortcut) == 3 and set(shortcut["origin"]) == {"copied"}


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_independent_colour_and_unbiased_control_give_nothing_above_low(seed, real):
    flagged = scan(ScanData(make_attributes(60, seed=seed), real), P)
    assert above_low(flagged).empty, above_low(flagged)[["check", "attribute", "class", "message"]]


@pytest.mark.parametrize(
    ("kwargs", "attribute"), [({"centered": True}, "location"), ({"size_fixed": True}, "size")]
)
def test_consistent_attribute_is_flagged_for_that_attribute_only(kwargs, attribute, real):
    hits = above_low(scan(ScanData(make_attributes(60, seed=1, **kwargs), real), P))
    # drift may also see that attribute's distribution differ from real, and nothing else
    assert set(hits["check"]) <= {"consistency", "drift"} and set(hits["attribute"]) == {attribute}
    hits = hits[hits["check"] == "consistency"]
    assert None in set(hits["class"])  # the whole dataset, not only single classes


def test_consistency_without_reference_uses_the_unbiased_spread():
    flagged = scan(ScanData(make_attributes(60, seed=1, centered=True)), P)
    hits = above_low(flagged)
    assert set(hits["attribute"]) == {"location"} and set(hits["origin"]) == {"unknown"}


def test_imbalance_names_the_under_represented_classes(real):
    syn = make_attributes({"circle": 60, "square": 27, "triangle": 9}, seed=1)
    hits = above_low(scan(ScanData(syn, real), P))
    # square (27 where the real share gives 32) is within the real-vs-real noise: tests/unit/test_bias_null.py
    assert set(hits["check"]) == {"imbalance"} and set(hits["class"]) == {"triangle"}


def test_imbalance_measures_match_closed_forms():
    assert normalised_entropy(np.array([5, 5, 5])) == pytest.approx(1.0)
    p = np.array([0.5, 0.25, 0.25])
    assert normalised_entropy(p * 100) == pytest.approx(-(p * np.log(p)).sum() / np.log(3))
    assert imbalance_ratio(np.array([60, 27, 9])) == pytest.approx(60 / 9)


def test_near_duplicates_and_memorization_from_dhash(real):
    syn = make_attributes(40, seed=1)
    dup = syn.iloc[:100].sample(n=24, random_state=0).index  # disjoint from the last 10 rows
    syn.loc[dup[:12], "dhash"] = syn.loc[dup[12:], "dhash"].to_numpy() ^ 1  # one bit apart
    syn.loc[syn.index[-10:], "dhash"] = real["dhash"].iloc[:10].to_numpy()  # 10 copies of real images
    flagged = scan(ScanData(syn, real), P)
    row = flagged[(flagged["check"] == "duplicates") & flagged["class"].isna()].iloc[0]
    assert row["score"] == pytest.approx(24 / 120) and row["severity"] == "medium"
    mem = flagged[(flagged["check"] == "memorization") & flagged["class"].isna()].iloc[0]
    assert mem["score"] == pytest.approx(10 / 120) and mem["severity"] == "medium"


def test_flagging_uses_the_params_thresholds_and_json_shape(real):
    assert [severity_of(v, (0.4, 0.6, 0.8)) for v in (float("nan"), 0.1, 0.4, 0.7, 0.95)] == [
        "info",
        "info",
        "low",
        "medium",
        "high",
    ]
    strict = build_section(ScanParams, {"shortcut_levels": [0.99, 0.995, 0.999]}, "scan")
    flagged = scan(ScanData(make_attributes(60, seed=1, hue_by_class=COLOR), real), strict)
    items = findings(flagged)
    assert all(i.check != "shortcut" or i.severity in ("low", "medium", "high") for i in items)
    assert {
        "check",
        "attribute",
        "class",
        "severity",
        "score",
        "reference_score",
        "origin",
        "message",
    } <= set(dump(items[0]))
    s = summary(flagged, 180, 180, ExtractorInfo.model_validate(INFO))
    assert s.n_findings == len(items) and s.reference == "real"
    assert "null_pairs" not in dump(s) and "object_attributes" not in dump(s)  # not given: left out of bias.json


def test_bad_levels_name_the_key():
    with pytest.raises(ConfigError, match="scan.shortcut_levels"):
        build_section(ScanParams, {"shortcut_levels": [0.8, 0.5, 0.9]}, "scan")


def test_near_copy_mask_is_the_one_criterion():
    """Exact (same id), dhash within ``hamming`` bits, or cosine >= ``cosine``; self is not a copy."""
    from synthscope.bias.duplicates import CopyKeys, near_copy_mask

    rng = np.random.default_rng(4)
    emb = rng.normal(size=(5, 8))
    query = CopyKeys(np.array(["a", "b", "c", "d", "e"]), np.array([0, 0b111, 2**40, 7, 7 * 2**50]), emb)
    ref_emb = np.stack([rng.normal(size=8), rng.normal(size=8), emb[2] * 3.0])  # c's direction, scaled
    ref = CopyKeys(np.array(["a", "x", "y"]), np.array([2**60, 0b1, 2**33]), ref_emb)
    got = near_copy_mask(query, ref, hamming=2, cosine=0.99)
    # a: same id; b: 0b111 vs 0b1 is 2 bits; c: cosine 1 to a scaled copy; d: 0b111 vs 0b1 also 2 bits
    assert got.tolist() == [True, True, True, True, False]
    assert near_copy_mask(query, ref, hamming=1, cosine=1.1).tolist() == [True, False, False, False, False]
    within = CopyKeys(np.array(["a", "b", "a"]), np.array([0, 2**62, 2**61]), None)
    assert near_copy_mask(within, within, hamming=0, cosine=0.99, same_set=True).tolist() == [True, False, True]
