"""Render the report document (``build.build_report``) as HTML, Markdown, table rows and CSVs.

HTML: one self-contained page from a Jinja2 template with autoescaping on for every value
(class names and file names are user-controlled), inline CSS, images as data URIs, no
scripts at all, and a Content-Security-Policy that forbids any network load.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
from pydantic import BaseModel

from synthscope.documents import ReportDocument, dump
from synthscope.documents.report import UtilitySection
from synthscope.report import figures, utility_figures
from synthscope.report.jinja import environment, fmt_number
from synthscope.report.utility import equivalent_line

HISTORY_PLOT_KEYS = (("cas_ratio", "CAS ratio"), ("coverage", "coverage"), ("n_findings", "findings"))


def report_figures(report: ReportDocument) -> dict[str, str]:
    """Every chart the HTML shows, as data URIs keyed by name (absent when there is no data)."""
    out: dict[str, str] = {}
    if report.class_balance:
        out["class_balance"] = figures.class_balance_figure(report.class_balance)
    labels = [r["label"] for r in report.class_balance]
    for col, rows in report.attribute_histograms.items():
        present = [lab for lab in labels if any(r.label == lab for r in rows)]
        if rows and present:
            out[f"hist_{col}"] = figures.histogram_figure(rows, col, present)
    if report.location:
        out["location"] = figures.location_figure(report.location)
    if len(report.history) >= 2:
        keys = [("fid", report.fid_label), *HISTORY_PLOT_KEYS]
        keys = [(k, lab) for k, lab in keys if any(getattr(r, k) is not None for r in report.history)]
        out["history"] = figures.history_figure({k: [getattr(r, k) for r in report.history] for k, _ in keys}, keys)
    utility = report.utility
    if utility is not None and utility.utility is not None:
        out["learning_curves"] = utility_figures.learning_curve_figure(utility.utility)
    if utility is not None and utility.confusion is not None:
        out["confusion"] = utility_figures.confusion_figure(utility.confusion)
    if report.debias is not None:
        rows = [r for r in report.debias.findings if r.score_before is not None and r.score_after is not None]
        if rows:
            out["debias"] = figures.before_after_figure(rows)
    return out


def render_html(report: ReportDocument, thumbnails: dict[str, str], charts: dict[str, str] | None = None) -> str:
    """The self-contained HTML page. ``thumbnails``: image_id -> data URI (missing ids are
    shown as their file name only); ``charts`` default to ``report_figures(report)``."""
    charts = report_figures(report) if charts is None else charts
    return environment().get_template("report.html.j2").render(r=report, thumbs=thumbnails, charts=charts)


_ENTITY = re.compile(r"&(?=#?\w+;)")


def md(text: Any) -> str:
    """User text for Markdown, readable as plain text too (summary.md is read raw as often as rendered).

    Prefect renders Markdown as HTML, so no tag may get through: ``<`` becomes ``&lt;``, and an
    ``&`` that would start an entity becomes ``&amp;`` (the text shows as written). Nothing else
    is escaped: ``>`` and a bare ``&`` start no tag, and escaping them printed labels such as
    "CAS synthetic-&gt;real" in the raw file. Pipes are escaped for tables; newlines become spaces.
    """
    text = _ENTITY.sub("&amp;", str(text)).replace("<", "&lt;")
    return text.replace("|", "\\|").replace("\n", " ")


def summary_markdown(report: ReportDocument, report_link: str | None = None) -> str:
    """``summary.md`` and the Prefect Markdown artifact: verdict, reasons, metrics, top findings."""
    lines = [
        f"# synthscope audit: {md(report.config.name)}",
        "",
        f"**Verdict: {report.verdict.upper()}** — {report.headline}",
        "",
    ]
    if report.verdict_sentence:
        lines += [md(report.verdict_sentence), ""]
    lines += [f"- {md(r)}" for r in report.reasons] + ([""] if report.reasons else [])
    if report.metrics:
        lines += ["| metric | value | 95% CI |", "|---|---|---|"]
        for m in report.metrics:
            ci = f"[{fmt_number(m.ci95[0])}, {fmt_number(m.ci95[1])}]" if m.ci95 else "—"
            lines.append(f"| {md(m.label)} | {fmt_number(m.value)} | {ci} |")
        lines.append("")
    lines += _utility_markdown(report.utility)
    if report.top_groups:
        lines += [f"## Top findings ({len(report.finding_groups)} groups, {len(report.findings)} findings in all)", ""]
        for g in report.top_groups:
            lines.append(f"- **{g.severity}** {md(g.title)}: {md(g.plain)}")
        lines.append("")
    lines += [f"> {md(n)}" for n in report.notes] + ([""] if report.notes else [])
    if report_link:
        lines.append(f"[Full report]({report_link})")
    return "\n".join(lines).rstrip() + "\n"


def _utility_markdown(section: UtilitySection | None) -> list[str]:
    """The real-image equivalent, the cost sentence and collapse findings, as Markdown lines."""
    line = equivalent_line(section)
    if section is None or line is None:
        return []
    out = [f"**Utility:** {md(line)}", "", md((section.cost or {})["sentence"]), ""]
    out += [f"- {md(f.message)}" for f in section.collapse] + ([""] if section.collapse else [])
    return out


def plot_tables(report: ReportDocument) -> dict[str, pd.DataFrame]:
    """The CSVs for DVC ``plots:``, keyed by file stem; empty tables are left out.

    Wide where DVC should draw one series per column (DVC templates cannot split a long
    table by a category column): ``class_balance`` (label; one count column per role),
    ``hist_<column>`` (bin_center; one fraction column per ``role/class``),
    ``metrics_history`` (run; one column per metric). ``location_heatmap`` is long
    (role, label, x, y, fraction): data for other tools, no DVC template draws it.
    """
    tables: dict[str, pd.DataFrame] = {}
    cb = report.class_balance
    if cb:
        roles = [role for role in ("synthetic", "real", "augmented") if role in cb[0]]
        tables["class_balance"] = pd.DataFrame(cb)[["label", *roles]]
    for col, rows in report.attribute_histograms.items():
        if rows:
            frame = _frame(rows)
            frame["bin_center"] = (frame["bin_lo"] + frame["bin_hi"]) / 2
            frame["series"] = frame["role"] + "/" + frame["label"]
            wide = frame.pivot_table(index="bin_center", columns="series", values="fraction", sort=True)
            tables[f"hist_{col}"] = wide.reset_index().rename_axis(columns=None)
    if report.location:
        cells = [
            {"role": h.role, "label": h.label, "x": (j + 0.5) / len(h.grid), "y": (i + 0.5) / len(h.grid), "fraction": v}
            for h in report.location
            for i, row in enumerate(h.grid)
            for j, v in enumerate(row)
        ]
        tables["location_heatmap"] = pd.DataFrame(cells)
    if report.findings:
        tables["finding_scores"] = pd.DataFrame(
            [
                {
                    "finding": " / ".join(str(v) for v in (f.check, f.attribute, f.class_) if v),
                    "severity": f.severity,
                    "score": f.score,
                    "reference_score": f.reference_score,
                }
                for f in report.findings
            ]
        )
    if report.history:
        frame = _frame(report.history)
        frame.insert(0, "run", range(1, len(frame) + 1))
        tables["metrics_history"] = frame
    if report.debias is not None and report.debias.findings:
        tables["debias_before_after"] = _frame(report.debias.findings)
    return tables


def _frame(rows: Sequence[BaseModel]) -> pd.DataFrame:
    """A table of document rows, one column per key as report.json writes them (a CSV is JSON out)."""
    return pd.DataFrame([dump(r) for r in rows])
