"""What the Prefect UI shows for a run: the findings as table rows and a one-line headline.

Pure: the report document in, small lists and strings out. ``synthscope/orchestration/report.py`` turns them into
Prefect artifacts; keeping the shaping here keeps the task body free of logic.
"""

from __future__ import annotations

from synthscope.documents import JSONObject, ReportDocument
from synthscope.report.utility import equivalent_line

TABLE_COLUMNS = ("severity", "check", "attribute", "class", "score", "reference_score", "origin", "message")


def findings_table(report: ReportDocument, limit: int = 50) -> list[JSONObject]:
    """Worst first (the report's order), at most ``limit`` rows, scores rounded for reading; [] when nothing was found."""
    rows = []
    for f in report.findings[:limit]:
        values = f.model_dump(mode="json", by_alias=True)  # a Prefect table is JSON out
        row = {k: values[k] for k in TABLE_COLUMNS}
        for k in ("score", "reference_score"):
            if isinstance(row[k], float):
                row[k] = round(row[k], 4)
        rows.append(row)
    return rows


def headline(report: ReportDocument) -> str:
    """``verdict: fail - 3 findings above low - synthetic set worth about 120 real images (95% CI 80–150)``:
    the markdown artifact's title (the real-image equivalent when the score stage measured it)."""
    worse = [f for f in report.findings if f.severity in ("medium", "high")]
    worth = equivalent_line(report.utility)
    return f"verdict: {report.verdict} - {len(worse)} finding(s) above low" + (f" - {worth}" if worth else "")
