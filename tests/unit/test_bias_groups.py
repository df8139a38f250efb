"""Findings that add up: per-class findings grouped under their dataset-level finding, ranked."""

from __future__ import annotations

import pandas as pd

from synthscope.bias.base import score_frame, score_row
from synthscope.bias.groups import finding_id, group_findings, group_phrase, with_ids

CLASSES = [str(i) for i in range(34)]


def _flagged(rows: list[dict], severities: list[str]) -> pd.DataFrame:
    frame = score_frame(rows)
    frame["severity"] = severities
    return with_ids(frame)


def glyphs_vs_photos() -> pd.DataFrame:
    """34 classes: colour drift in every class, size drift in a few, consistency of colour in 30."""
    rows, sev = [], []

    def add(row: dict, severity: str) -> None:
        rows.append(row)
        sev.append(severity)

    add(score_row("drift", None, None, "classifier_auc", 1.0, 0.5, 1.0, "introduced",
                  "a classifier on the embeddings tells synthetic from real with AUC 1.00; most of the gap is in color."),
        "high")
    add(score_row("drift", "color", None, "classifier_auc", 0.99, 0.5, 0.95, "introduced",
                  "synthetic objects are black (RGB 0,0,0), real ones orange (RGB 200,120,40); color alone tells them "
                  "apart with AUC 0.99."), "high")
    add(score_row("drift", "size", None, "classifier_auc", 0.6, 0.5, 0.0, "introduced", "size differs a little"), "info")
    for c in CLASSES:
        add(score_row("drift", "color", c, "classifier_auc", 0.99, 0.5, 0.9, "introduced",
                      f"{c}: synthetic objects are black (RGB 0,0,0), real ones orange"), "high")
        add(score_row("drift", "size", c, "classifier_auc", 0.7, 0.5, 0.3 if c in ("0", "1") else 0.0, "introduced",
                      f"{c}: synthetic objects cover 20% of the image, real ones 40%"), "medium" if c in ("0", "1") else "info")
        add(score_row("consistency", "color", c, "spread_ratio", 0.1, 1.0, 0.9 if int(c) < 30 else 0.1,
                      "introduced", f"color spread of {c} is 10% of the real data's"), "high" if int(c) < 30 else "info")
    return _flagged(rows, sev)


def test_per_class_findings_are_grouped_under_the_dataset_level_one():
    flagged = glyphs_vs_photos()
    groups = {g.id: g for g in group_findings(flagged)}
    assert set(groups) == {"drift.all", "drift.color", "drift.size", "consistency.color"}
    color = groups["drift.color"]
    assert color.head == finding_id("drift", "color", "classifier_auc", None)
    assert len(color.members) == 35 and color.head in color.members  # 34 classes + the head
    assert color.n_classes == 34 and color.n_classes_measured == 34
    assert color.message.startswith("in 34 of 34 classes: synthetic objects are black (RGB 0,0,0)")
    # no dataset-level size finding above info: the group is worded from its worst class, class name dropped
    size = groups["drift.size"]
    assert size.head is None and size.n_classes == 2 and size.severity == "medium"
    assert size.message == "in 2 of 34 classes: synthetic objects cover 20% of the image, real ones 40%"
    assert groups["consistency.color"].n_classes == 30
    # every finding above info is in exactly one group
    above = set(flagged.loc[flagged["severity"] != "info", "id"])
    members = [m for g in groups.values() for m in g.members]
    assert sorted(members) == sorted(above)


def test_groups_rank_by_severity_then_share_of_the_gap():
    order = [g.id for g in group_findings(glyphs_vs_photos())]
    # high first: the embeddings explain all of the gap, colour 98% of it, consistency of colour as much
    # (its attribute's share) but in fewer classes; then the medium size group
    assert order == ["drift.all", "drift.color", "consistency.color", "drift.size"]
    groups = group_findings(glyphs_vs_photos())
    assert groups[0].gap_share == 1.0 and 0.97 < groups[1].gap_share < 0.99


def test_group_phrase_names_the_group_not_a_class():
    groups = {g.id: g for g in group_findings(glyphs_vs_photos())}
    assert group_phrase(groups["drift.color"]) == "high drift / color in 34 of 34 classes"
    assert group_phrase(groups["drift.all"]) == "high drift (embeddings) (whole dataset)"


def test_no_findings_no_groups():
    flagged = glyphs_vs_photos()
    flagged["severity"] = "info"
    assert group_findings(flagged) == []
