"""The report stage on a hand-built output directory: content, escaping, degradation, history, --fail-on."""

from __future__ import annotations

import html
import json
import sys

import pandas as pd
import pytest

from synthscope.config import load_config
from synthscope.errors import StageInputError
from synthscope.io import read_json, write_json
from synthscope.stages import report as report_stage
from tests.integration.report_fixture import HOSTILE, HOSTILE_FILE, build_outputs


def config_for(out, tmp_path):
    return load_config(
        None, {"synthetic": str(tmp_path / "synthetic"), "output_dir": str(out.root), "name": "fixture"}
    )


def test_full_report_content(tmp_path):
    out = build_outputs(tmp_path)
    written = report_stage.run(config_for(out, tmp_path))
    assert out.report_html in written and out.report_json in written and out.summary_md in written
    report = read_json(out.report_json)
    page = out.report_html.read_text(encoding="utf-8")
    assert report["verdict"] == "fail" and ">FAIL<" in page
    assert {g["gate"]: g["status"] for g in report["gates"]} == {
        "max_finding_severity": "fail",
        "max_fd_ratio": "fail",
        "max_kid_excess": "pass",  # 0.02, at its 0.02 limit, and says that its interval [-0.01, 0.05] reaches past it
        "min_cas_ratio": "fail",
        "min_coverage_ratio": "fail",
    }
    kid = next(g for g in report["gates"] if g["gate"] == "max_kid_excess")
    assert "also reaches past it, so a value as far as 0.05 cannot be ruled out" in kid["reason"]
    assert report["verdict_sentence"].startswith("Synthetic differs from real more than two real samples differ")
    assert "FD 2.4x the real-vs-real reference [2, 2.9]" in report["verdict_sentence"]
    assert "FD 2.4x the real-vs-real reference" in page and report["decision_rule"].startswith("A gate fails only")
    for f in read_json(out.bias_json)["findings"]:  # every finding is in the page, as text
        assert html.escape(f["message"], quote=True).replace("&#x27;", "&#39;") in page
    assert "<script" not in page and html.escape(HOSTILE) in page
    assert html.escape(HOSTILE_FILE).replace("&quot;", "&#34;") in page
    assert "Frechet distance (mobilenet-v2)" in page and "61.3" in page and "[57.9, 65.2]" in page
    n_samples = sum(len(s["images"]) for s in report["samples"])
    assert n_samples == 18 and page.count('src="data:image/png;base64,') >= n_samples
    mem = report["memorized"][0]
    assert mem["query"]["role"] == "synthetic" and mem["neighbour"]["role"] == "real"
    assert report["debias"]["cas_after"]["value"] == 0.83
    plots = {p.stem: pd.read_csv(p) for p in out.plots_dir.glob("*.csv")}
    assert set(plots) == {
        "class_balance",
        "hist_obj_hue",
        "hist_obj_saturation",
        "hist_fg_area",
        "hist_bg_clutter",
        "location_heatmap",
        "finding_scores",
        "metrics_history",
        "debias_before_after",
    }
    assert set(plots["class_balance"]["label"]) == {"circle", "square", HOSTILE}
    assert list(plots["class_balance"].columns) == ["label", "synthetic", "real"]
    hue = plots["hist_obj_hue"]
    assert "synthetic/circle" in hue.columns and hue["real/square"].sum() == pytest.approx(1.0)
    assert "**Verdict: FAIL**" in out.summary_md.read_text(encoding="utf-8")


def test_history_trend_across_runs(tmp_path):
    out = build_outputs(tmp_path)
    cfg = config_for(out, tmp_path)
    report_stage.run(cfg)
    metrics = read_json(out.metrics_json)
    metrics["fid"].update(value=42.0, ci95=[40.0, 44.0])
    write_json(out.metrics_json, metrics)
    report_stage.run(cfg)
    report_stage.run(cfg)  # unchanged inputs: replaces the latest point rather than adding one
    assert (out.plots_dir / "debias_before_after.csv").is_file()
    out.debias_json.unlink()
    report_stage.run(cfg)  # debias gone: its plot goes too, and the changed inputs add a point
    assert not (out.plots_dir / "debias_before_after.csv").exists()
    report = read_json(out.report_json)
    assert [h["fid"] for h in report["history"]] == [61.3, 42.0, 42.0]
    assert len(pd.read_parquet(out.history)) == 3
    assert "metrics over runs" in out.report_html.read_text(encoding="utf-8")


def test_degrades_without_real_reference_or_later_stages(tmp_path):
    out = build_outputs(tmp_path, with_real=False, with_optional=False)
    report_stage.run(config_for(out, tmp_path))
    report = read_json(out.report_json)
    assert report["verdict"] == "warn"
    assert report["notes"][0].startswith("no real reference")
    assert not any(report["inputs"].values())
    page = out.report_html.read_text(encoding="utf-8")
    assert "What this report could not check" in page and "The debias stage has not run" in page
    assert json.loads(json.dumps(report)) == report


def test_missing_manifest_names_the_fix(tmp_path):
    cfg = load_config(None, {"synthetic": str(tmp_path), "output_dir": str(tmp_path / "out")})
    with pytest.raises(StageInputError, match="stage ingest"):
        report_stage.run(cfg)


@pytest.mark.parametrize(("fail_on", "code"), [(None, 0), ("fail", 2), ("warn", 2)])
def test_audit_fail_on_exits_2_when_gates_are_crossed(tmp_path, monkeypatch, capsys, fail_on, code):
    from synthscope import cli

    out = build_outputs(tmp_path)
    # The exit-code logic only: the flow is replaced by the report stage (tests/e2e/test_flow.py runs the real one).
    monkeypatch.setattr("synthscope.orchestration.audit.audit_flow_for", lambda address=None: lambda **kw: report_stage.run(
        config_for(out, tmp_path)))
    # A server named (never called: there is no flow) so that `audit` starts no temporary one (8-10 s each).
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    argv = ["synthscope", "audit", "--synthetic", str(tmp_path / "synthetic"), "--output-dir", str(out.root)]
    monkeypatch.setattr(sys, "argv", argv + (["--fail-on", fail_on] if fail_on else []))
    with pytest.raises(SystemExit) as exc:
        cli.main()
        raise SystemExit(0)
    assert exc.value.code == code
    assert "(verdict: fail)" in capsys.readouterr().out


def test_the_findings_are_ranked_and_the_gates_evaluated_once_per_report(tmp_path, monkeypatch):
    from synthscope.report import build, gates, headlines

    calls = {"ranked_findings": 0, "evaluate_gates": 0}

    def counted(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    ranked, evaluate = headlines.ranked_findings, gates.evaluate_gates
    for module in (report_stage, build, gates, headlines):  # the stage imports them from their modules when it runs
        if hasattr(module, "ranked_findings"):
            monkeypatch.setattr(module, "ranked_findings", counted("ranked_findings", ranked))
        if hasattr(module, "evaluate_gates"):
            monkeypatch.setattr(module, "evaluate_gates", counted("evaluate_gates", evaluate))
    out = build_outputs(tmp_path)
    report_stage.run(config_for(out, tmp_path))
    assert calls == {"ranked_findings": 1, "evaluate_gates": 1}
