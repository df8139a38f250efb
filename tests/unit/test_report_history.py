"""Run history: append, de-duplicate re-renders, and a JSON-safe trend."""

from __future__ import annotations

import math
from types import SimpleNamespace

from synthscope.report.history import append_run, headline_row, trend
from tests.documents_fakes import metrics_doc


def row(config, ts, sha, fid):
    metrics = metrics_doc(fid=(fid, [fid - 1, fid + 1]), kid=None)
    findings = [SimpleNamespace(severity="high"), SimpleNamespace(severity="low")]  # the Finding field it reads
    return headline_row(config, ts, sha, "pass", metrics, findings)


def test_append_keeps_configs_apart_and_orders_by_time():
    h = append_run(None, row("a", "2026-01-02T00:00:00Z", "s1", 10.0))
    h = append_run(h, row("b", "2026-01-01T00:00:00Z", "s1", 99.0))
    h = append_run(h, row("a", "2026-01-03T00:00:00Z", "s2", 12.0))
    t = trend(h, "a")
    assert [r.fid for r in t] == [10.0, 12.0]
    assert t[0].n_findings == 2 and t[0].n_high == 1 and t[0].worst_severity == "high"
    assert t[0].fid_ci_lo == 9.0 and math.isnan(h.loc[0, "kid"]) and t[0].kid is None


def test_rerender_on_unchanged_inputs_replaces_the_latest_row():
    h = append_run(None, row("a", "2026-01-01T00:00:00Z", "s1", 10.0))
    h = append_run(h, row("a", "2026-01-02T00:00:00Z", "s1", 10.0))
    assert len(h) == 1 and h.loc[0, "timestamp"] == "2026-01-02T00:00:00Z"
    h = append_run(h, row("a", "2026-01-03T00:00:00Z", "s2", 11.0))
    assert len(h) == 2


def test_older_history_without_new_columns_still_appends():
    h = append_run(None, row("a", "2026-01-01T00:00:00Z", "s1", 10.0)).drop(columns=["density"])
    h = append_run(h, row("a", "2026-01-02T00:00:00Z", "s2", 11.0))
    assert "density" in h.columns and len(h) == 2
