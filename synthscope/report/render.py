"""Render the report dict (``build.build_report``) as HTML, Markdown, table rows and CSVs.

HTML: one self-contained page from a Jinja2 template with autoescaping on for every value
(class names and file names are user-controlled), inline CSS, images as data URIs, no
scripts at all, and a Content-Security-Policy that forbids any network load.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from synthscope.report import figures, utility_figures
from synthscope.report.utility import equivalent_line

HISTORY_PLOT_KEYS = (("cas_ratio", "CAS ratio"), ("coverage", "coverage"), ("n_findings", "findings"))


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("synthscope.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt_number
    return env


def fmt_number(x: Any, digits: int = 4) -> str:
    """Compact number formatting for tables: 4 significant digits, '—' for missing."""
    if x is None:
        return "—"
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    return f"{x:.{digits}g}"


def report_figures(report: dict[str, Any]) -> dict[str, str]:
    """Every chart the HTML shows, as data URIs keyed by name (absent when there is no data)."""
    out: dict[str, str] = {}
    if report["class_balance"]:
        out["class_balance"] = figures.class_balance_figure(report["class_balance"])
    labels = [r["label"] for r in report["class_balance"]]
    for col, rows in report["attribute_histograms"].items():
        present = [lab for lab in labels if any(r["label"] == lab for r in rows)]
        if rows and present:
            out[f"hist_{col}"] = figures.histogram_figure(rows, col, present)
    if report["location"]:
        out["location"] = figures.location_figure(report["location"])
    if len(report["history"]) >= 2:
        keys = [("fid", report["fid_label"]), *HISTORY_PLOT_KEYS]
        keys = [(k, lab) for k, lab in keys if any(r.get(k) is not None for r in report["history"])]
        out["history"] = figures.history_figure(report["history"], keys)
    utility = report.get("utility") or {}
    if utility.get("utility"):
        out["learning_curves"] = utility_figures.learning_curve_figure(utility["utility"])
    if utility.get("confusion"):
        out["confusion"] = utility_figures.confusion_figure(utility["confusion"])
    debias = report["debias"]
    if debias and debias["findings"]:
        rows = [
            r for r in debias["findings"] if r["score_before"] is not None and r["score_after"] is not None
        ]
        if rows:
            out["debias"] = figures.before_after_figure(rows)
    return out


def render_html(
    report: dict[str, Any], thumbnails: dict[str, str], charts: dict[str, str] | None = None
) -> str:
    """The self-contained HTML page. ``thumbnails``: image_id -> data URI (missing ids are
    shown as their file name only); ``charts`` default to ``report_figures(report)``."""
    charts = report_figures(report) if charts is None else charts
    return _env().get_template("report.html.j2").render(r=report, thumbs=thumbnails, charts=charts)


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


def findings_table(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for a Prefect table artifact: one per finding, worst first."""
    keys = ("severity", "check", "attribute", "class", "score", "reference_score", "origin")
    return [{**{k: f.get(k) for k in keys}, "what it means": f["plain"]} for f in report["findings"]]


def summary_markdown(report: dict[str, Any], report_link: str | None = None) -> str:
    """``summary.md`` and the Prefect Markdown artifact: verdict, reasons, metrics, top findings."""
    lines = [
        f"# synthscope audit: {md(report['config']['name'])}",
        "",
        f"**Verdict: {report['verdict'].upper()}** — {report['headline']}",
        "",
    ]
    if report.get("verdict_sentence"):
        lines += [md(report["verdict_sentence"]), ""]
    lines += [f"- {md(r)}" for r in report["reasons"]] + ([""] if report["reasons"] else [])
    if report["metrics"]:
        lines += ["| metric | value | 95% CI |", "|---|---|---|"]
        for m in report["metrics"]:
            ci = f"[{fmt_number(m['ci95'][0])}, {fmt_number(m['ci95'][1])}]" if m["ci95"] else "—"
            lines.append(f"| {md(m['label'])} | {fmt_number(m['value'])} | {ci} |")
        lines.append("")
    lines += _utility_markdown(report.get("utility"))
    if report["top_groups"]:
        lines += [f"## Top findings ({len(report['finding_groups'])} groups, {len(report['findings'])} findings in all)", ""]
        for g in report["top_groups"]:
            lines.append(f"- **{g['severity']}** {md(g['title'])}: {md(g['plain'])}")
        lines.append("")
    lines += [f"> {md(n)}" for n in report["notes"]] + ([""] if report["notes"] else [])
    if report_link:
        lines.append(f"[Full report]({report_link})")
    return "\n".join(lines).rstrip() + "\n"


def _utility_markdown(section: dict[str, Any] | None) -> list[str]:
    """The real-image equivalent, the cost sentence and collapse findings, as Markdown lines."""
    line = equivalent_line(section)
    if section is None or line is None:
        return []
    out = [f"**Utility:** {md(line)}", "", md(section["cost"]["sentence"]), ""]
    out += [f"- {md(f['message'])}" for f in section["collapse"]] + ([""] if section["collapse"] else [])
    return out


def plot_tables(report: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The CSVs for DVC ``plots:``, keyed by file stem; empty tables are left out.

    Wide where DVC should draw one series per column (DVC templates cannot split a long
    table by a category column): ``class_balance`` (label; one count column per role),
    ``hist_<column>`` (bin_center; one fraction column per ``role/class``),
    ``metrics_history`` (run; one column per metric). ``location_heatmap`` is long
    (role, label, x, y, fraction): data for other tools, no DVC template draws it.
    """
    tables: dict[str, pd.DataFrame] = {}
    cb = report["class_balance"]
    if cb:
        roles = [role for role in ("synthetic", "real", "augmented") if role in cb[0]]
        tables["class_balance"] = pd.DataFrame(cb)[["label", *roles]]
    for col, rows in report["attribute_histograms"].items():
        if rows:
            frame = pd.DataFrame(rows)
            frame["bin_center"] = (frame["bin_lo"] + frame["bin_hi"]) / 2
            frame["series"] = frame["role"] + "/" + frame["label"]
            wide = frame.pivot_table(index="bin_center", columns="series", values="fraction", sort=True)
            tables[f"hist_{col}"] = wide.reset_index().rename_axis(columns=None)
    if report["location"]:
        cells = []
        for h in report["location"]:
            bins = len(h["grid"])
            for i, row in enumerate(h["grid"]):
                for j, v in enumerate(row):
                    cells.append(
                        {
                            "role": h["role"],
                            "label": h["label"],
                            "x": (j + 0.5) / bins,
                            "y": (i + 0.5) / bins,
                            "fraction": v,
                        }
                    )
        tables["location_heatmap"] = pd.DataFrame(cells)
    if report["findings"]:
        tables["finding_scores"] = pd.DataFrame(
            [
                {
                    "finding": " / ".join(str(f[k]) for k in ("check", "attribute", "class") if f.get(k)),
                    "severity": f["severity"],
                    "score": f.get("score"),
                    "reference_score": f.get("reference_score"),
                }
                for f in report["findings"]
            ]
        )
    if report["history"]:
        frame = pd.DataFrame(report["history"])
        frame.insert(0, "run", range(1, len(frame) + 1))
        tables["metrics_history"] = frame
    if report["debias"] and report["debias"]["findings"]:
        tables["debias_before_after"] = pd.DataFrame(report["debias"]["findings"])
    return tables
