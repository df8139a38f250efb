"""Figures decode as PNGs of the expected size, and user text cannot break matplotlib."""

from __future__ import annotations

import base64
import io
from types import SimpleNamespace

import numpy as np
from PIL import Image

from synthscope.documents.report import Heatmap, HistogramBin
from synthscope.report import figures


def decode(uri: str) -> Image.Image:
    assert uri.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def test_thumbnail_keeps_aspect_and_fits_the_box():
    rgb = np.zeros((40, 100, 3), np.uint8)
    rgb[:, 50:] = 255
    img = decode(figures.thumbnail_uri(rgb, 50))
    assert img.size == (50, 20)
    assert np.asarray(img.convert("RGB"))[10, 40:].mean() > 200  # right half stays white


def test_charts_render_with_hostile_and_mathtext_labels():
    rows = [
        {
            "label": r"$\frac$ <b>",
            "synthetic": 3,
            "real": 1,
            "synthetic_fraction": 0.75,
            "real_fraction": 0.25,
        },
        {"label": "b", "synthetic": 1, "real": 3, "synthetic_fraction": 0.25, "real_fraction": 0.75},
    ]
    assert decode(figures.class_balance_figure(rows)).size[0] > 300
    hist = [
        HistogramBin(role=role, label=r"$\frac$ <b>", column="fg_area", bin_lo=i / 4, bin_hi=(i + 1) / 4, fraction=0.25)
        for role in ("synthetic", "real")
        for i in range(4)
    ]
    assert decode(figures.histogram_figure(hist, "fg_area", [r"$\frac$ <b>"])).size[1] > 100
    heat = [Heatmap(role="real", label="$", n=2, grid=[[0.5, 0.5], [0.0, 0.0]])]
    assert decode(figures.location_figure(heat)).mode in ("RGBA", "RGB")
    series = {"fid": [3.0, None], "n_findings": [1, 2]}
    assert decode(figures.history_figure(series, [("fid", "FID"), ("n_findings", "findings")]))
    before_after = [SimpleNamespace(name="shortcut / color / $a", score_before=0.9, score_after=0.2)]  # DebiasRow's
    assert decode(figures.before_after_figure(before_after))
