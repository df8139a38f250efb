"""Assemble every input of the report into one ``ReportDocument``: the content of ``report.json``.

The HTML, ``summary.md``, the Prefect artifacts and ``plots/*.csv`` are all rendered from
this one document, so they cannot disagree. Any input may be missing (``None``); the report then
carries a note saying what is missing and how to produce it, instead of failing.
"""

from __future__ import annotations

import pandas as pd

from synthscope.documents import (
    BiasDocument,
    DebiasDocument,
    Estimate,
    ExtractorRef,
    FeaturesDocument,
    Finding,
    MetricsDocument,
    ReportDocument,
    extended,
)
from synthscope.documents.report import (
    ConfigRef,
    DebiasRow,
    DebiasSection,
    DriftPair,
    GateStatus,
    HistoryRun,
    MemorizedPair,
    ReportFinding,
    UtilitySection,
)
from synthscope.params import GateParams, ReportParams
from synthscope.report import sections
from synthscope.report.drift import drift_section
from synthscope.report.gates import DECISION_RULE, METRIC_GATES, GateResult, evaluate_gates
from synthscope.report.gates import GateCheck as GateResultCheck
from synthscope.report.groups import report_groups
from synthscope.report.headlines import headline_metrics, metric_label, plain_words, ranked_findings
from synthscope.report.verdict import verdict_sentence

SCHEMA_VERSION = 1
VERDICT_HEADLINES = {
    "pass": "Yes: this data passes every quality gate.",
    "warn": "With care: no gate is crossed, but some could not be confirmed.",
    "fail": "No: this data crosses a quality gate.",
}


def _notes(manifest: pd.DataFrame, inputs: dict[str, bool]) -> list[str]:
    notes = []
    fixes = {
        "attributes": "attribute distributions are missing; run `synthscope stage features`",
        "bias": "no bias scan; run `synthscope stage scan` to check for shortcuts and memorisation",
        "metrics": "no quality metrics; run `synthscope stage score`",
        "debias": "no debiasing results (the debias stage has not run), so there is no before/after",
    }
    notes += [text for key, text in fixes.items() if not inputs[key]]
    if "real" not in set(manifest["role"]):
        notes.insert(
            0, "no real reference dataset: FID, CAS, coverage and memorisation need one; pass --real PATH"
        )
    return notes


def _cas_per_class(metrics: MetricsDocument | None) -> list[dict[str, str | float | None]]:
    if metrics is None or metrics.cas is None:
        return []
    return [{"label": label, **row.model_dump()} for label, row in sorted(metrics.cas.per_class.items())]


def _debias_section(debias: DebiasDocument | None) -> DebiasSection | None:
    if debias is None:
        return None
    rows = [extended(f, DebiasRow, name=" / ".join(str(v) for v in (f.check, f.attribute, f.class_) if v))
            for f in debias.findings]
    cas = debias.cas
    return DebiasSection(
        method=debias.method,
        n_augmented=debias.n_augmented,
        per_class_added=debias.per_class_added,
        findings=rows,
        cas_before=None if cas is None else Estimate(value=cas.before.value, ci95=cas.before.ci95),
        cas_after=None if cas is None else Estimate(value=cas.after.value, ci95=cas.after.ci95),
        cas_trained_on=None if cas is None else cas.trained_on,
    )


def _extractor(metrics: MetricsDocument | None, features: FeaturesDocument | None) -> ExtractorRef | None:
    """The network behind the metrics (metrics.json), else the one the features stage used."""
    if metrics is not None:
        return metrics.extractor
    if features is not None:
        info = features.extractor
        return ExtractorRef(name=info.name, weights=info.weights, sha256=info.sha256)
    return None


def _gated(checks: tuple[GateResultCheck, ...]) -> dict[str, tuple[str, GateStatus]]:
    """Metric key -> (gate, status) of the gate that watches it (a headline row shows both)."""
    return {METRIC_GATES[c.gate][0]: (c.gate, c.status) for c in checks if c.gate in METRIC_GATES}  # type: ignore[misc]


def _report_findings(bias: BiasDocument | None, ranked: list[Finding]) -> list[ReportFinding]:
    """The ranked findings with their plain words; a bias.json written before groups existed gets
    made-up ids from the order, so that each finding is one group (``groups._legacy_groups``)."""
    legacy = bias is not None and not bias.groups
    return [extended(f, ReportFinding, plain=plain_words(f), **({"id": f.id or f"finding-{i}"} if legacy else {}))
            for i, f in enumerate(ranked)]


def build_report(
    *,
    config: ConfigRef,
    generated_at: str,
    manifest: pd.DataFrame,
    attributes: pd.DataFrame | None,
    metrics: MetricsDocument | None,
    bias: BiasDocument | None,
    debias: DebiasDocument | None,
    features_info: FeaturesDocument | None,
    gates: GateParams,
    params: ReportParams,
    history: list[HistoryRun],
    memorized: list[MemorizedPair],
    drift_examples: list[DriftPair] | None = None,
    utility: UtilitySection | None = None,
    findings: list[Finding] | None = None,
    gate_result: GateResult | None = None,
) -> ReportDocument:
    """The whole report as its document. ``manifest`` is the ingest manifest (all rows);
    ``attributes`` the features stage's table; ``history`` this config's earlier runs plus
    this one (``history.trend``); ``memorized`` from ``sections.memorized_pairs``;
    ``drift_examples`` from ``sections.drift_pairs``; ``utility`` from
    ``synthscope.report.utility.utility_section``. ``findings`` (``ranked_findings(bias)``) and
    ``gate_result`` (``evaluate_gates``), when the caller has them, are used as given: the report
    stage ranks the findings and evaluates the gates once."""
    ranked = ranked_findings(bias) if findings is None else findings
    result = evaluate_gates(metrics, bias, gates, ranked) if gate_result is None else gate_result
    findings = _report_findings(bias, ranked)
    groups = report_groups(bias, findings)
    inputs = {
        "attributes": attributes is not None,
        "bias": bias is not None,
        "metrics": metrics is not None,
        "debias": debias is not None,
    }
    ok = manifest[manifest["status"] == "ok"]
    index = ok[["image_id", "role", "label", "path", "root"]].reset_index(drop=True)
    attrs = attributes if attributes is not None else pd.DataFrame(columns=["role", "label"])
    histograms = {
        col: sections.attribute_histograms(attrs, col)
        for cols in sections.DISPLAY_COLUMNS.values()
        for col in cols
        if col in attrs.columns
    }
    extractor = _extractor(metrics, features_info)
    return ReportDocument(
        schema_version=SCHEMA_VERSION,
        config=config,
        generated_at=generated_at,
        verdict=result.verdict,
        headline=VERDICT_HEADLINES[result.verdict],
        verdict_sentence=verdict_sentence(result, metrics),
        decision_rule=DECISION_RULE,
        reasons=result.reasons,
        gates=[c.document() for c in result.checks],
        inputs=inputs,
        notes=_notes(manifest, inputs) + [f"{n.what}: {n.reason}" for n in (bias.not_checked if bias else [])],
        not_checked=[] if bias is None else bias.not_checked,
        extractor=extractor,
        metrics=headline_metrics(metrics, _gated(result.checks)),
        fid_label=metric_label("fid", extractor),
        cas_per_class=_cas_per_class(metrics),
        findings=findings,
        finding_groups=groups,
        top_groups=groups[: params.max_findings_first_screen],
        bias_summary=None if bias is None else bias.summary,
        datasets=sections.dataset_summary(manifest),
        class_balance=sections.class_balance(manifest),
        attribute_summary=sections.attribute_summary(attrs) if attributes is not None else [],
        attribute_histograms=histograms,
        location=sections.location_heatmaps(attrs, params.location_bins),
        shortcuts=[f for f in findings if f.check in ("shortcut", "consistency")],
        diversity=[f for f in findings if f.check in ("diversity", "duplicates", "imbalance")],
        memorized=memorized,
        drift=drift_section(findings, bias.summary if bias is not None else None, drift_examples or []),
        samples=sections.select_samples(index, params.max_samples_per_class),
        debias=_debias_section(debias),
        utility=utility,
        history=history,
    )
