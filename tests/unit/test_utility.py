"""Learning curves and the real-image equivalent on seeded Gaussian classes whose real-only curve
keeps rising, so the equivalent is identifiable; consistency with CAS's own numbers."""

from __future__ import annotations

import numpy as np
import pytest

from synthscope.documents import dump
from synthscope.metrics.bootstrap import bootstrap_mean_ci, percentile_interval
from synthscope.metrics.cas import CasSettings, LabelledSet, classification_accuracy_score, stratified_split
from synthscope.metrics.utility import learning_curves, nested_subset, paired_bootstrap_means

SETTINGS = CasSettings(model="linear", bootstrap_reps=300)
FRACTIONS = (0.1, 0.25, 0.5, 1.0)


def gauss(n: int, seed: int, d: int = 32, k: int = 3, sep: float = 0.25) -> LabelledSet:
    """k overlapping classes in d dimensions: a linear probe needs hundreds of images to get good."""
    rng = np.random.default_rng(seed)
    means = np.random.default_rng(99).normal(size=(k, d)) * sep
    y = np.arange(n) % k
    return LabelledSet(np.array([f"{seed}-{i}" for i in range(n)]), np.array([f"c{c}" for c in y]),
                       means[y] + rng.normal(size=(n, d)))


REAL = gauss(600, 1)
TRAIN, _ = stratified_split(REAL.labels, SETTINGS.test_fraction, SETTINGS.seed)


def assert_every_value_has_an_interval(obj) -> None:
    if isinstance(obj, dict):
        if "value" in obj:
            lo, hi = obj["ci95"]
            assert lo <= obj["value"] + 1e-9 and obj["value"] - 1e-9 <= hi, obj
            assert obj.get("method"), obj
        for v in obj.values():
            assert_every_value_has_an_interval(v)
    elif isinstance(obj, list):
        for v in obj:
            assert_every_value_has_an_interval(v)


def test_subsets_are_nested_per_class_and_differ_between_repeats():
    labels = np.array(["a"] * 20 + ["b"] * 7)
    small, big = nested_subset(labels, 0.25, 0, 0), nested_subset(labels, 0.5, 0, 0)
    assert set(small) <= set(big)
    assert [(labels[small] == c).sum() for c in "ab"] == [5, 2]  # ceil(0.25 * 7) = 2
    assert not np.array_equal(small, nested_subset(labels, 0.25, 0, 1))
    assert len(nested_subset(labels, 0.01, 0, 0)) == 2  # at least one per class


def test_paired_bootstrap_rows_equal_bootstrap_mean_ci():
    rng = np.random.default_rng(3)
    rows = rng.random((3, 50)) < [[0.3], [0.6], [0.9]]
    means = paired_bootstrap_means(rows, 200, 7)
    for row, boot in zip(rows, means, strict=True):
        assert percentile_interval(boot) == bootstrap_mean_ci(row, 200, 7)


def test_a_copy_of_the_real_training_split_is_worth_the_real_training_size():
    copy = LabelledSet(REAL.ids[TRAIN], REAL.labels[TRAIN], REAL.x[TRAIN])
    out = learning_curves(copy, REAL, SETTINGS, FRACTIONS, 3)
    eq, n_train = out.real_equivalent, len(TRAIN)
    assert out.curve[-1].n_real == n_train == 420
    assert eq.ci95[0] <= n_train <= eq.ci95[1]
    assert eq.value == pytest.approx(n_train, rel=0.05)
    assert_every_value_has_an_interval(dump(out))  # as metrics.json holds it
    values = [c.real_only.value for c in out.curve]
    assert values == sorted(values) and values[-1] - values[0] > 0.1  # the curve rises: the test is informative


def test_an_independent_sample_of_half_the_size_is_worth_about_half():
    half = gauss(len(TRAIN) // 2, 5)
    eq = learning_curves(half, REAL, SETTINGS, FRACTIONS, 3).real_equivalent
    assert eq.bound is None
    assert eq.ci95[0] <= len(TRAIN) // 2 <= eq.ci95[1]
    assert eq.ci95[0] < len(TRAIN)  # it is told apart from the whole training split


def test_whole_split_points_are_cas_and_the_augmentation_comparison():
    synthetic = gauss(150, 9, sep=0.2)
    out = learning_curves(synthetic, REAL, SETTINGS, FRACTIONS, 2)
    cas = classification_accuracy_score(synthetic, REAL, SETTINGS)
    assert out.synthetic_only.value == cas["cas"].synthetic_to_real.value
    assert out.curve[-1].real_only.value == cas["cas"].real_to_real.value
    assert out.curve[-1].real_plus_synthetic.value == cas["augmentation"].real_plus_synthetic.value
    assert out.gain[-1].value == pytest.approx(cas["augmentation"].gain.value)
    assert out.gain[-1].ci95 == pytest.approx(cas["augmentation"].gain.ci95)
