"""Quality gates: turn metrics and findings into a verdict (pass | warn | fail) with reasons.

Thresholds come only from ``params.yaml`` ``gates`` (``GateParams``); a limit of ``null``
switches that gate off. Each gate gets a status:

- ``fail``: the value is beyond the limit (or a finding is more severe than allowed);
- ``warn``: the value is inside the limit but its 95% CI crosses it (the data cannot tell),
  a finding sits exactly at the allowed severity, or the gate could not be checked because
  the metric is missing (an audit that could not look is not a pass);
- ``pass``: otherwise.

The verdict is the worst status. ``synthscope audit --fail-on fail`` exits 2 on ``fail``;
``--fail-on warn`` also on ``warn``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from synthscope.bias.groups import group_phrase
from synthscope.documents import BiasDocument, MetricsDocument
from synthscope.params import GateParams
from synthscope.report.headlines import metric_entry, metric_label, ranked_findings
from synthscope.schema import severity_rank

VERDICTS = ("pass", "warn", "fail")

# gate field in GateParams -> (metric key, "max" or "min")
METRIC_GATES: dict[str, tuple[str, str]] = {
    "max_fid": ("fid", "max"),
    "max_kid": ("kid", "max"),
    "min_cas_ratio": ("cas_ratio", "min"),
    "min_coverage": ("coverage", "min"),
}


@dataclass(frozen=True)
class GateCheck:
    gate: str  # the params.yaml key, e.g. "max_fid"
    limit: float | str
    value: float | str | None
    ci95: list[float] | None
    status: str  # pass | warn | fail | not applicable (never counts towards the verdict)
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GateResult:
    verdict: str  # pass | warn | fail
    checks: tuple[GateCheck, ...]

    @property
    def reasons(self) -> list[str]:
        """Why the verdict is not a clean pass: the reasons of every non-passing gate, worst first."""
        bad = [c for c in self.checks if c.status in VERDICTS and c.status != "pass"]
        bad.sort(key=lambda c: -VERDICTS.index(c.status))
        return [c.reason for c in bad]


NOT_APPLICABLE = "not applicable"


def worst(statuses: list[str]) -> str:
    """The worst verdict among ``statuses``; "not applicable" gates do not count."""
    return max((s for s in statuses if s in VERDICTS), key=VERDICTS.index, default="pass")


def _metric_check(gate: str, limit: float, metrics: MetricsDocument | None) -> GateCheck:
    key, kind = METRIC_GATES[gate]
    label = metric_label(key, metrics.extractor if metrics else None)
    entry = metric_entry(metrics, key)
    skipped = None if metrics is None else metrics.skipped.get(key.removesuffix("_ratio"), "")
    if entry is None and skipped and "needs class labels" in skipped:
        return GateCheck(gate, limit, None, None, NOT_APPLICABLE, f"{label}: {skipped}, so {gate} does not apply")
    if entry is None:
        return GateCheck(gate, limit, None, None, "warn", f"{label} was not measured, so {gate} is unchecked")
    value, ci = entry.value, None if entry.ci95 is None else list(entry.ci95)
    sign = "≤" if kind == "max" else "≥"
    beyond = value > limit if kind == "max" else value < limit
    if beyond:
        status, why = "fail", f"{label} = {value:.4g} is beyond the gate ({gate}: {sign} {limit:g})"
    elif ci is not None and (ci[1] > limit if kind == "max" else ci[0] < limit):
        status, why = (
            "warn",
            (
                f"{label} = {value:.4g} passes {gate} ({sign} {limit:g}) but its 95% CI "
                f"[{ci[0]:.4g}, {ci[1]:.4g}] crosses it"
            ),
        )
    else:
        status, why = "pass", f"{label} = {value:.4g} within {gate} ({sign} {limit:g})"
    return GateCheck(gate, limit, value, ci, status, why)


def group_reasons(bias: BiasDocument, limit: str, over: bool, most: int = 3) -> str:
    """', in 2 groups: high drift (embeddings) (whole dataset); high drift / color in 34 of 34 classes'.

    Names the groups (``bias.groups``, worst first) beyond the limit (``over``) or at it, not
    one arbitrary class; a document without groups names its worst finding instead.
    """
    if not bias.groups:
        top = ranked_findings(bias)[0]
        where = f"{top['check']}" + (f" / {top['attribute']}" if top.get("attribute") else "")
        where += f" in '{top['class']}'" if top.get("class") else ""
        return f", worst: {top['severity']} {where}"
    rank = severity_rank(limit)
    chosen = [g for g in bias.groups if (severity_rank(g.severity) > rank if over else severity_rank(g.severity) == rank)]
    names = "; ".join(group_phrase(g.model_dump()) for g in chosen[:most])
    more = f"; and {len(chosen) - most} more" if len(chosen) > most else ""
    return f", in {len(chosen)} group(s): {names}{more}"


def _severity_check(limit: str, bias: BiasDocument | None, findings: list[dict[str, Any]]) -> GateCheck:
    gate = "max_finding_severity"
    if bias is None:
        return GateCheck(
            gate, limit, None, None, "warn", "the bias scan did not run, so findings are unchecked"
        )
    if not findings:
        return GateCheck(gate, limit, None, None, "pass", "the bias scan found nothing")
    top = findings[0]
    n_over = sum(severity_rank(f["severity"]) > severity_rank(limit) for f in findings)
    where = group_reasons(bias, limit, n_over > 0)
    if n_over:
        return GateCheck(
            gate,
            limit,
            top["severity"],
            None,
            "fail",
            f"{n_over} finding(s) more severe than {limit}{where}",
        )
    if top["severity"] == limit and severity_rank(limit) > 0:
        return GateCheck(
            gate,
            limit,
            top["severity"],
            None,
            "warn",
            f"finding(s) at the allowed maximum severity ({limit}){where}",
        )
    return GateCheck(
        gate,
        limit,
        top["severity"],
        None,
        "pass",
        f"worst finding is {top['severity']}, within {gate} ({limit})",
    )


def evaluate_gates(metrics: MetricsDocument | None, bias: BiasDocument | None, gates: GateParams,
                   findings: list[dict[str, Any]] | None = None) -> GateResult:
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
