"""The report's headline numbers and findings, read from the typed stage documents, in words.

The documents are parsed and validated by ``synthscope.documents`` (the stage calls
``read_document``); this module only picks values out of the models, derives the CAS
ratio and names things ("FID" or the network's Fréchet distance, a finding in plain words).
"""

from __future__ import annotations

from collections.abc import Mapping

from synthscope.documents import BiasDocument, Estimate, ExtractorRef, Finding, MetricsDocument
from synthscope.documents.report import ClassValue, GateStatus, HeadlineMetric
from synthscope.schema import FID_NETWORK, SEVERITIES

# Headline metrics in display order: key, display label, which direction is better.
METRIC_SPECS: tuple[tuple[str, str, str], ...] = (
    ("fid", "FID", "lower"),
    ("kid", "KID", "lower"),
    ("cas_ratio", "CAS ratio (synthetic→real / real→real)", "higher"),
    ("precision", "Precision (fidelity)", "higher"),
    ("recall", "Recall (diversity)", "higher"),
    ("density", "Density", "higher"),
    ("coverage", "Coverage", "higher"),
    ("inception_score", "Inception Score", "higher"),
)


def metric_entry(metrics: MetricsDocument | None, key: str) -> Estimate | None:
    """The estimate of metric ``key``, or None when it was not measured.

    ``cas_ratio`` is derived: synthetic_to_real / real_to_real. Its interval is the
    conservative bound [lo_s/hi_r, hi_s/lo_r] from the two CIs (not an exact 95% CI).
    """
    if metrics is None:
        return None
    if key != "cas_ratio":
        return getattr(metrics, key)
    if metrics.cas is None or not metrics.cas.real_to_real.value:
        return None
    s2r, r2r = metrics.cas.synthetic_to_real, metrics.cas.real_to_real
    ci = None
    if s2r.ci95 and r2r.ci95 and r2r.ci95[0] > 0:
        ci = (s2r.ci95[0] / r2r.ci95[1], s2r.ci95[1] / r2r.ci95[0])
    method = "conservative bound [lo_s/hi_r, hi_s/lo_r] from the two accuracies' intervals"
    return Estimate(value=s2r.value / r2r.value, ci95=ci, method=method if ci else None)


def metric_label(key: str, extractor: ExtractorRef | None) -> str:
    """Display label. "FID", "KID" and "Inception Score" only for Inception with official weights;
    otherwise the network is named (and custom weights said), never passed off as FID."""
    label = dict((k, lab) for k, lab, _ in METRIC_SPECS)[key]
    kinds = {"fid": "Frechet distance", "kid": "Kernel distance", "inception_score": "Classifier score"}
    if key in kinds and extractor is not None and (extractor.name != FID_NETWORK or extractor.weights != "official"):
        custom = ", custom weights" if extractor.weights == "custom" else ""
        return f"{kinds[key]} ({extractor.name}{custom})"
    return label


def headline_metrics(metrics: MetricsDocument | None,
                     gated: Mapping[str, tuple[str, GateStatus]] | None = None) -> list[HeadlineMetric]:
    """Every headline metric present, in display order, with label, better direction and the
    score stage's own ``warnings`` (e.g. small-N bias), so the report repeats its caveats.
    ``gated``: metric key -> (gate, status) of the gate that watches it (``report.gates``)."""
    extractor = metrics.extractor if metrics else None
    rows = []
    for key, _label, better in METRIC_SPECS:
        entry = metric_entry(metrics, key)
        if entry is None:
            continue
        gate, status = (gated or {}).get(key, (None, None))
        reference = getattr(entry, "reference", None)
        rows.append(HeadlineMetric(
            key=key, label=metric_label(key, extractor), better=better,
            value=entry.value, ci95=entry.ci95, method=entry.method if entry.ci95 is not None else None,
            warnings=list(getattr(entry, "warnings", [])),
            **({"reference": reference} if reference is not None else {}),
            **_fid_details(entry if key == "fid" else None),
            gate=gate, gate_status=status,
        ))
    return rows


def _fid_details(fid: Estimate | None) -> dict[str, float | list[ClassValue]]:
    """FID's bias-extrapolated FID-inf and per-class values (flagged when from few samples)."""
    if fid is None:
        return {}
    out: dict[str, float | list[ClassValue]] = {}
    if fid.fid_inf is not None:
        out["fid_inf"] = fid.fid_inf.value
    if fid.per_class:
        out["per_class"] = [ClassValue(label=k, value=v.value, small_n=v.small_n, n=min(v.n_synthetic, v.n_real))
                            for k, v in fid.per_class.items()]
    return out


def ranked_findings(bias: BiasDocument | None) -> list[Finding]:
    """``bias.json``'s findings, worst first (severity, then score)."""
    if bias is None:
        return []
    return sorted(bias.findings, key=lambda f: (-SEVERITIES.index(f.severity), -(f.score or 0.0)))


def plain_words(f: Finding, with_class: bool = True) -> str:
    """One sentence a non-specialist can act on, built from the finding's fields (``with_class``
    False: as said of every class, for a group)."""
    cls = f.class_ if with_class else None
    attr = f.attribute
    where = f" in class '{cls}'" if cls else ""
    origin = {
        "introduced": " The generator introduced it (the real data does not show it).",
        "copied": " It is copied from the real data.",
    }.get(f.origin or "", "")
    text = {
        "shortcut": f"A model could tell classes apart by {attr or 'an attribute'}{where} instead of shape.",
        "consistency": f"The {attr or 'attribute'}{where} barely varies: every image looks alike there.",
        "imbalance": f"Class sizes are uneven{where}.",
        "diversity": f"Images{where} are less varied than the reference.",
        "duplicates": f"Near-duplicate images{where}.",
        "memorization": f"Synthetic images{where} are near copies of real training images.",
        # the drift check's message already says how synthetic differs, with values on each side
        "drift": f.message or f"Synthetic images{where} differ from real ones in {attr or 'their embeddings'}.",
    }[f.check]
    return text + (origin if f.check in ("shortcut", "consistency") else "")
