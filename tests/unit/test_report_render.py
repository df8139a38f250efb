"""Rendering: hostile names render as text, the page loads nothing, every finding is listed."""

from __future__ import annotations

import re

import pandas as pd

from synthscope.params import GateParams, ReportParams
from synthscope.report import artifacts
from synthscope.report.build import build_report
from synthscope.report.render import plot_tables, render_html, summary_markdown
from tests.documents_fakes import bias_doc, debias_doc, finding, metrics_doc

EVIL = "<script>alert(1)</script>"


def report(debias=None):
    manifest = pd.DataFrame(
        {
            "image_id": ["a" * 64, "b" * 64],
            "role": ["synthetic", "real"],
            "label": [EVIL, EVIL],
            "status": "ok",
            "reason": "",
            "duplicate_of": "",
            "path": ['x/"q" ü.png', "y.png"],
            "root": "/nowhere",
        }
    )
    bias = bias_doc([finding("high", score=0.9, cls=EVIL, message=f"{EVIL} | x")])
    metrics = metrics_doc(fid=(12.5, [11.0, 14.0]), kid=None, cov=None, s2r=None, extractor=("mobilenet-v2", "official"),
                          fid_warnings=["only 2 samples <b>"], fid_extra={
                              "method": "subsampling <i>",
                              "fid_inf": {"value": 10.25, "intercept": 10.25, "slope": 3.0, "x": "1/n",
                                          "extrapolation_reliable": True, "points": [], "method": "line"},
                              "per_class": {"a": {"value": 13.5, "n_synthetic": 9, "n_real": 12, "small_n": True},
                                            "b": {"value": None, "n_synthetic": 1, "n_real": 3, "small_n": True}}})
    return build_report(
        config={"name": "t", "synthetic": "s", "real": None, "output_dir": "o", "store_dir": "st"},
        generated_at="2026-01-01T00:00:00Z",
        manifest=manifest,
        attributes=None,
        metrics=metrics,
        bias=bias,
        debias=debias,
        features_info=None,
        gates=GateParams(),
        params=ReportParams(),
        history=[],
        memorized=[],
    )


def test_hostile_class_and_file_names_render_as_text():
    page = render_html(report(), {"a" * 64: "data:image/png;base64,AAAA"})
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'title="x/&#34;q&#34; ü.png"' in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_page_references_nothing_outside_itself():
    page = render_html(report(), {})
    urls = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert urls and all(u.startswith(("#", "data:")) for u in urls)
    assert "@import" not in page and "url(" not in page


def test_verdict_metrics_and_labels():
    r = report()
    assert r.verdict == "fail"
    page = render_html(r, {})
    assert ">FAIL<" in page and "Frechet distance (mobilenet-v2)" in page and ">FID<" not in page
    assert "95% CI [11, 14]" in page and "⚠ only 2 samples &lt;b&gt;" in page


def test_markdown_and_table_rows_escape_and_include_every_finding():
    r = report()
    text = summary_markdown(r, "report.html")
    assert "<script" not in text and "&lt;script>" in text
    assert "**Verdict: FAIL**" in text and "[Full report](report.html)" in text
    rows = artifacts.findings_table(r)
    assert len(rows) == len(r.findings) == 1 and rows[0]["severity"] == "high"


def test_markdown_reads_as_written_in_the_raw_file_and_lets_no_tag_through():
    """summary.md is read raw as often as rendered: arrows and ampersands stay as written; only
    what could open a tag or an entity is escaped (CommonMark renders both back as written)."""
    r = report()
    metric = r.metrics[0].model_copy(update={"label": "a -> b <img src=x onerror=alert(1)>"})
    r = r.model_copy(update={
        "reasons": ["min_cas_ratio: CAS synthetic->real / real->real 0.61 < 0.8 (cats & dogs, A&amp;B)"],
        "metrics": [metric, *r.metrics[1:]]})
    text = summary_markdown(r, "report.html")
    assert "- min_cas_ratio: CAS synthetic->real / real->real 0.61 &lt; 0.8 (cats & dogs, A&amp;amp;B)" in text
    assert "| a -> b &lt;img src=x onerror=alert(1)> |" in text
    assert "&gt;" not in text and "<img" not in text and "<script" not in text


def test_missing_inputs_are_named_and_debias_rendered_when_present():
    r = report()
    assert any("debias" in n for n in r.notes) and any("features" in n for n in r.notes)
    assert "has not run" in render_html(r, {})
    d = debias_doc([{"check": "shortcut", "attribute": "color", "class": EVIL, "metric": "youden_j",
                     "score_before": 0.9, "score_after": 0.3, "severity_before": "high", "severity_after": "info"}],
                   cas=(0.7, 0.8))
    r = report(d)
    page = render_html(r, {})
    assert "0.7</b>" in page and "→ <b>0.8</b>" in page and "before_after" not in page
    assert list(plot_tables(r)["debias_before_after"]["score_after"]) == [0.3]


def test_prefect_artifact_rows_and_headline_come_from_report_json():
    r = report()
    rows = artifacts.findings_table(r)
    assert rows == [{"severity": "high", "check": "shortcut", "attribute": "color", "class": EVIL, "score": 0.9,
                     "reference_score": 0.1, "origin": "introduced", "message": f"{EVIL} | x"}]
    assert artifacts.headline(r) == "verdict: fail - 1 finding(s) above low"


def test_intervals_name_their_method_and_fid_shows_fid_inf_and_small_classes():
    """Issue 12: the report shows each interval's method, FID-inf beside FID, and flags per-class
    values from few samples instead of showing them bare."""
    page = render_html(report(), {})
    assert "CI: subsampling &lt;i&gt;" in page
    assert "FID∞ (bias-extrapolated to infinite N): 10.25" in page
    assert "(small N = 9)" in page and "— (too few)" in page
