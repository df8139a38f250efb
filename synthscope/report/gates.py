"""Quality gates: turn metrics and findings into a verdict (pass | warn | fail) with reasons.

Thresholds come only from ``params.yaml`` ``gates`` (``GateParams``); a limit of ``null``
switches that gate off. The metric gates are in units that do not depend on the network or N:
the Frechet distance as a multiple of its real-vs-real reference at matched N, the KID excess
over its reference (a fraction of the real kernel variance), coverage relative to real-vs-real
coverage, and the CAS ratio. Decision rule (``DECISION_RULE``, also in metrics.json and report.json):

- ``fail``: the metric's 95% interval lies wholly beyond the limit (or a finding is more
  severe than allowed);
- ``warn``: the estimate is beyond the limit but its interval reaches back within it (the data
  suggest a problem and cannot confirm it), a finding sits exactly at the allowed severity, or
  the gate could not be checked because its stage did not run (an audit that could not look
  is not a pass);
- ``not_applicable``: the gate cannot apply to this data (no real set, one class so no CAS, a
  real set too small to split): said, and counted as a pass;
- ``pass``: otherwise: the estimate is within the limit. Where the interval also reaches past
  the limit, the reason says how far (a small sample cannot rule that out). Why not "warn
  whenever the interval straddles": two halves of the same photos then warned in 16-19 of 20
  splits at 100-500 images a side (docs/calibration.md), so a warning meant nothing.

The verdict is the worst status. ``synthscope audit --fail-on fail`` exits 2 on ``fail``;
``--fail-on warn`` also on ``warn``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from synthscope.bias.groups import group_phrase
from synthscope.documents import BiasDocument, Estimate, Finding, MetricsDocument
from synthscope.documents.report import GateCheck as GateCheckDocument
from synthscope.metrics.reference import DECISION_RULE
from synthscope.params import GateParams
from synthscope.report.headlines import metric_entry, metric_label, ranked_findings
from synthscope.schema import severity_rank

VERDICTS = ("pass", "warn", "fail")
STATUSES = ("pass", "not_applicable", "warn", "fail")  # not_applicable counts as a pass in the verdict
__all__ = ["DECISION_RULE", "METRIC_GATES", "evaluate_gates", "crosses", "reaches_past", "worst"]

# gate field in GateParams -> (metric key, "max" or "min", what the gate reads, in words)
METRIC_GATES: dict[str, tuple[str, str, str]] = {
    "max_fd_ratio": ("fid", "max", "x its real-vs-real reference"),
    "max_kid_excess": ("kid", "max", "of the real kernel variance above its real-vs-real reference"),
    "min_coverage_ratio": ("coverage", "min", "x real-vs-real coverage"),
    "min_cas_ratio": ("cas_ratio", "min", "(CAS synthetic->real / real->real)"),
}


@dataclass(frozen=True)
class GateCheck:
    gate: str  # the params.yaml key, e.g. "max_fd_ratio"
    limit: float | str
    value: float | str | None
    ci95: list[float] | None
    status: str  # pass | not_applicable | warn | fail
    reason: str

    def document(self) -> GateCheckDocument:
        """The check as report.json's ``gates`` entry."""
        return GateCheckDocument(**asdict(self))


@dataclass(frozen=True)
class GateResult:
    verdict: str  # pass | warn | fail
    checks: tuple[GateCheck, ...]

    @property
    def reasons(self) -> list[str]:
        """Why the verdict is not a clean pass: the reasons of every non-passing gate, worst first."""
        bad = [c for c in self.checks if c.status in ("warn", "fail")]
        bad.sort(key=lambda c: -VERDICTS.index(c.status))
        return [c.reason for c in bad]


def worst(statuses: list[str]) -> str:
    """The verdict of some gate statuses: not_applicable counts as pass."""
    return max((s if s in VERDICTS else "pass" for s in statuses), key=VERDICTS.index, default="pass")


def gated_value(metrics: MetricsDocument | None, key: str) -> tuple[Estimate | None, str | None]:
    """(the estimate a gate reads, None) or (None, why it cannot apply); (None, None): not measured.

    FD, KID and coverage are read relative to their real-vs-real reference (metrics.json
    ``real_vs_real``); the CAS ratio as ``metric_entry`` derives it."""
    if metrics is None:
        return None, None
    if key == "cas_ratio":
        entry = metric_entry(metrics, key)
        if entry is None and "cas" in metrics.skipped:
            return None, metrics.skipped["cas"]
        return entry, None
    rvr = metrics.real_vs_real
    if rvr is None:
        return None, metrics.skipped.get("real_vs_real") if metrics.n_real == 0 or "real_vs_real" in metrics.skipped \
            else None
    if not rvr.available:
        return None, rvr.note
    matched = rvr.metrics.get(key)
    relative = None if matched is None else matched.relative
    if relative is None:
        return None, f"the real-vs-real reference of {key} is 0, so there is no ratio to it"
    return relative, None


def _metric_check(gate: str, limit: float, metrics: MetricsDocument | None) -> GateCheck:
    key, kind, unit = METRIC_GATES[gate]
    label = metric_label(key, metrics.extractor if metrics else None)
    entry, not_applicable = gated_value(metrics, key)
    if entry is None:
        if not_applicable:
            return GateCheck(gate, limit, None, None, "not_applicable", f"{gate} does not apply: {not_applicable}")
        return GateCheck(gate, limit, None, None, "warn", f"{label} was not measured, so {gate} is unchecked")
    value, ci = entry.value, None if entry.ci95 is None else list(entry.ci95)
    lo, hi = (value, value) if ci is None else (ci[0], ci[1])
    sign = "≤" if kind == "max" else "≥"
    shown = f"{label} {value:.3g} {unit}" + ("" if ci is None else f" [{lo:.3g}, {hi:.3g}]")
    beyond_all = lo > limit if kind == "max" else hi < limit
    within_all = hi <= limit if kind == "max" else lo >= limit
    beyond = value > limit if kind == "max" else value < limit
    if beyond_all and ci is None:  # the rule fails only a whole interval; a bare point can only warn
        status, why = "warn", (f"{shown}: beyond the gate ({gate}: {sign} {limit:g}), but it has no 95% interval "
                               "(e.g. a real->real accuracy whose interval reaches 0), so it cannot fail")
    elif beyond_all:
        status, why = "fail", f"{shown}: the whole 95% interval is beyond the gate ({gate}: {sign} {limit:g})"
    elif beyond:
        status, why = "warn", (f"{shown}: beyond the gate ({gate}: {sign} {limit:g}), but the 95% interval "
                               "reaches back within it, so the data cannot confirm it")
    elif not within_all:
        edge = hi if kind == "max" else lo
        status, why = "pass", (f"{shown}: within the gate ({gate}: {sign} {limit:g}); at this sample size the 95% "
                               f"interval also reaches past it, so a value as far as {edge:.3g} cannot be ruled out")
    else:
        status, why = "pass", f"{shown}: within the gate ({gate}: {sign} {limit:g})"
    return GateCheck(gate, limit, value, ci, status, why)


def reaches_past(check: GateCheck) -> bool:
    """A passing metric gate whose 95% interval also reaches past its limit (a small sample):
    the direction from ``METRIC_GATES``, as :func:`_metric_check` reads it."""
    if check.status != "pass" or check.gate not in METRIC_GATES or check.ci95 is None:
        return False
    assert isinstance(check.limit, float | int)
    lo, hi = check.ci95
    return hi > check.limit if METRIC_GATES[check.gate][1] == "max" else lo < check.limit


def group_reasons(bias: BiasDocument, limit: str, over: bool, findings: list[Finding], most: int = 3) -> str:
    """', in 2 groups: high drift (embeddings) (whole dataset); high drift / color in 34 of 34 classes'.

    Names the groups (``bias.groups``, worst first) beyond the limit (``over``) or at it, not
    one arbitrary class; a document without groups names its worst finding instead.
    """
    if not bias.groups:
        top = findings[0]  # ranked_findings(bias), as the caller has them
        where = top.check + (f" / {top.attribute}" if top.attribute else "")
        where += f" in '{top.class_}'" if top.class_ else ""
        return f", worst: {top.severity} {where}"
    rank = severity_rank(limit)
    chosen = [g for g in bias.groups if (severity_rank(g.severity) > rank if over else severity_rank(g.severity) == rank)]
    names = "; ".join(group_phrase(g) for g in chosen[:most])
    more = f"; and {len(chosen) - most} more" if len(chosen) > most else ""
    return f", in {len(chosen)} group(s): {names}{more}"


def _severity_check(limit: str, bias: BiasDocument | None, findings: list[Finding]) -> GateCheck:
    gate = "max_finding_severity"
    if bias is None:
        return GateCheck(
            gate, limit, None, None, "warn", "the bias scan did not run, so findings are unchecked"
        )
    if not findings:
        return GateCheck(gate, limit, None, None, "pass", "the bias scan found nothing")
    top = findings[0]
    n_over = sum(severity_rank(f.severity) > severity_rank(limit) for f in findings)
    where = group_reasons(bias, limit, n_over > 0, findings)
    if n_over:
        return GateCheck(
            gate,
            limit,
            top.severity,
            None,
            "fail",
            f"{n_over} finding(s) more severe than {limit}{where}",
        )
    if top.severity == limit and severity_rank(limit) > 0:
        return GateCheck(
            gate,
            limit,
            top.severity,
            None,
            "warn",
            f"finding(s) at the allowed maximum severity ({limit}){where}",
        )
    return GateCheck(
        gate,
        limit,
        top.severity,
        None,
        "pass",
        f"worst finding is {top.severity}, within {gate} ({limit})",
    )


def evaluate_gates(metrics: MetricsDocument | None, bias: BiasDocument | None, gates: GateParams,
                   findings: list[Finding] | None = None) -> GateResult:
    """Check ``metrics.json`` and ``bias.json`` (either may be None: the stage did not run) against the gates.

    ``findings``: ``ranked_findings(bias)`` when the caller has it already (the report stage ranks once).
    """
    ranked = ranked_findings(bias) if findings is None else findings
    checks = [_severity_check(gates.max_finding_severity, bias, ranked)]
    for gate in METRIC_GATES:
        limit = getattr(gates, gate)
        if limit is not None:
            checks.append(_metric_check(gate, float(limit), metrics))
    return GateResult(worst([c.status for c in checks]), tuple(checks))


def crosses(verdict: str, fail_on: str) -> bool:
    """True when ``verdict`` is at least as bad as ``fail_on`` (``--fail-on`` semantics)."""
    return VERDICTS.index(verdict) >= VERDICTS.index(fail_on)
