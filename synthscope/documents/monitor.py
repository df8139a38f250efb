"""``monitor.json``: one incoming batch against the training data (owner: ``synthscope.stages.monitor``)."""

from __future__ import annotations

from typing import Literal

from synthscope.documents.common import Document, Estimate, ExtractorRef
from synthscope.schema import SEVERITIES

Verdict = Literal["pass", "warn", "fail"]


class Trait(Document):
    """An attribute in which a cluster's median lies beyond most training images."""

    attribute: str
    word: str  # darker, blurrier, smaller objects, ...
    beyond_share: float  # share of training images the cluster median lies beyond
    median: float
    training_median: float


class Example(Document):
    path: str
    nearest_train_path: str
    novelty: float


class Cluster(Document):
    """A group of uncovered images (cluster 0 is the largest), described in plain words."""

    cluster: int
    n_images: int
    scattered: bool  # the pool of uncovered images with no group of look-alikes
    description: str
    traits: list[Trait]
    examples: list[Example]  # most novel first


class DriftEntry(Document):
    """The audit's drift check on one attribute group (or the embeddings), incoming vs training."""

    attribute: str
    severity: Literal[SEVERITIES]
    auc: float | None
    flag_value: float | None
    message: str


class TrendFinding(Document):
    metric: str  # uncovered_share or drift_<group>
    first: float
    last: float
    batches: int
    message: str


class GateCheck(Document):
    gate: str
    limit: float | str | None
    value: float | str | None
    status: Verdict
    reason: str


class LabelSummary(Document):
    """Accuracy and confidence where incoming rows carry labels or predictions (absent otherwise)."""

    overall: dict[str, float | int | None]
    per_cluster: dict[str, dict[str, float | int | None]]


class MonitorDocument(Document):
    """``monitor.json``: novelty, uncovered share against its reference, clusters, drift, trends, verdict."""

    batch_id: str
    time: str  # ISO 8601, UTC
    n_images: int  # incoming images scored
    n_quarantined: int = 0  # incoming files that could not be read (see incoming/manifest.parquet)
    n_training: int
    extractor: ExtractorRef | None = None
    k: int
    threshold: float  # novelty above which an image is uncovered
    false_alarm: float
    uncovered: int
    uncovered_share: Estimate
    reference_share: Estimate  # held-out training images, out of sample: what "normal" looks like
    n_reference: int
    clusters: list[Cluster]
    drift: list[DriftEntry]
    trends: list[TrendFinding]
    verdict: Verdict
    gates: list[GateCheck]
    labels: LabelSummary | None = None
