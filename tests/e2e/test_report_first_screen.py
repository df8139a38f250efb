"""The report's first screen on a 34-class set: fits one 1280x1000 viewport, leads with the overall drift.

Synthetic: black glyphs 0-9 and A-X on white, 28 px. Real: the same glyphs in colour,
composited on CIFAR photos, 48 px. Ingest, features and scan run for real (bias.json with
its groups); metrics.json is the report tests' hand-built one, so the metric cards are
there without the score stage's minutes. The report must lead with the overall drift group,
show at most ``report.max_findings_first_screen`` groups, keep per-class values and method
text out of the metric cards and, in headless Chromium, end its first screen within 1000 px
with no horizontal scrolling. The structural test runs everywhere; the browser one needs
``chromium`` (``tests/e2e/install_chromium.sh``).
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from synthscope.config import AuditConfig, load_params
from synthscope.documents import dump
from synthscope.io import write_json
from synthscope.paths import OutputPaths
from tests.built_once import built_once
from tests.documents_fakes import metrics_doc
from tests.integration.headless_chromium import visit
from tests.shared_data import shared_dir

GLYPHS = string.digits + string.ascii_uppercase[:24]  # 34 classes: 0-9, A-X
PER_CLASS = 5


def glyph(char: str, side: int, ink: tuple[int, int, int], background: Image.Image, rng: np.random.Generator) -> Image.Image:
    img = background.resize((side, side)).convert("RGB")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=int(side * 0.7))
    jitter = rng.integers(-side // 10, side // 10 + 1, 2)
    draw.text((side / 2 + jitter[0], side / 2 + jitter[1]), char, fill=ink, font=font, anchor="mm")
    return img


def write_glyph_sets(root: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    photos = sorted((shared_dir() / "data" / "cifar10-sample").glob("*/*.jpg"))
    if not photos:
        pytest.fail("the shared CIFAR sample is missing; set SYNTHSCOPE_SHARED to the folder holding data/")
    white = Image.new("RGB", (28, 28), (255, 255, 255))
    for k, char in enumerate(GLYPHS):
        for i in range(PER_CLASS):
            for role in ("synthetic", "real"):
                folder = root / role / char
                folder.mkdir(parents=True, exist_ok=True)
                if role == "synthetic":
                    img = glyph(char, 28, (0, 0, 0), white, rng)
                else:
                    ink = tuple(int(v) for v in rng.integers(40, 256, 3))
                    img = glyph(char, 48, ink, Image.open(photos[(k * PER_CLASS + i) % len(photos)]), rng)
                img.save(folder / f"{i}.png")
    return root / "synthetic", root / "real"


@pytest.fixture(scope="module")
def glyph_report(tmp_path_factory: pytest.TempPathFactory) -> OutputPaths:
    """The 34-class audit and its report, built once per run (both tests only read it)."""
    return OutputPaths(built_once(tmp_path_factory, "glyph-report", build_glyph_report) / "out")


def build_glyph_report(tmp: Path) -> None:
    from synthscope.stages import run_stage

    synthetic, real = write_glyph_sets(tmp / "data")
    config = AuditConfig("glyphs", synthetic, real, tmp / "out", tmp / "store", load_params(None))
    for stage in ("ingest", "features", "scan"):
        run_stage(stage, config)
    per_class = {c: {"value": 40.0 + k, "n_synthetic": PER_CLASS, "n_real": PER_CLASS, "small_n": True}
                 for k, c in enumerate(GLYPHS)}
    neighbours = {"precision": (0.1, [0.05, 0.15]), "recall": (0.2, [0.1, 0.3]), "density": (0.05, [0.0, 0.1])}
    metrics = metrics_doc(fid=(180.0, [170.0, 190.0]), fid_extra={"per_class": per_class}, neighbours=neighbours,
                          extractor=("mobilenet-v2", "official"), fid_warnings=("fewer than 2048 images per side: biased upwards",))
    write_json(OutputPaths(config.output_dir).metrics_json, dump(metrics))
    run_stage("report", config)


def first_screen_html(html: str) -> str:
    """The page from its start to the end of the top-findings card."""
    end = html.index("</section>", html.index('id="top-findings"'))
    return html[:end]


@pytest.mark.slow
def test_first_screen_structure_on_34_classes(glyph_report):
    report = json.loads(glyph_report.report_json.read_text())
    bias = json.loads(glyph_report.bias_json.read_text())
    shown = report["top_groups"]
    assert 0 < len(shown) <= load_params(None).report.max_findings_first_screen
    assert shown[0]["id"] == "drift.all" and shown[0]["severity"] == "high"  # leads with the overall drift
    # the per-class rows stay in bias.json, each in one group
    per_class = [f for f in bias["findings"] if f["class"] is not None]
    assert len(per_class) > 34 and {f["id"] for f in per_class} <= {m for g in bias["groups"] for m in g["members"]}
    multi = [g for g in bias["groups"] if g["n_classes"] > 1]
    assert multi and all(g["n_classes_measured"] <= 34 for g in multi)
    for g in multi:  # "in 12 of 34 classes: ..."
        assert g["message"].startswith(f"in {g['n_classes']} of {g['n_classes_measured']} classes: "), g["message"]
    # the verdict names groups, not one arbitrary class
    severity_reason = next(g["reason"] for g in report["gates"] if g["gate"] == "max_finding_severity")
    assert "group(s): high drift (embeddings)" in severity_reason and "in '" not in severity_reason
    screen = first_screen_html(glyph_report.report_html.read_text())
    assert len(re.findall(r'class="metric[ "]', screen)) == len(report["metrics"]) >= 7
    assert "per class:" not in screen and "CI:" not in screen  # method text and per-class values are below
    assert screen.count("<tr><td><span class=\"pill") == len(shown)


@pytest.mark.slow
@pytest.mark.service
def test_first_screen_fits_the_viewport_in_chromium(chromium, glyph_report, tmp_path):
    measures = {
        "bottom": "document.querySelector('#top-findings').getBoundingClientRect().bottom",
        "scroll_width": "document.documentElement.scrollWidth",
        "client_width": "document.documentElement.clientWidth",
        "first_group": "document.querySelector('#top-findings td.gtitle').innerText",
    }
    page = visit(glyph_report.report_html, evaluate=measures)
    (tmp_path / "first_screen.png").write_bytes(page.screenshot)
    assert page.console_errors == [] and page.requests == []
    v = page.values
    assert v["bottom"] <= 1000, v
    assert v["scroll_width"] <= v["client_width"] <= 1280, v
    assert v["first_group"].startswith("drift (embeddings)"), v
