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

GATES = GateParams(  # the limits of the tests below, not the defaults (those come from bench/calibration.py)
    max_finding_severity="medium", max_fd_ratio=1.5, max_kid_excess=0.1, min_cas_ratio=0.8, min_coverage_ratio=0.7
)


def test_clean_data_passes():
    result = evaluate_gates(metrics(), bias_doc([finding("low")]), GATES)
    assert result.verdict == "pass" and result.reasons == []
    assert {c.gate for c in result.checks} == {
        "max_finding_severity",
        "max_fd_ratio",
        "max_kid_excess",
        "min_cas_ratio",
        "min_coverage_ratio",
    }


def test_decision_rule_fail_only_when_the_whole_interval_is_beyond():
    """fail: interval wholly beyond; warn: the estimate beyond, its interval reaching back within;
    pass: the estimate within, saying so when the interval also reaches past the limit."""
    def status(gate_key: str, pair) -> str:
        checks = evaluate_gates(metrics(relative={gate_key: pair}), bias_doc([]), GATES).checks
        gate = {"fid": "max_fd_ratio", "kid": "max_kid_excess", "coverage": "min_coverage_ratio"}[gate_key]
        return next(c.status for c in checks if c.gate == gate)

    assert status("fid", (3.1, [2.5, 3.8])) == "fail"
    assert status("fid", (1.6, [1.4, 1.9])) == "warn"  # value beyond, interval straddles: the data cannot tell
    assert status("fid", (1.3, [1.1, 1.6])) == "pass"  # estimate within: no evidence of a problem ...
    wide = evaluate_gates(metrics(relative={"fid": (1.3, [1.1, 1.6])}), bias_doc([]), GATES)
    reason = next(c.reason for c in wide.checks if c.gate == "max_fd_ratio")
    assert "also reaches past it, so a value as far as 1.6 cannot be ruled out" in reason  # ... and it says so
    assert status("fid", (1.0, [0.9, 1.1])) == "pass"
    assert status("kid", (0.3, [0.2, 0.4])) == "fail" and status("kid", (0.12, [0.05, 0.2])) == "warn"
    assert status("kid", (0.05, [-0.01, 0.11])) == "pass"
    assert status("coverage", (0.4, [0.3, 0.5])) == "fail" and status("coverage", (0.65, [0.5, 0.8])) == "warn"
    assert status("coverage", (0.75, [0.6, 0.9])) == "pass"
    failed = evaluate_gates(metrics(relative={"fid": (3.1, [2.5, 3.8])}), bias_doc([]), GATES)
    assert failed.verdict == "fail" and "max_fd_ratio" in failed.reasons[0]
    assert "3.1 x its real-vs-real reference [2.5, 3.8]" in failed.reasons[0]


def test_gates_that_cannot_apply_say_so_and_do_not_warn():
    no_real = metrics(fid=None, kid=None, cov=None, s2r=None, relative={}, p_value=None)
    no_real = no_real.model_copy(update={"n_real": 0, "skipped": {
        "real_vs_real": "no real reference", "cas": "no real reference"}})
    result = evaluate_gates(no_real, bias_doc([]), GATES)
    assert result.verdict == "pass" and result.reasons == []
    assert {c.status for c in result.checks if c.gate != "max_finding_severity"} == {"not_applicable"}
    small = metrics(relative={}).model_copy(update={"real_vs_real": None})
    assert evaluate_gates(small, bias_doc([]), GATES).verdict == "warn"  # measured nowhere: an older metrics.json


def test_severity_gate_above_fails_at_limit_warns():
    assert evaluate_gates(metrics(), bias_doc([finding("high")]), GATES).verdict == "fail"
    at = evaluate_gates(metrics(), bias_doc([finding("medium")]), GATES)
    assert at.verdict == "warn" and "allowed maximum" in at.reasons[0]


def test_cas_ratio_is_the_quotient_with_a_conservative_interval():
    entry = metric_entry(metrics(s2r=(0.6, [0.5, 0.7]), r2r=(0.9, [0.8, 1.0])), "cas_ratio")
    assert entry.value == pytest.approx(0.6 / 0.9)
    assert entry.ci95 == pytest.approx((0.5 / 1.0, 0.7 / 0.8))
    straddles = evaluate_gates(metrics(s2r=(0.6, [0.5, 0.7]), r2r=(0.9, [0.8, 1.0])), bias_doc([]), GATES)
    assert straddles.verdict == "warn"  # [0.5, 0.875] holds 0.8
    result = evaluate_gates(metrics(s2r=(0.5, [0.45, 0.55]), r2r=(0.9, [0.8, 1.0])), bias_doc([]), GATES)
    assert result.verdict == "fail" and any("min_cas_ratio" in r for r in result.reasons)


def test_missing_inputs_warn_and_disabled_gates_are_skipped():
    result = evaluate_gates(None, None, GATES)
    assert result.verdict == "warn"
    assert all(c.status == "warn" for c in result.checks)
    off = dataclasses.replace(GATES, max_fd_ratio=None, max_kid_excess=None, min_cas_ratio=None,
                              min_coverage_ratio=None)
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
    assert [(f.severity, f.score) for f in out] == [("high", 0.8), ("high", 0.2), ("low", 0.9)]
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


def test_too_small_a_real_set_makes_the_relative_gates_not_applicable():
    doc = metrics()
    rvr = doc.real_vs_real.model_copy(update={"available": False, "note": "the real set (15 images) is too small "
                                              "to split", "metrics": {}, "value": None, "ci95": None})
    result = evaluate_gates(doc.model_copy(update={"real_vs_real": rvr}), bias_doc([]), GATES)
    relative = [c for c in result.checks if c.gate in ("max_fd_ratio", "max_kid_excess", "min_coverage_ratio")]
    assert {c.status for c in relative} == {"not_applicable"} and "too small to split" in relative[0].reason
    assert result.verdict == "pass"


def test_a_ratio_without_an_interval_warns_but_cannot_fail():
    # A null pair of 30 CIFAR photos a side: real->real 0.3 [0.0, 0.6], so the ratio has no upper bound
    # (docs/calibration.md); the point 0.67 is below 0.8, but no interval lies wholly beyond the gate.
    doc = metrics(s2r=(0.2, [0.0, 0.5]), r2r=(0.3, [0.0, 0.6]))
    assert metric_entry(doc, "cas_ratio").ci95 is None
    result = evaluate_gates(doc, bias_doc([]), GATES)
    assert result.verdict == "warn" and any("cannot fail" in r for r in result.reasons), result.reasons


def test_a_pass_whose_interval_reaches_past_a_gate_says_so_in_the_sentence():
    """Two halves of the same photos at 100 a side: the estimate is within the gate, the interval
    is not; the verdict passes (a warning there would fire on most perfect data) and says what a
    sample this small cannot rule out."""
    from synthscope.report.verdict import verdict_sentence

    doc = metrics(relative={"fid": (1.1, [0.8, 1.7])})
    result = evaluate_gates(doc, bias_doc([]), GATES)
    assert result.verdict == "pass"
    sentence = verdict_sentence(result, doc)
    assert "the interval of max_fd_ratio also reaches past its gate" in sentence, sentence
    tight = evaluate_gates(metrics(relative={"fid": (1.1, [1.0, 1.2])}), bias_doc([]), GATES)
    assert "reaches past" not in verdict_sentence(tight, doc)
