"""The verdict in one sentence that says what decided it.

"No: this data crosses a quality gate" does not say whether the synthetic set is far from
real or the numbers are noise. The sentence sets each deciding number against its
real-vs-real reference, e.g. "synthetic differs from real more than two real samples differ
from each other: FD 3.1x the real-vs-real reference [2.5, 3.8]; a permutation test tells them
apart (p = 0.002, normalised MMD^2 0.41)".
"""

from __future__ import annotations

from synthscope.documents import MetricsDocument
from synthscope.report.gates import GateCheck, GateResult, reaches_past

PHRASES = {
    "max_fd_ratio": "FD {v}x the real-vs-real reference",
    "max_kid_excess": "KID {v} of the real kernel variance above its real-vs-real reference",
    "min_coverage_ratio": "coverage {v}x the real-vs-real coverage",
    "min_cas_ratio": "a classifier trained on synthetic reaches {v}x the real-trained accuracy on real",
}


def _num(x: float) -> str:
    return f"{x:.2g}" if abs(x) < 10 else f"{x:.0f}"


def _phrase(check: GateCheck) -> str:
    assert isinstance(check.value, float | int)
    text = PHRASES[check.gate].format(v=_num(float(check.value)))
    return text + ("" if check.ci95 is None else f" [{_num(check.ci95[0])}, {_num(check.ci95[1])}]")


def _test(metrics: MetricsDocument | None) -> str | None:
    test = None if metrics is None else metrics.two_sample_test
    if test is None:
        return None
    effect = f"normalised MMD^2 {_num(test.effect_size.value)}"
    if test.value < 0.05:
        return f"a permutation test tells them apart (p = {test.value:.2g}, {effect})"
    return f"a permutation test cannot tell them apart beyond sampling noise (p = {test.value:.2g}, {effect})"


def verdict_sentence(result: GateResult, metrics: MetricsDocument | None) -> str:
    """What decided the verdict, in words, with the numbers and their intervals."""
    metric_checks = [c for c in result.checks if c.gate in PHRASES]
    measured = [c for c in metric_checks if c.value is not None]
    failed = [c for c in measured if c.status == "fail"]
    warned = [c for c in result.checks if c.status == "warn"]
    test = _test(metrics)
    tail = f"; {test}" if test else ""
    findings = next((c for c in result.checks if c.gate == "max_finding_severity"), None)
    if failed:
        numbers = "; ".join(_phrase(c) for c in failed)
        return f"Synthetic differs from real more than two real samples differ from each other: {numbers}{tail}."
    if findings is not None and findings.status == "fail":
        close = "; ".join(_phrase(c) for c in measured[:2])
        also = f" Its distribution is otherwise {'as close to real as a real sample' if close else 'not compared'}" \
            + (f": {close}" if close else "") + "."
        return f"The bias scan decided it: {findings.reason}.{also}"
    if result.verdict == "warn":
        why = "; ".join(_phrase(c) if c.gate in PHRASES and c.value is not None else c.reason for c in warned)
        return f"The data cannot confirm a pass: {why}{tail}."
    if not measured:
        na = [c.reason for c in metric_checks if c.status == "not_applicable"]
        reason = na[0] if na else "no metric gate is on"
        return f"Only the bias scan could be checked ({reason})."
    numbers = "; ".join(_phrase(c) for c in measured)
    wide = [c.gate for c in measured if reaches_past(c)]
    caveat = "" if not wide else (
        f" At this sample size the interval of {', '.join(wide)} also reaches past its gate: a gap that size "
        "cannot be ruled out.")
    return f"Synthetic is as close to real as two real samples of the same size are: {numbers}{tail}.{caveat}"
