"""Quality gates: every status path, against hand-computed expectations."""

from __future__ import annotations

import dataclasses

import pytest

from synthscope.errors import DataError
from synthscope.params import GateParams
from synthscope.report.contracts import metric_entry, metric_label, read_findings
from synthscope.report.gates import crosses, evaluate_gates

GATES = GateParams(
    max_finding_severity="medium", max_fid=50.0, max_kid=0.05, min_cas_ratio=0.8, min_coverage=0.5
)


def metrics(
    fid=(30.0, [28.0, 32.0]), cov=(0.7, [0.65, 0.75]), s2r=(0.9, [0.88, 0.92]), r2r=(1.0, [0.98, 1.0])
):
    return {
        "fid": {"value": fid[0], "ci95": fid[1]},
        "kid": {"value": 0.01, "ci95": [0.005, 0.015]},
        "coverage": {"value": cov[0], "ci95": cov[1]},
        "cas": {
            "synthetic_to_real": {"value": s2r[0], "ci95": s2r[1]},
            "real_to_real": {"value": r2r[0], "ci95": r2r[1]},
        },
        "extractor": {"name": "inception-fid", "weights": "official", "sha256": "x"},
    }


def finding(severity, check="shortcut", score=0.5):
    return {
        "check": check,
        "attribute": "color",
        "class": "a",
        "severity": severity,
        "score": score,
        "reference_score": 0.1,
        "origin": "introduced",
        "message": "m",
    }


def test_clean_data_passes():
    result = evaluate_gates(metrics(), {"findings": [finding("low")]}, GATES)
    assert result.verdict == "pass" and result.reasons == []
    assert {c.gate for c in result.checks} == {
        "max_finding_severity",
        "max_fid",
        "max_kid",
        "min_cas_ratio",
        "min_coverage",
    }


def test_metric_beyond_limit_fails_and_ci_straddle_warns():
    failed = evaluate_gates(metrics(fid=(61.0, [57.0, 65.0])), {"findings": []}, GATES)
    assert failed.verdict == "fail" and "max_fid" in failed.reasons[0]
    straddle = evaluate_gates(metrics(fid=(48.0, [45.0, 52.0])), {"findings": []}, GATES)
    assert straddle.verdict == "warn" and "95% CI" in straddle.reasons[0]


def test_severity_gate_above_fails_at_limit_warns():
    assert evaluate_gates(metrics(), {"findings": [finding("high")]}, GATES).verdict == "fail"
    at = evaluate_gates(metrics(), {"findings": [finding("medium")]}, GATES)
    assert at.verdict == "warn" and "allowed maximum" in at.reasons[0]


def test_cas_ratio_is_the_quotient_with_a_conservative_interval():
    entry = metric_entry(metrics(s2r=(0.6, [0.5, 0.7]), r2r=(0.9, [0.8, 1.0])), "cas_ratio")
    assert entry["value"] == pytest.approx(0.6 / 0.9)
    assert entry["ci95"] == pytest.approx([0.5 / 1.0, 0.7 / 0.8])
    result = evaluate_gates(metrics(s2r=(0.6, [0.5, 0.7]), r2r=(0.9, [0.8, 1.0])), {"findings": []}, GATES)
    assert result.verdict == "fail" and any("min_cas_ratio" in r for r in result.reasons)


def test_missing_inputs_warn_and_disabled_gates_are_skipped():
    result = evaluate_gates(None, None, GATES)
    assert result.verdict == "warn"
    assert all(c.status == "warn" for c in result.checks)
    off = dataclasses.replace(GATES, max_fid=None, max_kid=None, min_cas_ratio=None, min_coverage=None)
    assert [c.gate for c in evaluate_gates(None, {"findings": []}, off).checks] == ["max_finding_severity"]
    assert evaluate_gates(None, {"findings": []}, off).verdict == "pass"


def test_fail_on_semantics():
    assert crosses("fail", "fail") and crosses("fail", "warn") and crosses("warn", "warn")
    assert not crosses("warn", "fail") and not crosses("pass", "warn")


def test_frechet_distance_outside_inception_is_not_called_fid():
    assert metric_label("fid", {"name": "inception-fid", "weights": "official"}) == "FID"
    assert metric_label("fid", {"name": "mobilenet-v2"}) == "Frechet distance (mobilenet-v2)"
    assert "FID" not in metric_label("kid", {"name": "mobilenet-v2"})


def test_findings_sorted_worst_first_and_validated():
    out = read_findings(
        {"findings": [finding("low", score=0.9), finding("high", score=0.2), finding("high", score=0.8)]}
    )
    assert [(f["severity"], f["score"]) for f in out] == [("high", 0.8), ("high", 0.2), ("low", 0.9)]
    with pytest.raises(DataError, match="re-run"):
        read_findings({"findings": [finding("catastrophic")]})


def test_inception_with_custom_weights_is_not_fid_either():
    assert metric_label("fid", {"name": "inception-fid", "weights": "custom"}) == (
        "Frechet distance (inception-fid, custom weights)"
    )
    assert (
        metric_label("inception_score", {"name": "inception-fid", "weights": "official"}) == "Inception Score"
    )


def test_fid_gate_reads_the_honest_interval_that_holds_the_estimate():
    """Issue 12: a bootstrap interval above its own FID made gates warn far from the limit. The
    score stage's interval holds the estimate, so a limit just above the value but below the
    interval's top warns, and a limit above the interval passes."""
    import numpy as np

    from synthscope.metrics.fid_interval import fid_with_interval

    rng = np.random.default_rng(0)
    res = fid_with_interval(rng.normal(size=(300, 64)), rng.normal(size=(300, 64)), reps=12, seed=0)
    lo, hi = res.ci95
    assert lo <= res.value <= hi
    doc = metrics(fid=(res.value, [lo, hi]))
    far = dataclasses.replace(GATES, max_fid=hi * 1.5, max_kid=None, min_cas_ratio=None, min_coverage=None)
    assert evaluate_gates(doc, {"findings": []}, far).verdict == "pass"
    near = dataclasses.replace(far, max_fid=(res.value + hi) / 2) if hi > res.value else far
    expected = "warn" if hi > res.value else "pass"
    assert evaluate_gates(doc, {"findings": []}, near).verdict == expected
