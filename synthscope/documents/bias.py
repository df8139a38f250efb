"""``bias.json`` (owner: ``synthscope.stages.scan``): findings above ``info`` and a summary.

The vocabularies (checks, attributes, severities, origins) come from ``synthscope.schema``:
adding a check or an attribute there is the one change the documents need.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from synthscope.documents.common import Document
from synthscope.documents.stages import ExtractorInfo
from synthscope.schema import CHECKS, FINDING_ATTRIBUTES, ORIGINS, SEVERITIES

Check = Literal[CHECKS]
Severity = Literal[SEVERITIES]
Role = Literal["synthetic", "real"]  # the two sides a scan compares


class ImageRef(Document):
    """One image of the audit, as the manifest names it (``path`` relative to its dataset root)."""

    image_id: str
    path: str
    label: str


class MemorizedExample(Document):
    """A synthetic image the scan thinks copies a real one, with its nearest real image.

    ``cosine_distance`` (1 - cosine of the L2-normalised embeddings, None without embeddings)
    and ``hamming`` (dhash bits) are the two distances the memorisation check thresholds.
    """

    synthetic: ImageRef
    real: ImageRef
    exact: bool  # byte-identical (same sha256)
    hamming: int
    cosine_distance: float | None


class DriftExample(Document):
    """A synthetic image the drift check's embedding classifier finds most synthetic-looking, with its
    nearest real image: ``probability`` is its out-of-fold probability of "synthetic",
    ``cosine_distance`` 1 - cosine to that real image (L2-normalised embeddings, as the check)."""

    synthetic: ImageRef
    real: ImageRef
    probability: float
    cosine_distance: float


class Finding(Document):
    """One scan measurement above ``info`` (docs/design.md's finding shape, plus the metric's name).

    ``id`` (``check.attribute.metric[class]``, ``bias.groups.finding_id``) is what a group's
    ``members`` name; documents written before groups existed have none.
    """

    check: Check
    attribute: Literal[FINDING_ATTRIBUTES] | None
    class_: str | None = Field(alias="class")
    severity: Severity
    score: float | None
    reference_score: float | None
    origin: Literal[ORIGINS]
    message: str
    metric: str
    id: str | None = None  # after docs/design.md's keys
    examples: list[MemorizedExample] | None = None  # memorisation only: the suspected copies


# The keys every finding has, in docs/design.md's order (the scan's table columns of the same names).
FINDING_KEYS = tuple(f.alias or name for name, f in Finding.model_fields.items() if name != "examples")


class FindingGroup(Document):
    """Every finding of one check and attribute, under its dataset-level finding (``head``).

    ``message`` says in how many of the measured classes the finding holds ("in 34 of 34
    classes: ..."). Groups are listed worst first: by severity, then by ``gap_share``, the
    share of the synthetic-vs-real gap the group's attribute explains (drift AUC of the
    attribute against that of the embeddings; see docs/findings.md).
    """

    id: str  # check.attribute ("all" when the check has no attribute)
    check: Check
    attribute: Literal[FINDING_ATTRIBUTES] | None
    severity: Severity  # the worst member's
    head: str | None  # id of the dataset-level finding, None when only classes were flagged
    members: list[str]  # ids of every finding of the group, the head included
    classes: list[str]  # the classes with a finding
    n_classes: int
    n_classes_measured: int  # classes this check and attribute measured
    origin: Literal[ORIGINS]
    gap_share: float  # in [0, 1]
    max_flag_value: float | None
    message: str


class ObjectCoverage(Document):
    """On how many images the object attributes could be measured, and why not on the rest."""

    images: int
    measured: int
    cluttered_background: int
    no_distinct_object: int


class BiasSummary(Document):
    n_synthetic: int
    n_real: int
    reference: Literal["real", "none"]
    n_measured: int
    n_findings: int
    by_severity: dict[Severity, int]
    by_check: dict[Check, int]
    max_severity: Severity
    extractor: ExtractorInfo
    object_attributes: dict[Role, ObjectCoverage] | None = None
    # pairs of disjoint halves of the real set every check also ran on (bias/null.py); 0: not
    # calibrated (no real set, too small to split, or scan.null_splits 0); absent in older files
    null_pairs: int | None = None


class NotChecked(Document):
    """A check that needs class labels, left out because a set is unlabelled (docs/data.md)."""

    check: Literal["consistency", "shortcut", "imbalance", "cas", "utility", "rebalancing"]
    what: str  # the check in words, e.g. "per-class consistency"
    stage: Literal["scan", "score", "debias"]
    reason: str  # starts "not checked: needs class labels"


class BiasDocument(Document):
    findings: list[Finding]
    groups: list[FindingGroup] = []  # absent in documents written before groups existed
    summary: BiasSummary
    not_checked: list[NotChecked] = []  # empty when both sets are labelled
    # most synthetic-looking first, up to scan.drift_examples; None without a real set or embeddings
    drift_examples: list[DriftExample] | None = None
    # Only in a re-scan folder (debias_before/, debias_after/) when debias built no set: the audit's own
    # file it is a copy of ("../bias.json"); the data are unchanged, so re-running the scan would give the same.
    stand_in: str | None = None
