"""Class imbalance: counts, imbalance ratio and normalised entropy against real or uniform.

Per class the score is the synthetic class share and the reference the real share (or
1/K without a reference). With ``r_c`` = share / reference, ``flag_value`` = 1 - r_c / max_k r_k:
the class's deficit against the best-represented class (a per-class imbalance ratio), so a
class drawn at 45% of the largest class's rate scores 0.55 whatever the number of classes.

Its real-vs-real noise is not measured on halves of the real set (:meth:`Imbalance.null_levels`):
a half has half the images, and four splits of a class of 20 give deficits of 0, 0, 0.45 and
0.71, a "noise" near 1 that hides a class drawn at 15% of its real rate. Class counts have an
exact null instead: if the synthetic shares were the real ones, both sets' counts are
multinomial draws, at their observed sizes, from the pooled shares. The noise of a class's
deficit is its upper quantile over such draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from synthscope.bias.base import CHECKS, ScanData, is_labelled, pct, score_frame, score_row
from synthscope.params import NEAR_COPY, NearCopyParams, ScanParams

NULL_DRAWS = 4000  # multinomial draws of the class-count null (the quantile's error is about 0.005)


def normalised_entropy(counts: np.ndarray) -> float:
    """Shannon entropy of the class distribution / log(K): 1 is balanced, 0 one class."""
    counts = np.asarray(counts, dtype=np.float64)
    counts = counts[counts > 0]
    if len(counts) < 2:
        return 0.0
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum() / np.log(len(p)))


def imbalance_ratio(counts: np.ndarray) -> float:
    """Largest class count / smallest (classes with zero rows count as infinitely rare)."""
    counts = np.asarray(counts, dtype=np.float64)
    return float(counts.max() / counts.min()) if counts.min() > 0 else float("inf")


def class_deficits(synthetic: np.ndarray, real: np.ndarray) -> np.ndarray:
    """Per class ``1 - r_c / max_k r_k`` with ``r_c`` = synthetic share / real share, over the last
    axis (counts; leading axes are independent draws). 0 where the class has no real share."""
    s = np.asarray(synthetic, dtype=np.float64)
    r = np.asarray(real, dtype=np.float64)
    share = s / np.maximum(s.sum(-1, keepdims=True), 1.0)
    ref = r / np.maximum(r.sum(-1, keepdims=True), 1.0)
    rel = np.divide(share, ref, out=np.zeros_like(share), where=ref > 0)
    top = rel.max(-1, keepdims=True)
    deficit = 1.0 - np.divide(rel, top, out=np.ones_like(rel), where=top > 0)
    return np.where((ref > 0) & (top > 0), np.clip(deficit, 0.0, 1.0), 0.0)


def count_null(synthetic: np.ndarray, real: np.ndarray, z: float, seed: int,
               draws: int = NULL_DRAWS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, sd and noise level of each class's deficit when the synthetic shares are the real ones.

    Both count vectors are redrawn, at their own totals, from the pooled shares (the null's
    best estimate of the one class distribution; the real shares are a sample too). The noise
    is the ``Phi(z)`` quantile of the drawn deficits (``z`` = ``scan.null_z``: 2 gives 0.977).
    """
    s = np.asarray(synthetic, dtype=np.float64)
    r = np.asarray(real, dtype=np.float64)
    pooled = (s + r) / (s + r).sum()
    rng = np.random.default_rng(seed)
    got = class_deficits(rng.multinomial(int(s.sum()), pooled, size=draws),
                         rng.multinomial(int(r.sum()), pooled, size=draws))
    return got.mean(0), got.std(0, ddof=1), np.quantile(got, norm.cdf(z), axis=0)


@CHECKS.register("imbalance")
class Imbalance:
    """Class shares of the synthetic data against the real shares or a uniform split."""

    name = "imbalance"
    needs_labels = True

    def score(self, data: ScanData, params: ScanParams, near_copy: NearCopyParams = NEAR_COPY) -> pd.DataFrame:
        syn_counts = data.synthetic["label"].astype(str).value_counts()
        real_counts = data.real["label"].astype(str).value_counts() if data.has_reference else None
        labels = sorted(set(syn_counts.index) | set(real_counts.index if real_counts is not None else []))
        s = syn_counts.reindex(labels, fill_value=0).to_numpy(dtype=np.float64)
        if real_counts is not None:
            r = real_counts.reindex(labels, fill_value=0).to_numpy(dtype=np.float64)
            ref_share, against = r / r.sum(), "real"
        else:
            r, ref_share, against = None, np.full(len(labels), 1.0 / len(labels)), "uniform"
        share = s / s.sum()
        rows = [
            score_row(
                "imbalance",
                None,
                None,
                "normalised_entropy",
                normalised_entropy(s),
                normalised_entropy(r) if r is not None else 1.0,
                message=f"class distribution entropy {normalised_entropy(s):.2f} of its maximum",
            ),
            score_row(
                "imbalance",
                None,
                None,
                "imbalance_ratio",
                imbalance_ratio(s),
                imbalance_ratio(r) if r is not None else 1.0,
                message=f"largest class has {imbalance_ratio(s):.1f}x the rows of the smallest",
            ),
        ]
        deficits = class_deficits(s, r if r is not None else ref_share)
        for i, label in enumerate(labels):
            deficit = float(deficits[i])
            rows.append(
                score_row(
                    "imbalance",
                    None,
                    label,
                    "class_share",
                    share[i],
                    ref_share[i],
                    flag_value=deficit,
                    origin="introduced" if r is not None else "unknown",
                    message=(
                        f"{label} is {pct(share[i])} of synthetic images ({int(s[i])}) against "
                        f"{pct(ref_share[i])} {against}."
                    ),
                )
            )
        return score_frame(rows)

    def null_levels(self, data: ScanData, params: ScanParams) -> pd.DataFrame:
        """The real-vs-real noise of each class's deficit from the class-count null
        (:func:`count_null`), in ``bias.null.null_levels``'s columns plus ``null_kind``
        ("counts"). Empty without a labelled synthetic and real set (no per-class reference)."""
        columns = ["check", "attribute", "metric", "class", "null_n", "null_mean", "null_sd", "noise", "null_kind"]
        if not (data.has_reference and is_labelled(data.synthetic) and is_labelled(data.real)):
            return pd.DataFrame(columns=columns)
        syn_counts = data.synthetic["label"].astype(str).value_counts()
        real_counts = data.real["label"].astype(str).value_counts()
        labels = sorted(set(syn_counts.index) | set(real_counts.index))
        s = syn_counts.reindex(labels, fill_value=0).to_numpy(dtype=np.float64)
        r = real_counts.reindex(labels, fill_value=0).to_numpy(dtype=np.float64)
        mean, sd, noise = count_null(s, r, params.null_z, params.seed + 2000)
        return pd.DataFrame({"check": "imbalance", "attribute": "", "metric": "class_share", "class": labels,
                             "null_n": NULL_DRAWS, "null_mean": mean, "null_sd": sd, "noise": noise,
                             "null_kind": "counts"})[columns]
