"""Novelty of incoming images against the training embeddings, and the calibrated threshold.

Novelty is the Euclidean distance from an image's L2-normalised embedding to its k-th
nearest training image (``neighbours.knn``, exact and blocked). Measured on the CIFAR-10
sample (mobilenet-v2, each class held out in turn, bench/monitor.py), this plain k-th
distance separated the held-out class better (mean AUROC 0.64) than the same distance
divided by the neighbour's own k-NN radius (0.58-0.61), the realism-style minimum of
d / radius (0.61), a linear probe's max-softmax (0.61) or a class-conditional Mahalanobis
distance (0.63); the radius ratios also flag more held-out known images.

The threshold is calibrated on the training images themselves, each held out in turn: a
training image's score is its distance to the k-th nearest *other* training image (leave one
out), which is distributed as an incoming image from the training distribution would be
(N - 1 instead of N neighbours to choose from). The threshold is the ``1 - false_alarm``
quantile of these scores. Measured on the CIFAR sample, a fixed 20% hold-out split instead
flagged 7-12% of held-out known images at false_alarm 0.05 (a threshold from 144 scores, and
a smaller neighbour base), leave-one-out 5-8%. The reference share (what "normal" looks
like) is measured out of sample by 2-fold cross-fitting: the threshold from one half of the
training scores is applied to the other half, so it is not ``false_alarm`` by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from synthscope.errors import DataError
from synthscope.neighbours import as_float64, knn, l2_normalise


@dataclass(frozen=True)
class Share:
    """A share of images with its 95% Wilson score interval."""

    value: float
    lo: float
    hi: float
    n: int

    @classmethod
    def of(cls, flags: np.ndarray) -> Share:
        n = int(len(flags))
        return cls(*wilson(int(np.sum(flags)), n), n=n)


def wilson(successes: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """(share, lo, hi): the Wilson score interval (NaN for n = 0); exact at 0 and n, unlike Wald."""
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    z = float(norm.ppf(0.5 + level / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return p, max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Calibration:
    """The uncovered threshold and the reference share, from leave-one-out training scores."""

    k: int
    threshold: float
    reference: Share  # uncovered share of held-out training images, out of sample


def embed_space(features: np.ndarray) -> np.ndarray:
    """L2-normalised float64 rows: distances in this space are cosine distances (sqrt(2 - 2 cos))."""
    return as_float64(l2_normalise(features), "embeddings")


def kth_distance(query: np.ndarray, base: np.ndarray, k: int, same: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(distance to the k-th nearest base row (Nq,), index of the nearest base row (Nq,)).

    ``same``: query is base, and a row is not its own neighbour (leave one out).
    """
    sq, idx = knn(query, base, k, same=same, desc="novelty k-NN")
    return np.sqrt(sq[:, k - 1]), idx[:, 0]


def quantile_threshold(scores: np.ndarray, false_alarm: float) -> float:
    """The smallest score value above which at most ``false_alarm`` of ``scores`` lie."""
    return float(np.quantile(scores, 1.0 - false_alarm, method="higher"))


def leave_one_out(train: np.ndarray, k: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Distance of each training row (or of ``rows`` of it) to its k-th nearest *other* training row."""
    if rows is None:
        return kth_distance(train, train, k, same=True)[0]
    # The row itself is its own nearest neighbour (distance 0, as is any exact duplicate of it):
    # the (k+1)-th nearest of the whole set is the k-th nearest other row.
    sq, _ = knn(train[rows], train, k + 1, desc="novelty calibration")
    return np.sqrt(sq[:, k])


def calibrate(train: np.ndarray, k: int, false_alarm: float, seed: int, max_rows: int | None = None) -> Calibration:
    """Threshold and reference share from ``train`` (N, D, already in :func:`embed_space`).

    ``max_rows``: score at most this many training rows (a seeded sample, each against all
    the others): the quantile of 2,000 scores is as good as of 10,000 and costs a fifth.
    """
    n = len(train)
    if n < max(2 * (k + 1), 20):
        raise DataError(f"monitor: {n} training images are too few to calibrate with k={k} neighbours; "
                         f"give at least {max(2 * (k + 1), 20)} or lower monitor.k")
    rows = None if max_rows is None or n <= max_rows else np.sort(
        np.random.default_rng(seed).choice(n, max_rows, replace=False))
    scores = leave_one_out(train, k, rows)
    n = len(scores)
    halves = (np.arange(n) % 2 == 0)[np.random.default_rng(seed).permutation(n)]
    out_of_sample = np.empty(n, dtype=bool)
    for fit in (halves, ~halves):
        out_of_sample[~fit] = scores[~fit] > quantile_threshold(scores[fit], false_alarm)
    return Calibration(k, quantile_threshold(scores, false_alarm), Share.of(out_of_sample))


def score(train: np.ndarray, incoming: np.ndarray, cal: Calibration) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(novelty (Nq,), uncovered bool (Nq,), index of the nearest training row (Nq,))."""
    novelty, nearest = kth_distance(incoming, train, cal.k)
    return novelty, novelty > cal.threshold, nearest
