"""The utility section's charts as inline PNG data URIs: learning curves and the CAS confusion matrix.

Inputs are the section's document parts (``metrics.json``'s utility and confusion, as
``report.json`` holds them), so each chart shows exactly those numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthscope.documents import Estimate
from synthscope.documents.metrics import Confusion, Utility
from synthscope.report.figures import ROLE_COLORS, _figure_uri, _new, _style, text


def _band(ax: Any, x: list[float], points: list[Estimate], color: str, label: str) -> None:
    y = [p.value for p in points]
    lo = [_ci(p)[0] for p in points]
    hi = [_ci(p)[1] for p in points]
    ax.fill_between(x, lo, hi, color=color, alpha=0.15, linewidth=0)
    ax.plot(x, y, marker="o", markersize=4, color=color, label=label, linewidth=1.5)


def _ci(estimate: Estimate) -> tuple[float, float]:
    assert estimate.ci95 is not None  # every point of the learning curves has its bootstrap interval
    return estimate.ci95


def learning_curve_figure(utility: Utility) -> str:
    """Accuracy on real test images against real training images (log axis), with 95% bands.

    Real-only and real+synthetic curves; synthetic-only as a horizontal line with its band; the
    real-image equivalent as a dotted vertical line where the synthetic line meets the real curve.
    """
    curve = utility.curve
    x = [c.n_real for c in curve]
    fig = _new(6.4, 3.4)
    ax = fig.add_subplot()
    _band(ax, x, [c.real_only for c in curve], ROLE_COLORS["real"], "real only")
    _band(ax, x, [c.real_plus_synthetic for c in curve], ROLE_COLORS["augmented"], "real + synthetic")
    syn = utility.synthetic_only
    ax.axhspan(*_ci(syn), color=ROLE_COLORS["synthetic"], alpha=0.12, linewidth=0)
    ax.axhline(syn.value, color=ROLE_COLORS["synthetic"], linewidth=1.5,
               label=f"synthetic only ({utility.n_synthetic:,} images)")
    eq = utility.real_equivalent
    ax.axvline(eq.value, color="#444", linestyle=":", linewidth=1.2, label=f"worth {eq.text} real images")
    ax.set_xscale("log")
    ax.set_xticks(x, [f"{v:,}" for v in x])
    ax.minorticks_off()
    ax.set_xlabel("real training images", fontsize=8)
    ax.set_ylabel("accuracy on real test images", fontsize=8)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    _style(ax)
    fig.tight_layout()
    return _figure_uri(fig)


def confusion_figure(confusion: Confusion) -> str:
    """Row-normalised confusion matrix: true real class (rows) x class predicted by the synthetic-trained model."""
    labels = [text(lab) for lab in confusion.labels]
    shares = np.asarray(confusion.shares, dtype=float)
    counts = np.asarray(confusion.counts, dtype=int)
    side = 1.0 + 0.55 * len(labels)
    fig = _new(side + 1.2, side)
    ax = fig.add_subplot()
    ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    if len(labels) <= 20:  # cell text stays readable up to about 20 classes
        for i in range(len(labels)):
            for j in range(len(labels)):
                ax.text(j, i, f"{shares[i, j]:.0%}\n({counts[i, j]})", ha="center", va="center", fontsize=7,
                        color="white" if shares[i, j] > 0.6 else "#202124")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted by the model trained on synthetic data", fontsize=8)
    ax.set_ylabel("true class (real test image)", fontsize=8)
    fig.tight_layout()
    return _figure_uri(fig)
