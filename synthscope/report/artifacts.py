"""What the Prefect UI shows for a run: the findings as table rows and a one-line headline.

Pure: ``report.json``'s content in, small lists and strings out. ``synthscope/orchestration/report.py`` turns them into
Prefect artifacts; keeping the shaping here keeps the task body free of logic.
"""

from __future__ import annotations

from typing import Any

from synthscope.report.utility import equivalent_line

TABLE_COLUMNS = ("severity", "check", "attribute", "class", "score", "reference_score", "origin", "message")


def findings_table(report: dict[str, Any], limit: int = 50) -> list[dict[str, Any]]:
    """Worst first (the report's order), at most ``limit`` rows, scores rounded for reading; [] when nothing was found."""
    rows = []
    for f in report["findings"][:limit]:
        row = {k: f.get(k) for k in TABLE_COLUMNS}
        for k in ("score", "reference_score"):
            if isinstance(row[k], float):
                row[k] = round(row[k], 4)
        rows.append(row)
    return rows


def headline(report: dict[str, Any]) -> str:
    """``verdict: fail - 3 findings above low - synthetic set worth about 120 real images (95% CI 80–150)``:
    the markdown artifact's title (the real-image equivalent when the score stage measured it)."""
    verdict = report["verdict"]
    worse = [f for f in report["findings"] if f["severity"] in ("medium", "high")]
    worth = equivalent_line(report.get("utility"))
    return f"verdict: {verdict} - {len(worse)} finding(s) above low" + (f" - {worth}" if worth else "")
