"""Turn the scan's findings and ``params.debias`` into a debias plan (pure: frames in, plan out).

The plan says which set is rebalanced (the synthetic set, or the real set filled with
synthetic images), how many images each class should end with, and which attributes the
targeted transforms must decorrelate from the class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from synthscope.errors import ConfigError
from synthscope.params import DebiasParams
from synthscope.schema import ATTRIBUTES, severity_rank

# Findings of these checks are about an attribute tied to (or frozen within) a class.
ATTRIBUTE_CHECKS = ("shortcut", "consistency")


@dataclass(frozen=True)
class DebiasPlan:
    """``role``: the set rebalanced (synthetic | real). ``target_shares`` / ``target_counts``:
    per class, sorted by class. ``attributes``: attribute groups to decorrelate, in
    ``schema.ATTRIBUTES`` order. ``deficit_before``: max class deficit of ``role`` vs the target."""

    role: str
    target_shares: dict[str, float]
    target_counts: dict[str, int]
    attributes: tuple[str, ...]
    deficit_before: float


def target_shares(
    target: str | dict[str, float], synthetic: pd.Series, real: pd.Series | None
) -> dict[str, float]:
    """Class -> share summing to 1. ``synthetic`` / ``real``: class counts (index: label)."""
    classes = sorted(set(synthetic.index) | set(real.index if real is not None else []))
    if isinstance(target, dict):
        missing = [c for c in classes if c not in target]
        if missing:
            raise ConfigError(f"debias.target: no share for class {missing[0]!r}; give every class a share")
        total = sum(target[c] for c in classes)
        return {c: target[c] / total for c in classes}
    if target == "uniform":
        return {c: 1.0 / len(classes) for c in classes}
    if real is None or real.sum() == 0:
        raise ConfigError("debias.target: real needs a real reference; pass --real or set debias.target=uniform")
    return {c: float(real.get(c, 0)) / float(real.sum()) for c in classes}


def max_deficit(counts: pd.Series, shares: dict[str, float]) -> float:
    """The scan's imbalance measure against ``shares``: max over classes of 1 - r_c / max_k r_k,
    with r_c = (count_c / total) / share_c. 0 when the counts follow the target exactly."""
    total = float(counts.sum())
    if total == 0:
        return 1.0
    rel = {c: float(counts.get(c, 0)) / total / s for c, s in shares.items() if s > 0}
    top = max(rel.values())
    return max(1.0 - r / top for r in rel.values())


def class_counts_for(counts: pd.Series, shares: dict[str, float], undersample: bool) -> dict[str, int]:
    """Per-class counts that follow ``shares``.

    Without undersampling: the smallest counts at the target that keep every image
    (scale up to the class with the most images per unit of share). With undersampling the
    total stays the same and surplus images are dropped.
    """
    if undersample:
        total = int(counts.sum())
        return {c: max(1, round(s * total)) if s > 0 else 0 for c, s in shares.items()}
    scale = max(float(counts.get(c, 0)) / s for c, s in shares.items() if s > 0)
    return {c: max(int(counts.get(c, 0)), math.ceil(s * scale - 1e-9)) for c, s in shares.items()}


def flagged_attributes(findings: pd.DataFrame, min_severity: str) -> tuple[str, ...]:
    """Attribute groups with a shortcut or consistency finding at or above ``min_severity``.

    ``findings``: bias_findings.parquet (``check``, ``attribute``, ``severity`` columns).
    """
    rank = severity_rank(min_severity)
    hit = findings[
        findings["check"].isin(ATTRIBUTE_CHECKS)
        & findings["attribute"].notna()
        & (findings["severity"].map(severity_rank) >= rank)
    ]
    present = set(hit["attribute"].astype(str))
    return tuple(a for a in ATTRIBUTES if a in present)


def choose_role(
    role: str, target: str | dict[str, float], real: pd.Series | None, shares: dict[str, float], low: float
) -> str:
    """``auto``: the real set when it is there, the target is not its own shares, and it misses
    the target by at least the scan's ``low`` imbalance threshold; else the synthetic set."""
    if role == "real" and real is None:
        raise ConfigError("debias.role: real needs a real reference; pass --real or set debias.role=synthetic")
    if role != "auto":
        return role
    if real is None or target == "real":
        return "synthetic"
    return "real" if max_deficit(real, shares) >= low else "synthetic"


def make_plan(
    findings: pd.DataFrame,
    synthetic_counts: pd.Series,
    real_counts: pd.Series | None,
    params: DebiasParams,
    imbalance_low: float,
) -> DebiasPlan:
    """The plan. ``*_counts``: images per class (index: label) of the usable images of each role
    (for the synthetic set: after dropping near-copies and near-duplicates)."""
    shares = target_shares(params.target, synthetic_counts, real_counts)
    role = choose_role(params.role, params.target, real_counts, shares, imbalance_low)
    counts = real_counts if role == "real" else synthetic_counts
    assert counts is not None
    return DebiasPlan(
        role=role,
        target_shares=shares,
        target_counts=class_counts_for(counts, shares, params.undersample),
        attributes=flagged_attributes(findings, params.min_severity),
        deficit_before=max_deficit(counts, shares),
    )


def debias_reasons(findings: pd.DataFrame, plan: DebiasPlan, params: DebiasParams,
                   imbalance_low: float) -> list[str]:
    """What there is to debias: each finding at or above ``debias.min_severity`` and, for a target
    other than the real set's own shares, a class deficit at or above the scan's ``low`` imbalance
    level. Empty: nothing was flagged, and the stage builds no augmented set.

    With ``target: real`` a class that misses the real shares is the scan's imbalance finding
    (which is calibrated against sampling noise), so the raw deficit is not counted again.
    """
    rank = severity_rank(params.min_severity)
    hit = findings[findings["severity"].map(severity_rank) >= rank]
    reasons = []
    for rec in hit.to_dict("records"):
        where = ", ".join(str(rec[k]) for k in ("attribute", "class") if isinstance(rec.get(k), str) and rec[k])
        reasons.append(f"{rec['check']} finding ({where or 'whole set'}): {rec['severity']}")
    if params.target != "real" and plan.deficit_before >= imbalance_low:
        reasons.append(f"the {plan.role} set misses the {params.target if isinstance(params.target, str) else 'given'} "
                       f"class target by {plan.deficit_before:.2f} (>= scan.imbalance_levels low, {imbalance_low})")
    return reasons
