"""Figures for the HTML report, each returned as an inline ``data:image/png;base64,...`` URI.

Matplotlib ``Figure`` objects are built directly (no pyplot, so no global state and no GUI
backend); thumbnails are resized with Pillow. Inputs are the tables of ``sections`` /
``report.json``, so every figure shows exactly the numbers that ``report.json`` holds.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from synthscope.documents.report import DebiasRow, Heatmap, HistogramBin

ROLE_COLORS = {"synthetic": "#e8710a", "real": "#1a73e8", "augmented": "#188038"}
ROLE_ORDER = ("synthetic", "real", "augmented")


def png_data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _figure_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return png_data_uri(buf.getvalue())


def _new(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height))
    fig.set_facecolor("white")
    return fig


def text(s: str) -> str:
    """User text (class names) for matplotlib: a '$' would otherwise start mathtext."""
    return str(s).replace("$", r"\$")


def _style(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)


def thumbnail_uri(rgb: np.ndarray, size: int) -> str:
    """(H, W, 3) uint8 -> a PNG data URI of at most ``size`` px on the long side."""
    img = Image.fromarray(rgb)
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return png_data_uri(buf.getvalue())


def class_balance_figure(rows: list[dict[str, str | int | float]]) -> str:
    """Grouped horizontal bars: each class's share of each role's images."""
    labels = [r["label"] for r in rows]
    roles = [r for r in ROLE_ORDER if rows and r in rows[0]]
    fig = _new(6.0, 0.45 * len(labels) + 1.0)
    ax = fig.add_subplot()
    height = 0.8 / max(len(roles), 1)
    y = np.arange(len(labels))
    for k, role in enumerate(roles):
        ax.barh(
            y + k * height, [r[f"{role}_fraction"] for r in rows], height, label=role, color=ROLE_COLORS[role]
        )
    ax.set_yticks(y + height * (len(roles) - 1) / 2, [text(lab) for lab in labels])
    ax.invert_yaxis()
    ax.set_xlabel("share of the role's images", fontsize=8)
    ax.legend(fontsize=8, frameon=False)
    _style(ax)
    return _figure_uri(fig)


def histogram_figure(hist_rows: list[HistogramBin], column: str, labels: list[str]) -> str:
    """Small multiples, one panel per class: the column's histogram per role, as step lines."""
    fig = _new(min(2.4 * len(labels), 12.0), 2.0)
    axes = fig.subplots(1, len(labels), squeeze=False, sharey=True)[0]
    for ax, label in zip(axes, labels, strict=True):
        for role in ROLE_ORDER:
            part = [r for r in hist_rows if r.label == label and r.role == role]
            if not part:
                continue
            edges = [part[0].bin_lo] + [r.bin_hi for r in part]
            ax.stairs(
                [r.fraction for r in part],
                edges,
                color=ROLE_COLORS[role],
                label=role,
                fill=role == "synthetic",
                alpha=0.35 if role == "synthetic" else 1.0,
                linewidth=1.5,
            )
        ax.set_title(text(label), fontsize=9)
        ax.set_xlabel(column, fontsize=8)
        _style(ax)
    axes[0].set_ylabel("fraction", fontsize=8)
    axes[-1].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return _figure_uri(fig)


def location_figure(heatmaps: list[Heatmap]) -> str:
    """Rows = roles, columns = classes: where object centroids fall in the frame (darker = more)."""
    roles = [r for r in ROLE_ORDER if any(h.role == r for h in heatmaps)]
    labels = sorted({h.label for h in heatmaps})
    fig = _new(1.7 * len(labels) + 0.6, 1.8 * len(roles))
    axes = fig.subplots(len(roles), len(labels), squeeze=False)
    vmax = max((max(map(max, h.grid)) for h in heatmaps), default=1.0) or 1.0
    for i, role in enumerate(roles):
        for j, label in enumerate(labels):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            match = [h for h in heatmaps if h.role == role and h.label == label]
            if match:
                ax.imshow(
                    np.array(match[0].grid),
                    cmap="magma_r",
                    vmin=0.0,
                    vmax=vmax,
                    extent=(0, 1, 1, 0),
                    interpolation="nearest",
                )
            if i == 0:
                ax.set_title(text(label), fontsize=9)
            if j == 0:
                ax.set_ylabel(role, fontsize=9, color=ROLE_COLORS[role])
    return _figure_uri(fig)


def history_figure(series: dict[str, list[float | None]], keys: list[tuple[str, str]]) -> str:
    """One small line plot per metric over the runs (oldest left): ``series[key]`` holds one value
    per run (None where not measured), ``keys`` the (key, label) pairs to plot."""
    fig = _new(2.6 * len(keys), 2.0)
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    x = np.arange(1, len(series[keys[0][0]]) + 1)
    for ax, (key, label) in zip(axes, keys, strict=True):
        y = np.array([np.nan if v is None else v for v in series[key]], dtype=float)
        ax.plot(x, y, marker="o", color="#444", linewidth=1.2, markersize=3)
        ax.set_title(label, fontsize=8)
        ax.set_xlabel("run", fontsize=8)
        ax.set_xticks(x if len(x) <= 10 else x[:: max(len(x) // 10, 1)])
        _style(ax)
    fig.tight_layout()
    return _figure_uri(fig)


def before_after_figure(rows: list[DebiasRow]) -> str:
    """Paired bars per finding: scan score before (grey) and after (green) debiasing."""
    names = [r.name for r in rows]
    y = np.arange(len(names))
    fig = _new(6.0, 0.45 * len(names) + 1.0)
    ax = fig.add_subplot()
    ax.barh(y - 0.2, [r.score_before for r in rows], 0.4, color="#9aa0a6", label="before")
    ax.barh(y + 0.2, [r.score_after for r in rows], 0.4, color=ROLE_COLORS["augmented"], label="after")
    ax.set_yticks(y, [text(n) for n in names], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("bias score (lower is better)", fontsize=8)
    ax.legend(fontsize=8, frameon=False)
    _style(ax)
    return _figure_uri(fig)
