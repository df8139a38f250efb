"""The report's first screen: bias.json's finding groups in plain words (pure).

The scan groups per-class findings under their dataset-level finding (``bias.groups``);
the report shows at most ``report.max_findings_first_screen`` groups, in the scan's order
(severity, then the share of the synthetic-vs-real gap they explain). A document written
before groups existed gets one group per finding, so an old bias.json still renders.
"""

from __future__ import annotations

from synthscope.bias.groups import group_phrase
from synthscope.documents import BiasDocument, extended
from synthscope.documents.bias import FindingGroup
from synthscope.documents.report import ReportFinding, ReportGroup
from synthscope.report.headlines import plain_words


def _plain(group: FindingGroup, by_id: dict[str, ReportFinding]) -> str:
    """The head finding in words (class left out), prefixed by how many classes it holds in."""
    members = [by_id[i] for i in group.members if i in by_id]
    head = by_id.get(group.head or "") or (members[0] if members else None)
    if head is None:
        return group.message
    text = plain_words(head, with_class=False)
    if head.check == "drift" and group.head is None:  # a per-class drift message names its class
        text = group.message
    elif group.n_classes and group.n_classes_measured:
        text = f"In {group.n_classes} of {group.n_classes_measured} classes: {text[0].lower()}{text[1:]}"
    return text


def _legacy_groups(findings: list[ReportFinding]) -> list[FindingGroup]:
    """One group per finding, for a bias.json without ``groups`` (``build`` gave each finding an id)."""
    return [FindingGroup(id=f.id, check=f.check, attribute=f.attribute, severity=f.severity, head=f.id,
                         members=[f.id], classes=[f.class_] if f.class_ else [], n_classes=1 if f.class_ else 0,
                         n_classes_measured=0, origin=f.origin, gap_share=0.0, max_flag_value=None, message=f.message)
            for f in findings if f.id is not None]


def report_groups(bias: BiasDocument | None, findings: list[ReportFinding]) -> list[ReportGroup]:
    """``report.json`` ``finding_groups``: the scan's groups, each with ``plain`` and ``title``.

    ``findings``: the report's findings (``headlines.ranked_findings``), looked up by id.
    """
    if bias is None:
        return []
    groups = bias.groups if bias.groups else _legacy_groups(findings)
    by_id = {f.id: f for f in findings if f.id}
    return [extended(g, ReportGroup, plain=_plain(g, by_id), title=group_phrase(g)[len(g.severity) + 1:])
            for g in groups]
