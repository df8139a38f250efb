"""Confusion matrix against scikit-learn; collapse findings in plain words."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix

from synthscope.metrics.confusion import collapse_findings, confusion_counts, confusion_entry


def test_confusion_counts_match_scikit_learn():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    np.testing.assert_array_equal(confusion_counts(y, p, 4), confusion_matrix(y, p, labels=range(4)))
    entry = confusion_entry(confusion_counts(y, p, 4), ["a", "b", "c", "d"])
    np.testing.assert_allclose(np.array(entry.shares).sum(axis=1), 1.0, atol=1e-5)  # rounded to 6 digits


def test_classes_collapsing_onto_one_prediction_are_one_finding():
    # rows: true paper, rock, scissors; the model calls almost everything "paper"
    counts = np.array([[30, 0, 0], [29, 1, 0], [30, 0, 0]])
    findings = collapse_findings(confusion_entry(counts, ["paper", "rock", "scissors"]), 0.5)
    assert len(findings) == 1
    f = findings[0]
    assert f.predicted == "paper" and f.classes == ["rock", "scissors"]
    assert f.share == 59 / 60 and f.per_class == {"rock": 29 / 30, "scissors": 1.0}
    assert f.message == "the model trained on synthetic data calls 98% of real rock and scissors images 'paper'"


def test_a_correct_or_spread_out_class_is_not_a_collapse():
    counts = np.array([[10, 0, 0], [0, 6, 4], [4, 3, 3]])  # c's errors are spread: 40% to a at most
    assert collapse_findings(confusion_entry(counts, ["a", "b", "c"]), 0.5) == []
    found = collapse_findings(confusion_entry(counts, ["a", "b", "c"]), 0.4)
    assert [(f.predicted, f.classes) for f in found] == [("a", ["c"]), ("c", ["b"])]
