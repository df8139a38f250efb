"""Findings that add up: per-class findings grouped under their dataset-level finding.

A scan of 34 classes raises one fact 34 times ("0: synthetic glyphs are black", "1: ...").
A group collects every finding of one check and attribute, says in how many of the
measured classes it holds, and is headed by the dataset-level finding of that check and
attribute when there is one ("in 34 of 34 classes: synthetic objects are black ...").
The per-class findings stay in bias.json; a group lists its members' ids.

Groups are ranked by severity, then by ``gap_share``: how much of the synthetic-vs-real
gap the group's attribute explains. The drift check measures that gap: one classifier on
the embeddings tells the two sets apart with AUC ``a``; one that sees only attribute group
A reaches ``a_A``. The share is ``(a_A - 0.5) / (a - 0.5)`` clipped to [0, 1] (the embedding
group itself explains all of it: 1). Groups without an attribute explain no share of it
(0). Ties are broken by the group without an attribute first (the embeddings: the whole
gap), then by the share of classes affected, then by the largest flagged value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthscope.documents.bias import FindingGroup
from synthscope.schema import CHECKS, SEVERITIES, severity_rank


def finding_id(check: str, attribute: str | None, metric: str, label: str | None) -> str:
    """Stable id of one scan measurement: ``check.attribute.metric`` plus ``[class]`` when per class."""
    base = f"{check}.{attribute or 'all'}.{metric}"
    return base if label is None else f"{base}[{label}]"


def with_ids(flagged: pd.DataFrame) -> pd.DataFrame:
    """``flagged`` plus an ``id`` column (:func:`finding_id` of each row)."""
    out = flagged.copy()
    out["id"] = [
        finding_id(c, a, m, label)
        for c, a, m, label in zip(out["check"], out["attribute"], out["metric"], out["class"], strict=True)
    ]
    return out


def _none(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def gap_shares(flagged: pd.DataFrame) -> dict[str | None, float]:
    """Attribute (None: the embeddings) -> share of the synthetic-vs-real gap it explains."""
    drift = flagged[(flagged["check"] == "drift") & flagged["class"].isna()]
    auc = {_none(a): float(s) for a, s in zip(drift["attribute"], drift["score"], strict=True) if np.isfinite(s)}
    if not auc:
        return {}
    whole = auc.get(None, max(auc.values()))
    out: dict[str | None, float] = {}
    for attribute, value in auc.items():
        share = (value - 0.5) / (whole - 0.5) if whole > 0.5 else 0.0
        out[attribute] = float(np.clip(share, 0.0, 1.0))
    out[None] = 1.0 if None in auc else 0.0
    return out


def _strip_class(message: str, label: str | None) -> str:
    """A per-class drift message starts with '<class>: '; a group's summary drops it."""
    prefix = f"{label}: "
    return message[len(prefix):] if label is not None and message.startswith(prefix) else message


def group_findings(flagged: pd.DataFrame) -> list[FindingGroup]:
    """bias.json ``groups``: one per (check, attribute) with a finding above ``info``, ranked.

    ``flagged``: the scan's table with ``severity`` and ``id`` (:func:`with_ids`), every
    measured row (also ``info`` ones: they say how many classes were measured).
    """
    shares = gap_shares(flagged)
    above = flagged[flagged["severity"] != "info"]
    groups = []
    keys = above[["check", "attribute"]].astype(object).where(above[["check", "attribute"]].notna(), None)
    for (check, attribute), _ in keys.groupby(["check", "attribute"], dropna=False, sort=False):
        attribute = _none(attribute)
        same = (flagged["check"] == check) & (
            flagged["attribute"].isna() if attribute is None else flagged["attribute"] == attribute
        )
        members = above[same.reindex(above.index)]
        measured = flagged[same]
        per_class = members[members["class"].notna()]
        classes = sorted(set(measured["class"].dropna().astype(str)))
        hit = sorted(set(per_class["class"].astype(str)))
        overall = members[members["class"].isna()]
        ranks = members["severity"].map(severity_rank)
        worst = members.loc[ranks.idxmax()]
        head = overall.loc[overall["severity"].map(severity_rank).idxmax()] if len(overall) else None
        summary = head["message"] if head is not None else _strip_class(str(worst["message"]), _none(worst["class"]))
        if hit and classes:
            summary = f"in {len(hit)} of {len(classes)} classes: {summary}"
        flag_values = members["flag_value"].to_numpy(dtype=np.float64)
        groups.append(FindingGroup(
            id=f"{check}.{attribute or 'all'}",
            check=check,
            attribute=attribute,
            severity=SEVERITIES[int(ranks.max())],
            head=None if head is None else str(head["id"]),
            members=[str(i) for i in members["id"]],
            classes=hit,
            n_classes=len(hit),
            n_classes_measured=len(classes),
            origin=str(head["origin"] if head is not None else worst["origin"]),
            gap_share=float(shares.get(attribute, 0.0)) if check == "drift" or attribute else 0.0,
            max_flag_value=float(np.nanmax(flag_values)) if np.isfinite(flag_values).any() else None,
            message=summary,
        ))
    groups.sort(key=lambda g: (
        -severity_rank(g.severity),
        -g.gap_share,
        g.attribute is not None,  # at equal share, the whole-set group (embeddings) leads
        -(g.n_classes / g.n_classes_measured if g.n_classes_measured else 1.0),
        -(g.max_flag_value or 0.0),
        CHECKS.index(g.check),
    ))
    return groups


def group_phrase(group: FindingGroup) -> str:
    """'high drift / color in 34 of 34 classes' or 'high drift (embeddings, whole dataset)'."""
    what = group.check + (f" / {group.attribute}" if group.attribute else "")
    if group.check == "drift" and not group.attribute:
        what += " (embeddings)"
    if group.n_classes and group.n_classes_measured:
        where = f" in {group.n_classes} of {group.n_classes_measured} classes"
    else:
        where = " (whole dataset)"
    return f"{group.severity} {what}{where}"
