"""Complete, valid stage documents with chosen headline numbers, for report and gate tests.

Every document a test hands the report is built through the same models the stages write,
so a test cannot pass on a shape no stage produces.
"""

from __future__ import annotations

from typing import Any

from synthscope.documents import BiasDocument, DebiasDocument, MetricsDocument

INFO = {"name": "mobilenet-v2", "weights": "official", "sha256": "ab" * 32, "key": "mobilenet-v2-abababababab-v1",
        "dim": 1280, "n_logits": 1000, "input_size": 224, "preprocess": "full224-imnet-v1",
        "weights_source": "package", "weights_path": "/w.pth"}


def _est(pair: tuple[float, list[float] | None]) -> dict[str, Any]:
    return {"value": pair[0], "ci95": pair[1]}


def metrics_doc(
    fid=(30.0, [28.0, 32.0]), kid=(0.01, [0.005, 0.015]), cov=(0.7, [0.65, 0.75]), s2r=(0.9, [0.88, 0.92]),
    r2r=(1.0, [0.98, 1.0]), extractor=("inception-fid", "official"), fid_warnings=(), per_class=None,
    neighbours: dict[str, tuple[float, list[float]]] | None = None, inception: tuple[float, list[float]] | None = None,
    fid_extra: dict[str, Any] | None = None,
    relative: dict[str, tuple[float, list[float]]] | None = None, p_value: float | None = 0.3,
) -> MetricsDocument:
    """metrics.json with these values (None leaves a metric out, as the score stage does when skipping)."""
    net = extractor[0]
    doc: dict[str, Any] = {"extractor": {"name": net, "weights": extractor[1], "sha256": "ab" * 32},
                           "n_synthetic": 100, "n_real": 100, "skipped": {}}
    if fid is not None:
        doc["fid"] = {**_est(fid), "network": net, "label": "FID", "n_synthetic": 100, "n_real": 100,
                      "warnings": list(fid_warnings), "per_class": {}, **(fid_extra or {})}
    if kid is not None:
        doc["kid"] = {**_est(kid), "std": 0.001, "subsets": 10, "subset_size": 50, "network": net}
    for key, pair in ({"coverage": cov} | (neighbours or {})).items():  # precision, recall, density, coverage
        if pair is not None:
            doc[key] = {**_est(pair), "k": 5, "network": net}
    if inception is not None:
        doc["inception_score"] = {**_est(inception), "std": 0.1, "splits": 10, "network": net, "label": "IS"}
    if s2r is not None and r2r is not None:
        doc["cas"] = {
            **_est(s2r), "n": 30, "synthetic_to_real": {**_est(s2r), "n": 30},
            "real_to_real": {**_est(r2r), "n": 30}, "gap": {"value": r2r[0] - s2r[0], "ci95": None, "n": 30},
            "per_class": per_class or {}, "model": "linear", "train_seconds": {"synthetic": 0.1, "real": 0.1},
            "split": {"seed": 0, "test_fraction": 0.3, "n_train_real": 70, "n_test_real": 30,
                      "n_train_synthetic": 100, "test_ids_sha256": "0" * 64},
        }
    rel = {"fid": (1.0, [0.95, 1.05]), "kid": (0.0, [-0.01, 0.01]), "coverage": (1.0, [0.97, 1.05])} \
        | (relative or {})
    if relative != {}:  # {}: no real_vs_real block (an older metrics.json)
        doc["real_vs_real"] = real_vs_real_block(rel)
    if p_value is not None:
        doc["two_sample_test"] = {"value": p_value, "ci95": [p_value * 0.8, min(1.0, p_value * 1.2)], "method": "m",
                                  "statistic": 0.01, "permutations": 500, "n_synthetic": 100, "n_real": 100,
                                  "effect_size": {"value": 0.02, "method": "m"}}
    return MetricsDocument.model_validate(doc)


def real_vs_real_block(rel: dict[str, tuple[float, list[float]]], n_per_side: int = 50) -> dict[str, Any]:
    """metrics.json ``real_vs_real`` with these relative values (FD ratio, KID excess, coverage ratio, ...)."""
    spread = {"value": 1.0, "ci95": [0.9, 1.1], "method": "m"}
    metrics = {key: {"reference": spread, "matched": spread,
                     "relative": {**_est(pair), "kind": "excess" if key == "kid" else "ratio"}}
               for key, pair in rel.items()}
    fd = rel.get("fid")
    return {"available": True, "value": fd[0] if fd else None, "ci95": fd[1] if fd else None, "method": "m",
            "note": None, "n_per_side": n_per_side, "n_synthetic": 100, "n_real": 100, "splits": 10,
            "decision_rule": "rule", "kernel_variance": 1.0, "metrics": metrics}


def finding(severity: str, check: str = "shortcut", score: float = 0.5, cls: str | None = "a",
            attribute: str | None = "color", message: str = "m", **extra: Any) -> dict[str, Any]:
    return {"check": check, "attribute": attribute, "class": cls, "severity": severity, "score": score,
            "reference_score": 0.1, "origin": "introduced", "message": message, "metric": "youden_j", **extra}


def bias_doc(findings: list[dict[str, Any]]) -> BiasDocument:
    """bias.json around ``findings`` (summary counts consistent with them)."""
    sev = [f["severity"] for f in findings]
    return BiasDocument.model_validate({"findings": findings, "summary": {
        "n_synthetic": 100, "n_real": 100, "reference": "real", "n_measured": len(findings) + 3,
        "n_findings": len(findings), "by_severity": {s: sev.count(s) for s in ("low", "medium", "high")},
        "by_check": {}, "max_severity": max(sev, key=("info", "low", "medium", "high").index, default="info"),
        "extractor": INFO}})


def debias_doc(findings: list[dict[str, Any]], cas: tuple[float, float] | None = (0.6, 0.8)) -> DebiasDocument:
    """debias.json with these before/after rows and CAS before/after (None: no real reference)."""
    cas_doc = None if cas is None else {
        "model": "linear", "n_test_real": 30, "trained_on": {"before": "synthetic", "after": "augmented"},
        "before": {"value": cas[0], "ci95": [cas[0] - 0.1, cas[0] + 0.1], "n_train": 100},
        "after": {"value": cas[1], "ci95": [cas[1] - 0.1, cas[1] + 0.1], "n_train": 150},
        "gain": {"value": cas[1] - cas[0], "ci95": [0.0, 0.4]}, "n_after_dropped_test_sources": 0}
    return DebiasDocument.model_validate({
        "method": "rebalanced", "role": "synthetic", "attributes": ["color"], "target_shares": {"a": 1.0},
        "class_counts": {"a": 150}, "deficit": {"before": 0.5, "after": 0.0}, "n_images": 150,
        "n_augmented": 50, "per_class_added": {"a": 50},
        "selection": {"n_synthetic": 100, "n_copies_of_real": 0, "n_near_duplicates": 0, "n_kept": 100,
                      "realism_median": 1.0},
        "findings": findings, "scan_reference": "real", "cas": cas_doc, "rescan_dir": "o/debias_after", "seed": 0})
