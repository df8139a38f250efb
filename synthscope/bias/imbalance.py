"""Class imbalance: counts, imbalance ratio and normalised entropy against real or uniform.

Per class the score is the synthetic class share and the reference the real share (or
1/K without a reference). With ``r_c`` = share / reference, ``flag_value`` = 1 - r_c / max_k r_k:
the class's deficit against the best-represented class (a per-class imbalance ratio), so a
class drawn at 45% of the largest class's rate scores 0.55 whatever the number of classes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthscope.bias.base import CHECKS, ScanData, pct, score_frame, score_row
from synthscope.params import NEAR_COPY, NearCopyParams, ScanParams


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
        rel = np.divide(share, ref_share, out=np.zeros_like(share), where=ref_share > 0)
        for i, label in enumerate(labels):
            deficit = max(0.0, 1.0 - rel[i] / rel.max()) if ref_share[i] > 0 and rel.max() > 0 else 0.0
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
