"""Run every registered metric and build metrics.json from their entries.

Each metric is its own module (maths, settings, registration; see ``synthscope.metrics.metric``);
importing it registers it. ``MODULES`` is the run order: it does not depend on which module some
other code imported first (CAS runs before the learning curves, which reuse its fits).
Metrics registered from elsewhere (a user's package, a test) run after these, in registration
order. Entries that need a real reference are skipped, and said to be skipped, when there is
none. One contract test runs over every entry (tests/unit/test_suite.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from synthscope.documents.common import Document, ExtractorRef
from synthscope.documents.metrics import MetricsDocument
from synthscope.logs import progress
from synthscope.metrics import cas, fid_interval, inception_score, kid, prdc, reference, utility
from synthscope.metrics.metric import (
    METRICS,
    UNNAMED,
    Metric,
    RoleData,
    ScoreInputs,
    distance_label,
    labelled,
    register_metric,
    unregister_metric,
)
from synthscope.metrics.reference import DECISION_RULE, attach_references

MODULES = (fid_interval, kid, inception_score, prdc, cas, utility, reference)  # the run order

__all__ = [
    "METRICS", "MODULES", "UNNAMED", "Metric", "RoleData", "ScoreInputs", "Scores", "distance_label",
    "in_order", "register_metric", "score_all", "score_entries", "unregister_metric",
]


def in_order() -> list[tuple[str, Metric]]:
    """The registered metrics in run order: by ``MODULES``, then the others as registered."""
    rank = {module.__name__: i for i, module in enumerate(MODULES)}
    return sorted(METRICS, key=lambda item: rank.get(item[1].compute.__module__, len(rank)))


def unlabelled_reason(inp: ScoreInputs) -> str | None:
    """Why label-needing metrics are missing, or None when both sets carry labels."""
    if not labelled(inp.synthetic.labels):
        return "not checked: needs class labels (the synthetic set is unlabelled)"
    if inp.real is not None and not labelled(inp.real.labels):
        return ("not checked: needs class labels (the real set is unlabelled, so there is no labelled "
                "real data to test on or compare each class with)")
    return None


@dataclass(frozen=True)
class Scores:
    """What the metrics computed: ``entries`` (metrics.json key -> its model, references attached) and
    ``skipped`` (metric -> why it was not computed)."""

    entries: dict[str, Document]
    skipped: dict[str, str]


def _skip_reason(metric: Metric, inp: ScoreInputs) -> str | None:
    if metric.needs_reference and inp.real is None:
        return "no real reference: pass --real (or real: in the config) to compute it"
    if metric.needs_labels:
        if (why := unlabelled_reason(inp)) is not None:
            return why
        if inp.real is not None and len(set(inp.real.labels.tolist())) < 2:
            return "the real set has one class: a classifier has nothing to tell apart"
    return None


def score_entries(inp: ScoreInputs, only: tuple[str, ...] | None = None) -> Scores:
    """Run every registered metric (or those named in ``only``) that the inputs allow."""
    entries: dict[str, Document] = {}
    skipped: dict[str, str] = {}
    writers: dict[str, str] = {}  # metrics.json key -> the metric that wrote it
    for name, metric in progress(in_order(), "score metrics"):
        if only is not None and name not in only:
            continue
        if (why := _skip_reason(metric, inp)) is not None:
            skipped[name] = why
            continue
        out = metric.compute(inp)
        if undeclared := sorted(set(out) - set(metric.outputs)):
            raise ValueError(f"metric {name!r} wrote {undeclared[0]!r}, not among its declared outputs "
                             f"{metric.outputs}; declare it in its Metric(outputs=...)")
        if taken := sorted(set(out) & set(entries)):
            raise ValueError(f"metric {name!r} wrote {taken[0]!r}, which {writers[taken[0]]!r} wrote already; "
                             f"give it a key of its own or run one of them (score_all(..., only=...))")
        entries.update(out)
        writers.update(dict.fromkeys(out, name))
    if inp.real is not None and (why := unlabelled_reason(inp)) is not None and (only is None or "fid" in only):
        skipped["per_class_fid"] = why
    return Scores(attach_references(entries), skipped)


def score_all(inp: ScoreInputs, only: tuple[str, ...] | None = None) -> MetricsDocument:
    """The metrics.json document: every registered metric (or those named in ``only``) that the inputs allow."""
    if inp.extractor is None:
        raise ValueError("metrics.json names its network: pass ScoreInputs.extractor (score_entries takes none)")
    scores = score_entries(inp, only)
    return MetricsDocument(
        extractor=ExtractorRef(name=inp.extractor.name, weights=inp.extractor.weights, sha256=inp.extractor.sha256),
        n_synthetic=len(inp.synthetic.ids),
        n_real=0 if inp.real is None else len(inp.real.ids),
        skipped=scores.skipped,
        decision_rule=DECISION_RULE,
        **scores.entries,
    )
