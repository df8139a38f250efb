"""``metrics.json`` (owner: ``synthscope.stages.score``): one nested model per metric.

Every metric is an :class:`Estimate` (``value``, ``ci95``, ``method``) plus its own details;
a metric the score stage skipped (no real reference) is absent and named in ``skipped``.
"""

from __future__ import annotations

from typing import Literal

from synthscope.documents.common import Document, Estimate, ExtractorRef


class Relative(Estimate):
    """A synthetic-vs-real number set against its real-vs-real reference, paired per split: the unit gates read."""

    kind: Literal["ratio", "excess"]  # ratio: synthetic / reference; excess: (synthetic - reference) / kernel variance


class Spread(Estimate):
    """Mean over the random splits; ci95 the 2.5th-97.5th percentiles over them."""


class Reference(Spread):
    """Real vs real at ``n_per_side`` per side, beside the synthetic-vs-real value at the same N."""

    n_per_side: int
    synthetic_vs_real: Spread
    relative: Relative | None


class MatchedMetric(Document):
    reference: Spread  # real vs real
    matched: Spread  # synthetic vs real, on the same real parts
    relative: Relative | None


class RealVsReal(Document):
    """Every gated number between two disjoint random parts of the real set, at matched N
    (``synthscope.metrics.reference``). ``value``/``ci95``: the FD ratio. ``available`` is False,
    with a ``note``, when the real set is too small to split."""

    available: bool
    value: float | None
    ci95: tuple[float, float] | None
    method: str | None
    note: str | None
    n_per_side: int | None
    n_synthetic: int
    n_real: int
    splits: int
    decision_rule: str
    kernel_variance: float | None = None
    metrics: dict[Literal["fid", "kid", "precision", "recall", "density", "coverage"], MatchedMetric]


class EffectSize(Document):
    value: float
    method: str


class TwoSampleTest(Estimate):
    """Can synthetic be told from real beyond sampling noise? ``value`` is the p-value."""

    statistic: float  # unbiased MMD^2 of the observed labelling
    permutations: int
    n_synthetic: int
    n_real: int
    effect_size: EffectSize


class ClassDistance(Document):
    value: float | None  # None: fewer than score.per_class_min_samples images on one side
    n_synthetic: int
    n_real: int
    small_n: bool = False  # below score.fid_min_samples per side: biased upwards, shown flagged


class FidPoint(Document):
    n_synthetic: int
    n_real: int
    x: float  # 1/n_synthetic + 1/n_real
    fid: float  # mean FID of the subsets of this size


class FidInfinity(Document):
    """FID extrapolated to infinite N (Chong & Forsyth 2020): the line through ``points`` at x = 0."""

    value: float
    intercept: float
    slope: float
    x: str
    extrapolation_reliable: bool
    points: list[FidPoint]
    method: str


class FrechetDistance(Estimate):
    network: str
    label: str  # "FID" only for official Inception weights, else the space is named
    n_synthetic: int
    n_real: int
    warnings: list[str]
    per_class: dict[str, ClassDistance]
    per_class_min_samples: int | None = None  # per-class values from fewer samples are flagged small_n
    fid_inf: FidInfinity | None = None
    se: float | None = None  # standard error used by the interval
    reference: Reference | None = None  # real vs real at matched N


class KernelDistance(Estimate):
    std: float
    subsets: int
    subset_size: int
    network: str
    reference: Reference | None = None  # real vs real at matched N


class InceptionScore(Estimate):
    std: float
    splits: int
    logits: str | None = None  # which logits (bias-free pool3 @ W for Inception)
    network: str
    label: str


class NeighbourMetric(Estimate):
    """Precision, recall, density or coverage (Naeem et al. 2020) with its k."""

    k: int
    network: str
    reference: Reference | None = None  # real vs real at matched N


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


class Confusion(Document):
    """The synthetic-trained classifier on the real test split: ``counts[true][predicted]``."""

    labels: list[str]
    rows: str
    columns: str
    counts: list[list[int]]
    shares: list[list[float]]


class Collapse(Document):
    """Real classes the synthetic-trained classifier mostly calls one other class."""

    predicted: str
    classes: list[str]
    share: float
    n_test: int
    per_class: dict[str, float]
    message: str


class ProbeC(Document):
    """The linear probe's C: the value used, how it was chosen, the grid and its cross-validated accuracies."""

    c: float
    method: str
    grid: list[float]
    cv_accuracy: list[float] | None


class AugmentationDecision(Document):
    """The CNN's training transforms (none | flip | flip+rot90), what decided them and, when decided
    from the real data, each candidate's held-out real->real accuracy."""

    transforms: Literal["none", "flip", "flip+rot90"]
    decided_by: str
    validation: dict[str, float] | None


class Classifier(Document):
    """The classifier every CAS number comes from, and how its open choices were made (training side only)."""

    name: Literal["linear probe", "cnn"]
    description: str
    c: ProbeC | None
    augmentation: AugmentationDecision


class Cas(Accuracy):
    """Classification accuracy score: trained on synthetic, tested on held-out real (the value)."""

    synthetic_to_real: Accuracy
    real_to_real: Accuracy
    gap: Accuracy
    per_class: dict[str, ClassAccuracy]
    excluded_copies_of_test: int = 0  # synthetic near copies of real test images left out of training
    model: Literal["cnn", "linear"]
    classifier: Classifier | None = None  # the score stage always writes it
    model_choice: str | None = None
    confusion: Confusion | None = None
    collapse: list[Collapse] = []  # why this model (score.cas_model, or auto by the number of images)
    train_seconds: TrainSeconds
    split: CasSplit


class DomainInceptionScore(Estimate):
    std: float
    splits: int
    max: float
    label: str


class Augmentation(Accuracy):
    label: str
    excluded_copies_of_test: int = 0
    real_only: TrainedAccuracy
    real_plus_synthetic: TrainedAccuracy
    gain: Accuracy


class CurveSeconds(Document):
    real_only: float
    real_plus_synthetic: float


class CurvePoint(Document):
    """One real training size of the learning curves."""

    fraction: float
    n_real: int
    repeats: int
    real_only: Estimate
    real_plus_synthetic: Estimate
    train_seconds: CurveSeconds


class SyntheticOnly(Estimate):
    n_train: int
    train_seconds: float


class Gain(Estimate):
    n_real: int
    fraction: float


class RealEquivalent(Estimate):
    """How many real training images the synthetic set is worth (the real-only curve, inverted)."""

    bound: Literal["at_least", "at_most"] | None
    text: str
    replicates_above_range: float
    replicates_below_range: float
    measured_sizes: list[int]
    synthetic_accuracy: float


class Utility(Estimate):
    """Learning curves on the CAS real test split; ``value`` is the real-image equivalent."""

    label: str
    model: str
    n_synthetic: int
    n_test_real: int
    curve: list[CurvePoint]
    synthetic_only: SyntheticOnly
    gain: list[Gain]
    real_equivalent: RealEquivalent


class MetricsDocument(Document):
    extractor: ExtractorRef
    n_synthetic: int
    n_real: int
    skipped: dict[str, str]  # metric -> why it was not computed
    decision_rule: str | None = None  # how the report's gates read the intervals below
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
    utility: Utility | None = None
    real_vs_real: RealVsReal | None = None
    two_sample_test: TwoSampleTest | None = None
