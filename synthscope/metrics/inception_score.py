"""Class logits -> Inception Score: exp(E_x KL(p(y|x) || p(y))), mean and std over splits.

Computed from whichever classifier's logits are at hand: the extractor's ImageNet head
(labelled with that network; only Inception v3's matches published numbers) or a
classifier trained on the real reference (the domain score, for data whose content ImageNet
classes do not describe). Log-probabilities are valid logits, since softmax(log p) = p.
The shuffle and split boundaries follow torch-fidelity's ``isc_features_to_metric``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_softmax


@dataclass(frozen=True)
class InceptionScore:
    """``scores`` float64 (splits,): exp(mean KL) of each split."""

    mean: float
    std: float
    scores: np.ndarray


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
