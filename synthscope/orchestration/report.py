"""What the report task does after the report stage really ran: publish the run's artifacts to the UI
(a cached run keeps the last ones).

Artifacts (keys stable per config name, so the UI shows their history): the summary as
markdown, the findings as a table, and a link to the self-contained HTML report.
"""

from __future__ import annotations

import re

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from synthscope.config import AuditConfig
from synthscope.documents import ReportDocument, read_document
from synthscope.io import JSONObject
from synthscope.paths import OutputPaths
from synthscope.report.artifacts import findings_table, headline


def artifact_key(config: AuditConfig, what: str) -> str:
    """Prefect keys allow lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9-]+", "-", f"synthscope-{config.name}-{what}".lower()).strip("-")


def publish(config: AuditConfig, _result: JSONObject) -> None:
    out = OutputPaths(config.output_dir)
    report = read_document(out.report_json, ReportDocument)  # written by the stage that just ran
    assert report is not None
    title = headline(report)
    create_markdown_artifact(
        markdown=out.summary_md.read_text(encoding="utf-8"), key=artifact_key(config, "summary"), description=title
    )
    create_table_artifact(
        table=findings_table(report) or [{"severity": "none", "message": "no findings"}],
        key=artifact_key(config, "findings"),
        description=f"bias findings, worst first ({title})",
    )
    create_link_artifact(
        link=out.report_html.resolve().as_uri(),
        link_text=f"{config.name} report ({report.verdict})",
        key=artifact_key(config, "report"),
        description="self-contained HTML report (open it on the machine that ran the flow)",
    )

