"""The ``monitor:`` gates: uncovered share, drift severity and trends -> pass | warn | fail.

Same rules as the audit's gates (``report.gates``): ``fail`` when a value is beyond its limit,
``warn`` when its 95% interval holds the limit or a finding sits at the allowed severity;
a trend finding warns. The verdict is the worst status; ``null`` switches a gate off.
"""

from __future__ import annotations

from synthscope.documents.monitor import DriftEntry, GateCheck, TrendFinding, Verdict
from synthscope.monitor.novelty import Share
from synthscope.params import MonitorParams
from synthscope.report.gates import worst
from synthscope.schema import severity_rank


def _check(gate: str, limit: float | str | None, value: float | str | None, status: Verdict, reason: str) -> GateCheck:
    return GateCheck(gate=gate, limit=limit, value=value, status=status, reason=reason)


def uncovered_check(share: Share, limit: float) -> GateCheck:
    gate, text = "max_uncovered_share", f"{share.value:.0%} [{share.lo:.0%}, {share.hi:.0%}]"
    if share.lo > limit:
        return _check(gate, limit, share.value, "fail", f"uncovered share {text} is above {limit:.0%}")
    if share.hi >= limit:
        return _check(gate, limit, share.value, "warn", f"uncovered share {text} may be above {limit:.0%}")
    return _check(gate, limit, share.value, "pass", f"uncovered share {text} is below {limit:.0%}")


def drift_check(drift: list[DriftEntry], limit: str) -> GateCheck:
    gate = "max_drift_severity"
    if not drift:
        return _check(gate, limit, None, "warn", "drift could not be measured (too few images on a side)")
    top = max(drift, key=lambda d: severity_rank(d.severity))
    over = [d for d in drift if severity_rank(d.severity) > severity_rank(limit)]
    if over:
        return _check(gate, limit, top.severity, "fail",
                      f"{len(over)} drift finding(s) more severe than {limit}, worst: {top.severity} "
                      f"in {top.attribute}")
    if top.severity == limit and severity_rank(limit) > 0:
        return _check(gate, limit, top.severity, "warn",
                      f"drift at the allowed maximum severity ({limit}) in {top.attribute}")
    return _check(gate, limit, top.severity, "pass", f"worst drift is {top.severity}, within {limit}")


def evaluate(share: Share, drift: list[DriftEntry], trends: list[TrendFinding],
             params: MonitorParams) -> tuple[Verdict, list[GateCheck]]:
    """(verdict, gate checks)."""
    checks = []
    if params.max_uncovered_share is not None:
        checks.append(uncovered_check(share, params.max_uncovered_share))
    if params.max_drift_severity is not None:
        checks.append(drift_check(drift, params.max_drift_severity))
    checks += [_check("trend", None, t.last, "warn", t.message) for t in trends]
    return worst([c.status for c in checks]), checks  # type: ignore[return-value]
