"""The report on the demo data: verdict, metrics, every planted finding, memorised pairs, thumbnails."""

from __future__ import annotations

import html

import pytest

from synthscope.io import read_json
from synthscope.paths import OutputPaths
from synthscope.stages import report as report_stage
from tests.integration.report_demo import demo_audit


@pytest.mark.slow
def test_demo_report_shows_every_planted_bias(demo_dir, tmp_path):
    config = demo_audit(demo_dir, tmp_path / "out")
    report_stage.run(config)
    out = OutputPaths(config.output_dir)
    report = read_json(out.report_json)
    page = out.report_html.read_text(encoding="utf-8")
    assert report["verdict"] == "fail" and ">FAIL<" in page
    assert "Frechet distance (mobilenet-v2)" in page and "87.4" in page and "[83, 92.1]" in page
    assert report["config"]["real"].endswith("real") and report["notes"] == [
        "no debiasing results (the debias stage has not run), so there is no before/after"
    ]
    planted = read_json(out.bias_json)["findings"]
    assert len(report["findings"]) == len(planted) >= 6
    for f in planted:
        assert html.escape(f["message"]) in page
    checks = {f["check"] for f in report["findings"]}
    assert {"shortcut", "consistency", "imbalance", "duplicates", "memorization"} <= checks
    # Memorised copies are shown beside the real image they copy (same class, real role).
    assert report["memorized"], "the demo plants memorised images"
    for pair in report["memorized"]:
        assert pair["neighbour"]["role"] == "real" and pair["neighbour"]["label"] == pair["query"]["label"]
    # Imbalance is visible in the class balance: circles dominate the synthetic set, not the real one.
    balance = {r["label"]: r for r in report["class_balance"]}
    assert balance["circle"]["synthetic"] > 3 * balance["triangle"]["synthetic"]
    assert balance["circle"]["real"] == balance["triangle"]["real"]
    thumbs = page.count('src="data:image/png;base64,')
    assert thumbs >= sum(len(s["images"]) for s in report["samples"]) + len(report["memorized"])
