"""``metrics.json`` (owner: ``synthscope.stages.score``): one nested model per metric.

Every metric is an :class:`Estimate` (``value``, ``ci95``, ``method``) plus its own details;
a metric the score stage skipped (no real reference) is absent and named in ``skipped``.
"""

from __future__ import annotations

from typing import Literal

from synthscope.documents.common import Document, Estimate, ExtractorRef


class ClassDistance(Document):
    value: float | None  # None: fewer than score.per_class_min_samples images on one side
    n_synthetic: int
    n_real: int


class FrechetDistance(Estimate):
    network: str
    label: str  # "FID" only for official Inception weights, else the space is named
    n_synthetic: int
    n_real: int
    warnings: list[str]
    per_class: dict[str, ClassDistance]


class KernelDistance(Estimate):
    std: float
    subsets: int
    subset_size: int
    network: str


class InceptionScore(Estimate):
    std: float
    splits: int
    network: str
    label: str


class NeighbourMetric(Estimate):
    """Precision, recall, density or coverage (Naeem et al. 2020) with its k."""

    k: int
    network: str


class Accuracy(Estimate):
    n: int  # real test images


class TrainedAccuracy(Accuracy):
    train_seconds: float
    n_train: int


class ClassAccuracy(Document):
    synthetic_to_real: float
    real_to_real: float
    gap: float
    n_test: int


class CasSplit(Document):
    seed: int
    test_fraction: float
    n_train_real: int
    n_test_real: int
    n_train_synthetic: int
    test_ids_sha256: str


class TrainSeconds(Document):
    synthetic: float
    real: float


class Cas(Accuracy):
    """Classification accuracy score: trained on synthetic, tested on held-out real (the value)."""

    synthetic_to_real: Accuracy
    real_to_real: Accuracy
    gap: Estimate
    per_class: dict[str, ClassAccuracy]
    model: Literal["cnn", "linear"]
    train_seconds: TrainSeconds
    split: CasSplit


class DomainInceptionScore(Estimate):
    std: float
    splits: int
    max: float
    label: str


class Augmentation(Estimate):
    label: str
    real_only: TrainedAccuracy
    real_plus_synthetic: TrainedAccuracy
    gain: Estimate


class MetricsDocument(Document):
    extractor: ExtractorRef
    n_synthetic: int
    n_real: int
    skipped: dict[str, str]  # metric -> why it was not computed
    fid: FrechetDistance | None = None
    kid: KernelDistance | None = None
    inception_score: InceptionScore | None = None
    precision: NeighbourMetric | None = None
    recall: NeighbourMetric | None = None
    density: NeighbourMetric | None = None
    coverage: NeighbourMetric | None = None
    cas: Cas | None = None
    domain_inception_score: DomainInceptionScore | None = None
    augmentation: Augmentation | None = None
