"""Quality gates: every status path, against hand-computed expectations."""

from __future__ import annotations

import dataclasses

import pytest

from synthscope.documents import BiasDocument, ExtractorRef, read_document
from synthscope.errors import DataError
from synthscope.params import GateParams
from synthscope.report.gates import crosses, evaluate_gates
from synthscope.report.headlines import metric_entry, metric_label, ranked_findings
from tests.documents_fakes import bias_doc, finding
from tests.documents_fakes import metrics_doc as metrics

GATES = GateParams(
    max_finding_severity="medium", max_fid=50.0, max_kid=0.05, min_cas_ratio=0.8, min_coverage=0.5
)


def test_clean_data_passes():
    result = evaluate_gates(metrics(), bias_doc([finding("low")]), GATES)
    assert result.verdict == "pass" and result.reasons == []
    assert {c.gate for c in result.checks} == {
        "max_finding_severity",
        "max_fid",
        "max_kid",
        "min_cas_ratio",
        "min_coverage",
    }


def test_metric_beyond_limit_fails_and_ci_straddle_warns():
    failed = evaluate_gates(metrics(fid=(61.0, [57.0, 65.0])), bias_doc([]), GATES)
    assert failed.verdict == "fail" and "max_fid" in failed.reasons[0]
    straddle = evaluate_gates(metrics(fid=(48.0, [45.0, 52.0])), bias_doc([]), GATES)
    assert straddle.verdict == "warn" and "95% CI" in straddle.reasons[0]


def test_severity_gate_above_fails_at_limit_warns():
    assert evaluate_gates(metrics(), bias_doc([finding("high")]), GATES).verdict == "fail"
    at = evaluate_gates(metrics(), bias_doc([finding("medium")]), GATES)
    assert at.verdict == "warn" and "allowed maximum" in at.reasons[0]


def test_cas_ratio_is_the_quotient_with_a_conservative_interval():
    entry = metric_entry(metrics(s2r=(0.6, [0.5, 0.7]), r2r=(0.9, [0.8, 1.0])), "cas_ratio")
    assert entry.value == pytest.approx(0.6 / 0.9)
    assert entry.ci95 == pytest.approx((0.5 / 1.0, 0.7 / 0.8))
    result = evaluate_gates(metrics(s2r=(0.6, [0.5, 0.7]), r2r=(0.9, [0.8, 1.0])), bias_doc([]), GATES)
    assert result.verdict == "fail" and any("min_cas_ratio" in r for r in result.reasons)


def test_missing_inputs_warn_and_disabled_gates_are_skipped():
    result = evaluate_gates(None, None, GATES)
    assert result.verdict == "warn"
    assert all(c.status == "warn" for c in result.checks)
    off = dataclasses.replace(GATES, max_fid=None, max_kid=None, min_cas_ratio=None, min_coverage=None)
    assert [c.gate for c in evaluate_gates(None, bias_doc([]), off).checks] == ["max_finding_severity"]
    assert evaluate_gates(None, bias_doc([]), off).verdict == "pass"


def test_fail_on_semantics():
    assert crosses("fail", "fail") and crosses("fail", "warn") and crosses("warn", "warn")
    assert not crosses("warn", "fail") and not crosses("pass", "warn")


def net(name: str, weights: str = "official") -> ExtractorRef:
    return ExtractorRef(name=name, weights=weights)


def test_frechet_distance_outside_inception_is_not_called_fid():
    assert metric_label("fid", net("inception-fid")) == "FID"
    assert metric_label("fid", net("mobilenet-v2")) == "Frechet distance (mobilenet-v2)"
    assert "FID" not in metric_label("kid", net("mobilenet-v2"))


def test_findings_sorted_worst_first_and_validated(tmp_path):
    out = ranked_findings(
        bias_doc([finding("low", score=0.9), finding("high", score=0.2), finding("high", score=0.8)])
    )
    assert [(f["severity"], f["score"]) for f in out] == [("high", 0.8), ("high", 0.2), ("low", 0.9)]
    bad = tmp_path / "bias.json"
    bad.write_text(bias_doc([finding("high")]).model_dump_json(by_alias=True).replace('"high"', '"catastrophic"'))
    with pytest.raises(DataError, match=r"bias.json does not match its schema \(findings.0.severity: .*re-run `synthscope stage scan`"):
        read_document(bad, BiasDocument)


def test_inception_with_custom_weights_is_not_fid_either():
    assert metric_label("fid", net("inception-fid", "custom")) == (
        "Frechet distance (inception-fid, custom weights)"
    )
    assert (
        metric_label("inception_score", net("inception-fid")) == "Inception Score"
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
    assert evaluate_gates(doc, bias_doc([]), far).verdict == "pass"
    near = dataclasses.replace(far, max_fid=(res.value + hi) / 2) if hi > res.value else far
    expected = "warn" if hi > res.value else "pass"
    assert evaluate_gates(doc, bias_doc([]), near).verdict == expected
