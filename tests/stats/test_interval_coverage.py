"""Coverage of every metric interval, by simulation from distributions with a known true value.

Each test draws >= 50 seeded data sets at D >= 64, computes the metric and its ``ci95`` exactly
as the score stage does, and checks that (a) the interval always contains the reported point
estimate and (b) it covers the true value in >= 90% of the repetitions (nominal 95%).
BLAS runs on one thread: the many small matrix products here are 10x slower when two
threads fight over a loaded 2-core machine.
"""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from synthscope.metrics.bootstrap import bootstrap_mean_ci
from synthscope.metrics.fid_interval import fid_with_interval
from synthscope.metrics.inception_score import inception_score
from synthscope.metrics.kid import kernel_inception_distance, polynomial_kernel

D = 64
REPS = 50


@pytest.fixture(autouse=True)
def one_blas_thread():
    with threadpool_limits(limits=1):
        yield


def check(intervals: list[tuple[float, float]], estimates: list[float], truth: float | list[float]) -> float:
    """Assert containment of every estimate; return the empirical coverage of ``truth``."""
    truths = np.broadcast_to(np.asarray(truth, dtype=float), (len(intervals),))
    for (lo, hi), est in zip(intervals, estimates, strict=True):
        assert lo <= est <= hi, (lo, est, hi)
    return float(np.mean([lo <= t <= hi for (lo, hi), t in zip(intervals, truths, strict=True)]))


@pytest.mark.parametrize("n1, n2, shift, spread", [(150, 150, 0.5, 0.3), (120, 200, 1.0, 0.5), (150, 150, 0.0, 0.0)])
def test_fid_interval_covers_the_closed_form_fid(n1, n2, shift, spread):
    """N(0, I) vs N(mu, diag(s^2)): FID = |mu|^2 + sum (1 - s_i)^2 (commuting covariances)."""
    rng = np.random.default_rng(0)
    s = 1 + spread * rng.uniform(-1, 1, D)
    mu = np.zeros(D)
    mu[:4] = shift
    truth = float(mu @ mu + ((1 - s) ** 2).sum())
    intervals, values, infs = [], [], []
    for rep in range(REPS):
        g = np.random.default_rng(1000 + rep)
        res = fid_with_interval(g.normal(size=(n1, D)), g.normal(size=(n2, D)) * s + mu, reps=16, seed=rep)
        intervals.append(res.ci95)
        values.append(res.value)
        infs.append(res.fid_inf)
    coverage = check(intervals, values, truth)
    print(f"FID {n1} vs {n2}, true {truth:.3f}: coverage {coverage:.2f}, mean FID {np.mean(values):.3f}, "
          f"mean FID-inf {np.mean(infs):.3f}")
    assert coverage >= 0.90
    # FID-inf removes most of the bias that the plug-in FID carries at this N.
    assert abs(np.mean(infs) - truth) < 0.25 * (np.mean(values) - truth)


def large_sample_mmd2(x: np.ndarray, y: np.ndarray, block: int = 1000) -> float:
    """Unbiased MMD^2 (cubic polynomial kernel) over all pairs of two large samples, in blocks."""
    def mean_kernel(u: np.ndarray, v: np.ndarray, same: bool) -> float:
        total = 0.0
        for i in range(0, len(u), block):
            k = polynomial_kernel(u[i : i + block], v)
            if same:
                k[np.arange(len(k)), i + np.arange(len(k))] = 0.0
            total += k.sum()
        return total / (len(u) * (len(v) - 1) if same else len(u) * len(v))

    return mean_kernel(x, x, True) + mean_kernel(y, y, True) - 2 * mean_kernel(x, y, False)


@pytest.mark.parametrize("n, shift", [(100, 0.3), (160, 0.0)])
def test_kid_interval_covers_the_large_sample_mmd(n, shift):
    big = np.random.default_rng(99)
    truth = large_sample_mmd2(big.normal(size=(6000, D)), big.normal(size=(6000, D)) * 1.2 + shift)
    intervals, values = [], []
    for rep in range(REPS):
        g = np.random.default_rng(2000 + rep)
        res = kernel_inception_distance(
            g.normal(size=(n, D)), g.normal(size=(n, D)) * 1.2 + shift, subsets=50, subset_size=1000, seed=rep
        )
        assert res.subset_size == n // 2  # capped at half the smaller set: distinct subsets exist
        intervals.append(res.ci95(n))
        values.append(res.mean)
    coverage = check(intervals, values, truth)
    print(f"KID n={n}, large-sample MMD^2 {truth:.5f}: coverage {coverage:.2f}")
    assert coverage >= 0.90


def class_logits(rng: np.random.Generator, n: int, centres: np.ndarray) -> np.ndarray:
    """Logits of a soft classifier: a random class centre plus noise, 64 classes, uneven marginal."""
    classes = rng.choice(len(centres), n, p=np.linspace(1, 3, len(centres)) / np.linspace(1, 3, len(centres)).sum())
    return centres[classes] + rng.normal(scale=1.5, size=(n, centres.shape[1]))


def test_inception_score_interval_covers_the_expected_split_score():
    """The true value: the expected IS of one split of n/splits images, from 4000 independent splits."""
    centres = 3.0 * np.random.default_rng(5).normal(size=(D, D))
    n, splits = 400, 10
    ref = np.random.default_rng(77)
    truth = float(np.mean([
        inception_score(class_logits(ref, n // splits, centres), splits=1, seed=None).mean for _ in range(4000)
    ]))
    intervals, values = [], []
    for rep in range(REPS):
        res = inception_score(class_logits(np.random.default_rng(3000 + rep), n, centres), splits, seed=rep)
        intervals.append(res.ci95())
        values.append(res.mean)
    coverage = check(intervals, values, truth)
    print(f"IS n={n}, {splits} splits, expected split IS {truth:.3f}: coverage {coverage:.2f}")
    assert coverage >= 0.90


@pytest.mark.parametrize("accuracy", [0.6, 0.85])
def test_accuracy_bootstrap_covers_the_known_accuracy(accuracy):
    """CAS, real->real and the augmentation gain: per-test-image correctness of a fixed model
    is Bernoulli(accuracy); the gain is a paired difference with a known mean."""
    n_test = 90
    acc_intervals, accs, gap_intervals, gaps = [], [], [], []
    for rep in range(REPS):
        g = np.random.default_rng(4000 + rep)
        correct = g.random(n_test) < accuracy
        other = np.where(g.random(n_test) < 0.5, correct, g.random(n_test) < 0.7)  # correlated, mean known
        acc_intervals.append(bootstrap_mean_ci(correct, 1000, rep))
        accs.append(correct.mean())
        diff = other.astype(float) - correct.astype(float)
        gap_intervals.append(bootstrap_mean_ci(diff, 1000, rep))
        gaps.append(diff.mean())
    true_gap = 0.5 * accuracy + 0.5 * 0.7 - accuracy
    acc_cov, gap_cov = check(acc_intervals, accs, accuracy), check(gap_intervals, gaps, true_gap)
    print(f"accuracy {accuracy}: coverage {acc_cov:.2f}; gain {true_gap:.3f}: coverage {gap_cov:.2f}")
    assert acc_cov >= 0.90 and gap_cov >= 0.90
