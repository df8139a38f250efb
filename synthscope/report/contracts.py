"""How the report reads the other stages' JSON outputs, and the ``debias.json`` contract.

``metrics.json`` (score stage, DESIGN.md): one object per metric, ``{"value": x, "ci95": [lo, hi]}``,
keys ``fid, kid, inception_score, precision, recall, density, coverage`` and
``cas = {"synthetic_to_real": {...}, "real_to_real": {...}, "per_class": {...}}``, plus
``"extractor": {"name", "weights": "official|custom", "sha256"}``. Any metric may be absent
(no real reference, a metric switched off); the report then says so instead of guessing.

``bias.json`` (scan stage): ``{"findings": [{check, attribute, class, severity, score,
reference_score, origin, message}], "summary": {...}}``. A finding may also carry
``examples``: a list of image ids, or of ``{"image_id", "neighbour_id"?, "distance"?}``
objects (used for the memorisation section).

``debias.json`` (debias stage), defined here::

    {
      "method": "short description of what was generated",
      "n_augmented": 120,                       # images added
      "per_class_added": {"circle": 40, ...},   # optional
      "findings": [                              # one row per finding re-scanned after debiasing
        {"check": "shortcut", "attribute": "color", "class": "circle", "metric": "youden_j",
         "score_before": 0.93, "score_after": 0.41,
         "severity_before": "high", "severity_after": "low"}
      ],
      "cas": {                                   # accuracy on the score stage's held-out real test split
        "before": {"value": 0.56, "ci95": [0.39, 0.72]},   # trained on the original set
        "after":  {"value": 0.92, "ci95": [0.81, 1.0]},    # trained on the augmented set
        "trained_on": {"before": "synthetic", "after": "augmented"}
      }
    }

Scores in ``findings`` are the scan's flag values (higher = more biased; what its thresholds
compare), so "after < before" is an improvement. CAS "before" is trained on the original
synthetic set (or on the real training split when the debias stage rebalanced the real set
with synthetic images), "after" on the augmented set; ``trained_on`` says which. When the real
set was rebalanced, the findings compare reference-free scans of the real set and of the
augmented set (``"scan_reference": "none"``), since the augmented set contains the real one. Every key
except ``findings`` and ``cas`` is optional; ``cas`` is null without a real reference.
"""

from __future__ import annotations

import math
from typing import Any

from synthscope.errors import DataError
from synthscope.schema import CHECKS, SEVERITIES

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
INCEPTION = "inception-fid"
FINDING_KEYS = ("check", "attribute", "class", "severity", "score", "reference_score", "origin", "message")


def _finite(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(x) else None


def metric_entry(metrics: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    """``{"value": float, "ci95": [lo, hi] | None, "method": str | None}`` for a metric key, or None
    when absent; FID adds ``fid_inf`` and ``per_class`` (``label, value, small_n, n``) when present.

    ``cas_ratio`` is derived: synthetic_to_real / real_to_real. Its interval is the
    conservative bound [lo_s/hi_r, hi_s/lo_r] from the two CIs (not an exact 95% CI).
    """
    if not metrics:
        return None
    if key == "cas_ratio":
        cas = metrics.get("cas") or {}
        s2r, r2r = metric_entry(cas, "synthetic_to_real"), metric_entry(cas, "real_to_real")
        if s2r is None or r2r is None or not r2r["value"]:
            return None
        ci = None
        if s2r["ci95"] and r2r["ci95"] and r2r["ci95"][0] > 0:
            ci = [s2r["ci95"][0] / r2r["ci95"][1], s2r["ci95"][1] / r2r["ci95"][0]]
        method = "conservative bound [lo_s/hi_r, hi_s/lo_r] from the two accuracies' bootstrap intervals"
        return {"value": s2r["value"] / r2r["value"], "ci95": ci, "method": method if ci else None}
    raw = metrics.get(key)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = {"value": raw}
    if not isinstance(raw, dict) or _finite(raw.get("value")) is None:
        return None
    ci = raw.get("ci95")
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(_finite(c) is not None for c in ci):
        ci = [float(ci[0]), float(ci[1])]
    else:
        ci = None
    out = {"value": float(raw["value"]), "ci95": ci, "method": raw.get("method") if ci else None}
    inf = raw.get("fid_inf")
    if isinstance(inf, dict) and _finite(inf.get("value")) is not None:
        out["fid_inf"] = float(inf["value"])  # FID's bias-extrapolated value, shown beside it
    per_class = raw.get("per_class") if key == "fid" else None
    if isinstance(per_class, dict):
        out["per_class"] = [
            {"label": str(k), "value": _finite(v.get("value")), "small_n": bool(v.get("small_n")),
             "n": min(int(v.get("n_synthetic") or 0), int(v.get("n_real") or 0))}
            for k, v in per_class.items() if isinstance(v, dict)
        ]
    return out


def metric_label(key: str, extractor: dict[str, Any] | None) -> str:
    """Display label. "FID", "KID" and "Inception Score" only for Inception with official weights;
    otherwise the network is named (and custom weights said), never passed off as FID."""
    name = (extractor or {}).get("name")
    label = dict((k, lab) for k, lab, _ in METRIC_SPECS)[key]
    kinds = {"fid": "Frechet distance", "kid": "Kernel distance", "inception_score": "Classifier score"}
    if key in kinds and name and (name != INCEPTION or (extractor or {}).get("weights") != "official"):
        custom = ", custom weights" if (extractor or {}).get("weights") == "custom" else ""
        return f"{kinds[key]} ({name}{custom})"
    return label


def headline_metrics(metrics: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every headline metric present, in display order, with label, better direction and the
    score stage's own ``warnings`` (e.g. small-N bias), so the report repeats its caveats."""
    extractor = (metrics or {}).get("extractor")
    rows = []
    for key, _label, better in METRIC_SPECS:
        entry = metric_entry(metrics, key)
        if entry is not None:
            raw = (metrics or {}).get(key)
            warnings = raw.get("warnings") if isinstance(raw, dict) else None
            rows.append(
                {
                    "key": key,
                    "label": metric_label(key, extractor),
                    "better": better,
                    **entry,
                    "warnings": [str(w) for w in warnings or []],
                }
            )
    return rows


def read_findings(bias: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Validated findings from ``bias.json``, worst first (severity, then score).

    Raises ``DataError`` on a finding outside the contract, so a scan bug is not rendered
    as a confident-looking report.
    """
    if not bias:
        return []
    findings = bias.get("findings")
    if not isinstance(findings, list):
        raise DataError("bias.json has no 'findings' list; re-run `synthscope stage scan`")
    out = []
    for i, f in enumerate(findings):
        if not isinstance(f, dict) or f.get("check") not in CHECKS or f.get("severity") not in SEVERITIES:
            raise DataError(
                f"bias.json finding {i} has an unknown check or severity; re-run `synthscope stage scan`"
            )
        out.append({k: f.get(k) for k in FINDING_KEYS} | dict(f))
    out.sort(key=lambda f: (-SEVERITIES.index(f["severity"]), -(_finite(f.get("score")) or 0.0)))
    return out


def example_ids(finding: dict[str, Any]) -> list[dict[str, Any]]:
    """A finding's ``examples`` normalised to ``[{"image_id", "neighbour_id"?, "distance"?}]``."""
    out = []
    for ex in finding.get("examples") or []:
        if isinstance(ex, str):
            out.append({"image_id": ex})
        elif isinstance(ex, dict) and isinstance(ex.get("image_id"), str):
            out.append({k: ex[k] for k in ("image_id", "neighbour_id", "distance") if k in ex})
    return out


def plain_words(f: dict[str, Any]) -> str:
    """One sentence a non-specialist can act on, built from the finding's fields."""
    cls = f.get("class")
    attr = f.get("attribute")
    where = f" in class '{cls}'" if cls else ""
    origin = {
        "introduced": " The generator introduced it (the real data does not show it).",
        "copied": " It is copied from the real data.",
    }.get(f.get("origin") or "", "")
    text = {
        "shortcut": f"A model could tell classes apart by {attr or 'an attribute'}{where} instead of shape.",
        "consistency": f"The {attr or 'attribute'}{where} barely varies: every image looks alike there.",
        "imbalance": f"Class sizes are uneven{where}.",
        "diversity": f"Images{where} are less varied than the reference.",
        "duplicates": f"Near-duplicate images{where}.",
        "memorization": f"Synthetic images{where} are near copies of real training images.",
    }[f["check"]]
    return text + (origin if f["check"] in ("shortcut", "consistency") else "")
