"""Inverting the real-only learning curve: closed-form cases, the isotonic fit against
scikit-learn's IsotonicRegression, bounds outside the measured range, and the CI."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from synthscope.metrics.equivalence import describe, invert_curve, real_equivalent

SIZES = np.array([10, 100, 1000])


def test_a_measured_point_maps_to_its_size():
    assert invert_curve(SIZES, np.array([0.5, 0.7, 0.9]), 0.7) == (100.0, None)


def test_interpolation_is_linear_in_log_size():
    # halfway between 0.5 (n=10) and 0.7 (n=100) in accuracy is halfway in log n: sqrt(10 * 100)
    value, bound = invert_curve(SIZES, np.array([0.5, 0.7, 0.9]), 0.6)
    assert bound is None and value == pytest.approx(math.sqrt(1000))


def test_outside_the_measured_range_is_a_bound():
    acc = np.array([0.5, 0.7, 0.9])
    assert invert_curve(SIZES, acc, 0.95) == (1000.0, "at_least")
    assert invert_curve(SIZES, acc, 0.4) == (10.0, "at_most")
    assert describe(1000.0, "at_least") == "at least 1,000" and describe(31.6, None) == "about 32"


def test_reaching_a_final_plateau_is_at_least_its_start():
    # real data saturates at 100% from n=100 on; a synthetic set at 100% is worth at least 100 real images
    assert invert_curve(SIZES, np.array([0.8, 1.0, 1.0]), 1.0) == (100.0, "at_least")
    assert invert_curve(SIZES, np.array([0.8, 0.9, 1.0]), 1.0) == (1000.0, None)  # still rising: exact


def test_a_dip_is_smoothed_like_scikit_learns_isotonic_fit():
    acc = np.array([0.5, 0.8, 0.7, 0.9])
    sizes = np.array([10, 20, 40, 80])
    fitted = IsotonicRegression(increasing=True).fit_transform(np.log(sizes), acc)
    assert fitted[1] == fitted[2] == pytest.approx(0.75)
    # 0.75 is reached first at n=20 (the flat part's start): the smallest real set doing the job
    assert invert_curve(sizes, acc, 0.75) == (20.0, None)
    value, _ = invert_curve(sizes, acc, 0.85)  # between the pooled 0.75 (n=40) and 0.9 (n=80)
    t = (0.85 - fitted[2]) / (fitted[3] - fitted[2])
    assert value == pytest.approx(math.exp(np.log(40) + t * (np.log(80) - np.log(40))))


def test_real_equivalent_interval_comes_from_the_replicates():
    acc = np.array([0.5, 0.7, 0.9])
    # three replicates: the synthetic accuracy sits at the n=10, n=100 and above-range points
    boot = np.repeat(acc[:, None], 3, axis=1)
    out = real_equivalent(SIZES, acc, 0.7, boot, np.array([0.5, 0.7, 0.95]))
    assert (out.value, out.bound, out.text) == (100.0, None, "about 100")
    assert list(out.ci95) == [pytest.approx(np.percentile([10, 100, 1000], 2.5)),
                              pytest.approx(np.percentile([10, 100, 1000], 97.5))]
    assert out.replicates_above_range == pytest.approx(1 / 3) and out.method
