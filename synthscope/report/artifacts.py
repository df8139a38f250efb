"""What the Prefect UI shows for a run: the findings as table rows and a one-line headline.

Pure: JSON dicts in, small lists and strings out. ``tasks/report.py`` turns them into
Prefect artifacts; keeping the shaping here keeps the task body free of logic.
"""

from __future__ import annotations

from typing import Any

from synthscope.report.contracts import read_findings
from synthscope.report.utility import equivalent_line

TABLE_COLUMNS = ("severity", "check", "attribute", "class", "score", "reference_score", "origin", "message")


def findings_table(bias: dict[str, Any] | None, limit: int = 50) -> list[dict[str, Any]]:
    """Worst first, at most ``limit`` rows, scores rounded for reading; [] when nothing was found."""
    rows = []
    for f in read_findings(bias)[:limit]:
        row = {k: f.get(k) for k in TABLE_COLUMNS}
        for k in ("score", "reference_score"):
            if isinstance(row[k], float):
                row[k] = round(row[k], 4)
        rows.append(row)
    return rows


def headline(report: dict[str, Any]) -> str:
    """``verdict: fail - 3 findings above low - synthetic set worth about 120 real images (95% CI 80–150)``:
    the markdown artifact's title (the real-image equivalent when the score stage measured it)."""
    verdict = report.get("verdict", "unknown")
    findings = report.get("findings") or []
    worse = [f for f in findings if isinstance(f, dict) and f.get("severity") in ("medium", "high")]
    worth = equivalent_line(report.get("utility"))
    return f"verdict: {verdict} - {len(worse)} finding(s) above low" + (f" - {worth}" if worth else "")
