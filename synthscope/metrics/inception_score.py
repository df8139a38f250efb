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

The metric ``inception_score`` (the extractor's own logits; no real set needed) is registered
here, with its settings :class:`IsSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_softmax
from scipy.stats import t as student_t

from synthscope.documents import metrics as doc
from synthscope.documents.common import Document
from synthscope.metrics.metric import Metric, ScoreInputs, network, official_fid, register_metric
from synthscope.params import ScoreParams
from synthscope.schema import FID_NETWORK

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


@dataclass(frozen=True)
class IsSettings:
    """``score.is_splits`` and the seed of the shuffle before splitting."""

    splits: int
    seed: int

    @classmethod
    def from_params(cls, p: ScoreParams) -> IsSettings:
        return cls(splits=p.is_splits, seed=p.seed)


def inception_score_metric(inp: ScoreInputs) -> dict[str, Document]:
    """metrics.json ``inception_score`` from the extractor's logits, named after the network that gave them."""
    s, name = IsSettings.from_params(inp.params), network(inp.extractor)
    res = inception_score(inp.synthetic.logits, s.splits, s.seed)
    label = (
        "Inception Score"
        if official_fid(inp.extractor)
        else f"ImageNet-class score from {name} logits (not comparable with published Inception Scores)"
    )
    return {
        "inception_score": doc.InceptionScore(
            value=res.mean,
            std=res.std,
            ci95=res.ci95(),
            method=METHOD,
            logits="pool3 @ W, no fc bias" if name == FID_NETWORK else f"{name} classifier",
            splits=len(res.scores),
            network=name,
            label=label,
        )
    }


register_metric("inception_score", Metric(compute=inception_score_metric, outputs=("inception_score",),
                                          needs_reference=False))
