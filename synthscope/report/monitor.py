"""The monitor's self-contained HTML report and Markdown summary (``monitor.html``, ``monitor.md``).

Reuses the audit report's helpers: the Jinja environment (autoescaping, number filter),
PNG data-URI thumbnails and the history line plot. Each uncovered cluster shows its most
novel images beside their nearest training images; drift is the audit check's table; the
history plot shows the uncovered share and each drift group's score over batches.
"""

from __future__ import annotations

import pandas as pd
from PIL import UnidentifiedImageError

from synthscope.datasets.image import load_rgb
from synthscope.documents import MonitorDocument
from synthscope.monitor.trends import DRIFT_KEYS
from synthscope.report import figures
from synthscope.report.jinja import environment


def thumbnails(doc: MonitorDocument, px: int) -> dict[str, str]:
    """path -> data URI for every example and its nearest training image (unreadable files are left out)."""
    out: dict[str, str] = {}
    for cluster in doc.clusters:
        for e in cluster.examples:
            for path in (e.path, e.nearest_train_path):
                if path in out:
                    continue
                try:
                    out[path] = figures.thumbnail_uri(load_rgb(path), px)
                except (OSError, UnidentifiedImageError, ValueError):
                    continue  # moved or deleted since the run: the page shows the novelty only
    return out


def history_chart(history: pd.DataFrame) -> str | None:
    """Uncovered share and the drift scores measured in any batch, one small plot each (>= 2 batches)."""
    if len(history) < 2:
        return None
    rows = history.to_dict("records")
    keys = [("uncovered_share", "uncovered share"), ("reference_share", "reference share")]
    keys += [(k, k) for k in ("accuracy", "confidence") if k in history and history[k].notna().any()]
    keys += [(f"drift_{g}", f"drift: {g}") for g in DRIFT_KEYS
             if f"drift_{g}" in history and history[f"drift_{g}"].notna().any()]
    series = {k: [None if pd.isna(r.get(k)) else float(r[k]) for r in rows] for k, _ in keys}
    return figures.history_figure(series, keys)


def render_monitor_html(doc: MonitorDocument, history: pd.DataFrame, px: int = 64,
                        charts: dict[str, str] | None = None) -> str:
    charts = dict(charts or {})
    if (chart := history_chart(history)) is not None:
        charts["history"] = chart
    return environment().get_template("monitor.html.j2").render(
        d=doc, thumbs=thumbnails(doc, px), charts=charts, px=px, labels=doc.labels)


def monitor_markdown(doc: MonitorDocument, report_link: str | None = None) -> str:
    """The per-run summary (a Prefect Markdown artifact): verdict, shares, clusters, drift above info, trends."""
    u, r = doc.uncovered_share, doc.reference_share
    lines = [f"# synthscope monitor: batch {doc.batch_id} — **{doc.verdict.upper()}**", "",
             f"{doc.uncovered} of {doc.n_images} incoming images uncovered: {u.value:.1%} "
             f"(95% {u.ci95[0]:.1%}–{u.ci95[1]:.1%}); held-out training reference {r.value:.1%} "
             f"({r.ci95[0]:.1%}–{r.ci95[1]:.1%}).", ""]
    lines += [f"- {g.status}: {g.reason}" for g in doc.gates]
    if doc.clusters:
        lines += ["", "## Uncovered clusters", ""] + [f"- cluster {c.cluster}: {c.description}" for c in doc.clusters]
    flagged = [d for d in doc.drift if d.severity != "info"]
    if flagged:
        lines += ["", "## Drift", ""] + [f"- {d.severity} {d.attribute}: {d.message}" for d in flagged]
    if doc.trends:
        lines += ["", "## Trends", ""] + [f"- {t.message}" for t in doc.trends]
    if report_link:
        lines += ["", f"Report: {report_link}"]
    return "\n".join(lines) + "\n"
