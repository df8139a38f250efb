"""Class logits -> Inception Score: exp(E_x KL(p(y|x) || p(y))), mean and std over splits.

Computed from whichever classifier's logits are at hand: the extractor's ImageNet head
(labelled with that network; only Inception v3's matches published numbers) or a
classifier trained on the real reference (the domain score, for data whose content ImageNet
classes do not describe). Log-probabilities are valid logits, since softmax(log p) = p.
The shuffle and split boundaries follow torch-fidelity's ``isc_features_to_metric``.

For the Inception v3 extractor the logits are pool3 @ W without the fc bias, as torch-fidelity's
``logits_unbiased`` and the original TensorFlow code compute them (features/inception.py).

Interval: the reported IS is the mean of ``splits`` scores of *disjoint* splits, i.e. iid
estimates of the expected score of ``n / splits`` images (the quantity IS denotes at a given
N and split count). So ``mean +- t_{splits-1} * std(ddof=1) / sqrt(splits)`` is a t interval
for it; no resampling, and no duplicated rows (which would shift the class marginal).
Coverage is checked in tests/stats/test_interval_coverage.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_softmax
from scipy.stats import t as student_t

METHOD = "mean +- t(splits-1) * std(split scores) / sqrt(splits): splits are disjoint, so iid"


@dataclass(frozen=True)
class InceptionScore:
    """``scores`` float64 (splits,): exp(mean KL) of each split."""

    mean: float
    std: float
    scores: np.ndarray

    def ci95(self, level: float = 0.95) -> tuple[float, float] | None:
        """t interval for the expected score of one split (see module); None with a single split."""
        k = len(self.scores)
        if k < 2:
            return None
        half = float(student_t.ppf(0.5 + level / 2, k - 1)) * float(self.scores.std(ddof=1)) / np.sqrt(k)
        return self.mean - half, self.mean + half


def inception_score(logits: np.ndarray, splits: int = 10, seed: int | None = 0) -> InceptionScore:
    """(N, C) logits -> IS over ``splits`` contiguous chunks after a seeded shuffle (None: no shuffle)."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2:
        raise ValueError(f"logits must be (N, C), got shape {logits.shape}")
    n = len(logits)
    splits = max(1, min(splits, n))
    if seed is not None:
        logits = logits[np.random.RandomState(seed).permutation(n)]
    log_p = log_softmax(logits, axis=1)
    p = np.exp(log_p)
    scores = np.zeros(splits)
    for i in range(splits):
        lo, hi = i * n // splits, (i + 1) * n // splits
        log_q = np.log(p[lo:hi].mean(axis=0, keepdims=True))
        kl = (p[lo:hi] * (log_p[lo:hi] - log_q)).sum(axis=1).mean()
        scores[i] = np.exp(kl)
    return InceptionScore(mean=float(scores.mean()), std=float(scores.std()), scores=scores)
