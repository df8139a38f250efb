"""``debias.json`` (owner: ``synthscope.stages.debias``): what was generated and what changed.

Scores in ``findings`` are the scan's flag values (higher = more biased), so after < before
is an improvement. CAS ``before`` is trained on the original synthetic set (or the real
training split when the real set was rebalanced), ``after`` on the augmented set; both are
tested on the score stage's held-out real split. ``cas`` is null without a real reference.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from synthscope.documents.bias import Check, Severity
from synthscope.documents.common import Document, Estimate
from synthscope.schema import ATTRIBUTES, FINDING_ATTRIBUTES


class FindingChange(Document):
    """One flaggable measurement that was a finding before or after debiasing (None: not measured there)."""

    check: Check
    attribute: Literal[FINDING_ATTRIBUTES] | None
    class_: str | None = Field(alias="class")
    metric: str
    score_before: float | None
    score_after: float | None
    severity_before: Severity | None
    severity_after: Severity | None


class TrainedOn(Document):
    before: str
    after: str


class TrainAccuracy(Estimate):
    n_train: int
    n: int | None = None  # real test images


class Gain(Estimate):
    n: int | None = None


class CopiesLeftOut(Document):
    before: int
    after: int


class CasChange(Document):
    model: Literal["cnn", "linear"]
    n_test_real: int
    trained_on: TrainedOn
    before: TrainAccuracy
    after: TrainAccuracy
    gain: Gain
    n_after_dropped_test_sources: int  # augmented images made from real test images, left out of training
    excluded_copies_of_test: CopiesLeftOut | None = None  # near copies of real test images left out


class Deficit(Document):
    before: float
    after: float


class Selection(Document):
    n_synthetic: int
    n_copies_of_real: int
    n_near_duplicates: int
    n_kept: int
    realism_median: float | None


class AugmentedDocument(Document):
    """``augmented.json``: what the debias stage built, read by the re-scans and ``compare``."""

    role: Literal["synthetic", "real"]
    attributes: list[Literal[ATTRIBUTES]]
    target: str  # real | uniform | given
    target_shares: dict[str, float]
    deficit: Deficit
    selection: Selection
    seed: int
    # "rebalancing: not checked: needs class labels (...)" for an unlabelled set: only the
    # realism selection and the transforms ran. Empty when the set is labelled.
    not_checked: list[str] = []
    # false: nothing reached debias.min_severity and no class missed its target, so no set was built
    built: bool = True
    reasons: list[str] = []  # what was flagged (built), or why nothing was (not built)


class DebiasDocument(Document):
    method: str
    built: bool = True  # false: no augmented set was built (augmented.json ``reasons`` says why)
    role: Literal["synthetic", "real"]  # the set that was rebalanced
    attributes: list[Literal[ATTRIBUTES]]  # attributes transformed to break flagged shortcuts
    target_shares: dict[str, float]
    class_counts: dict[str, int]
    deficit: Deficit
    n_images: int
    n_augmented: int
    per_class_added: dict[str, int]
    selection: Selection
    findings: list[FindingChange]
    scan_reference: Literal["real", "none"]
    cas: CasChange | None
    rescan_dir: str
    seed: int
