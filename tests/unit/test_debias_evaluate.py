"""Before/after comparison of findings, and CAS before/after on the real test split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthscope.debias.evaluate import cas_before_after, compare_findings
from synthscope.metrics.cas import CasSettings, LabelledSet, stratified_split


def scan_rows(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["check", "attribute", "class", "metric", "flag_value", "severity"])


def test_compare_findings_pairs_rows_and_keeps_findings_on_either_side():
    before = scan_rows(
        ("shortcut", "color", "circle", "youden_j", 0.9, "high"),
        ("imbalance", None, "triangle", "class_share", 0.85, "high"),
        ("shortcut", "size", "circle", "youden_j", 0.1, "info"),
        ("shortcut", "color", None, "accuracy_lift", np.nan, "info"),
    )
    after = scan_rows(
        ("shortcut", "color", "circle", "youden_j", 0.2, "info"),
        ("shortcut", "size", "circle", "youden_j", 0.5, "low"),
    )
    rows = {(r.check, r.attribute, r.class_): r.model_dump(by_alias=True) for r in compare_findings(before, after)}
    assert set(rows) == {("shortcut", "color", "circle"), ("imbalance", None, "triangle"),
                         ("shortcut", "size", "circle")}
    assert rows[("shortcut", "color", "circle")] == {
        "check": "shortcut", "attribute": "color", "class": "circle", "metric": "youden_j",
        "score_before": 0.9, "score_after": 0.2, "severity_before": "high", "severity_after": "info"}
    assert rows[("imbalance", None, "triangle")]["score_after"] is None  # not measured after
    assert rows[("shortcut", "size", "circle")]["severity_after"] == "low"  # a new finding shows


def blobs(n: int, shift: float, seed: int, prefix: str) -> LabelledSet:
    rng = np.random.default_rng(seed)
    labels = np.array(["a", "b", "c"] * n)
    centres = {"a": 0.0, "b": 3.0, "c": 6.0}
    x = rng.normal(size=(len(labels), 4)) + np.array([centres[c] + shift for c in labels])[:, None]
    return LabelledSet(np.array([f"{prefix}{i}" for i in range(len(labels))]), labels, x)


def test_cas_before_after_uses_the_score_split_and_drops_leaking_sources():
    settings = CasSettings(model="linear", bootstrap_reps=50)
    real = blobs(20, 0.0, 0, "r")
    shifted = blobs(20, 1.5, 1, "s")  # a biased synthetic set: shifted away from real
    fixed = blobs(20, 0.0, 2, "f")
    _, test_idx = stratified_split(real.labels, settings.test_fraction, settings.seed)
    # The augmented set also holds two real test images: they must not be trained on.
    aug = LabelledSet(np.concatenate([fixed.ids, real.ids[test_idx[:2]]]),
                      np.concatenate([fixed.labels, real.labels[test_idx[:2]]]),
                      np.concatenate([fixed.x, real.x[test_idx[:2]]]))
    sources = aug.ids.copy()
    out = cas_before_after(shifted, aug, sources, real, settings)
    assert out.n_test_real == len(test_idx) and out.n_after_dropped_test_sources == 2
    assert out.after.n_train == len(fixed.ids)
    assert out.after.value > out.before.value
    assert out.gain.value == pytest.approx(out.after.value - out.before.value)
    assert (out.trained_on.before, out.trained_on.after) == ("synthetic", "augmented")
    real_first = cas_before_after(None, aug, sources, real, settings)
    assert real_first.trained_on.before == "real training split"
    assert real_first.before.n_train == len(real.ids) - len(test_idx)
