"""The report's first screen: bias.json's finding groups in plain words (pure).

The scan groups per-class findings under their dataset-level finding (``bias.groups``);
the report shows at most ``report.max_findings_first_screen`` groups, in the scan's order
(severity, then the share of the synthetic-vs-real gap they explain). A document written
before groups existed gets one group per finding, so an old bias.json still renders.
"""

from __future__ import annotations

from typing import Any

from synthscope.bias.groups import group_phrase
from synthscope.documents import BiasDocument, dump
from synthscope.report.headlines import plain_words


def _plain(group: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> str:
    """The head finding in words (class left out), prefixed by how many classes it holds in."""
    members = [by_id[i] for i in group["members"] if i in by_id]
    head = by_id.get(group["head"] or "") or (members[0] if members else None)
    if head is None:
        return group["message"]
    text = plain_words({**head, "class": None})
    if head["check"] == "drift" and group["head"] is None:  # a per-class drift message names its class
        text = group["message"]
    elif group["n_classes"] and group["n_classes_measured"]:
        text = f"In {group['n_classes']} of {group['n_classes_measured']} classes: {text[0].lower()}{text[1:]}"
    return text


def _legacy_groups(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One group per finding, for a bias.json without ``groups`` (ids made up from the order)."""
    out = []
    for i, f in enumerate(findings):
        fid = f.get("id") or f"finding-{i}"
        f["id"] = fid
        out.append({"id": fid, "check": f["check"], "attribute": f.get("attribute"), "severity": f["severity"],
                    "head": fid, "members": [fid], "classes": [f["class"]] if f.get("class") else [],
                    "n_classes": 1 if f.get("class") else 0, "n_classes_measured": 0, "origin": f["origin"],
                    "gap_share": 0.0, "max_flag_value": None, "message": f["message"]})
    return out


def report_groups(bias: BiasDocument | None, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``report.json`` ``finding_groups``: the scan's groups, each with ``plain`` and ``title``.

    ``findings``: the report's findings (``headlines.ranked_findings``), looked up by id.
    """
    if bias is None:
        return []
    groups = [dump(g) for g in bias.groups] if bias.groups else _legacy_groups(findings)
    by_id = {f["id"]: f for f in findings if f.get("id")}
    for g in groups:
        g["plain"] = _plain(g, by_id)
        g["title"] = group_phrase(g)[len(g["severity"]) + 1:]
    return groups
