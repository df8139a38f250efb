"""``report.json`` (owner: ``synthscope.stages.report``): everything the HTML page shows, as data.

``summary.md``, the Prefect artifacts and ``plots/*.csv`` are rendered from this document,
so they cannot disagree with the page.
"""

from __future__ import annotations

from typing import Any, Literal

from synthscope.documents.bias import BiasSummary, Finding, FindingGroup, NotChecked, Severity
from synthscope.documents.common import Document, Estimate, ExtractorRef
from synthscope.documents.debias import FindingChange, TrainedOn
from synthscope.documents.metrics import Augmentation, Collapse, Confusion, Reference, Utility

Status = Literal["pass", "warn", "fail"]
GateStatus = Literal["pass", "not_applicable", "warn", "fail"]  # not_applicable counts as a pass


class ConfigRef(Document):
    name: str
    synthetic: str
    real: str | None
    output_dir: str
    store_dir: str


class GateCheck(Document):
    gate: str  # the params.yaml key under gates:, e.g. max_fd_ratio
    limit: float | Severity
    value: float | Severity | None
    ci95: tuple[float, float] | None
    status: GateStatus
    reason: str


class ClassValue(Document):
    label: str
    value: float | None
    small_n: bool  # from fewer samples than score.fid_min_samples: biased upwards
    n: int  # the smaller side's sample count


class HeadlineMetric(Estimate):
    key: str
    label: str  # names the network unless it is FID proper
    better: Literal["lower", "higher"]
    warnings: list[str]
    gate: str | None
    gate_status: GateStatus | None
    reference: Reference | None = None  # real vs real at matched N (FD, KID, precision, recall, density, coverage)
    fid_inf: float | None = None  # FID only: bias-extrapolated to infinite N
    per_class: list[ClassValue] | None = None  # FID only


class ReportFinding(Finding):
    plain: str  # the finding in words a non-specialist can act on


class ReportGroup(FindingGroup):
    """A bias.json group as the first screen shows it (``synthscope.report.groups``)."""

    plain: str  # the group in words: "In 34 of 34 classes: ..."
    title: str  # "drift / color in 34 of 34 classes"


class DatasetCounts(Document):
    n_files: int
    n_ok: int
    n_quarantined: int
    quarantine_reasons: dict[str, int]
    n_exact_duplicates: int
    n_classes: int


class AttributeStats(Document):
    role: str
    label: str
    attribute: str
    column: str
    n: int
    mean: float
    std: float
    p10: float
    p50: float
    p90: float


class HistogramBin(Document):
    role: str
    label: str
    column: str
    bin_lo: float
    bin_hi: float
    fraction: float


class Heatmap(Document):
    role: str
    label: str
    n: int
    grid: list[list[float]]  # grid[row][col], row 0 at the top of the image


class ShownImage(Document):
    image_id: str
    path: str
    root: str  # absolute dataset root, so the report stage can make a thumbnail


class SampleGroup(Document):
    role: str
    label: str
    images: list[ShownImage]


class PairImage(ShownImage):
    label: str
    role: str


class MemorizedPair(Document):
    query: PairImage  # the synthetic image
    neighbour: PairImage  # its nearest real image
    distance: float | None  # cosine distance (1 - cosine) of the embeddings


class DriftPair(MemorizedPair):
    probability: float  # out-of-fold probability that the query is synthetic


class DriftSection(Document):
    """"How synthetic differs from real": drift findings, mask coverage, most synthetic-looking images."""

    compared: bool  # the scan had a real set to compare with
    findings: list[ReportFinding]
    coverage: list[str]
    examples: list[DriftPair]


class UtilitySection(Document):
    """"Is the synthetic data worth it?": metrics.json's curves and confusion, the cost answer and
    the realism gallery (``synthscope.report.utility.utility_section``)."""

    utility: Utility | None
    cost: dict[str, Any] | None  # the cost sentence and the numbers behind it
    augmentation: Augmentation | None
    confusion: Confusion | None
    collapse: list[Collapse]
    cas_model: str | None
    realism: list[dict[str, Any]]  # per class: least and most realistic images beside their nearest real
    realism_summary: dict[str, float] | None


class DebiasRow(FindingChange):
    name: str  # "check / attribute / class"


class DebiasSection(Document):
    method: str
    n_augmented: int
    per_class_added: dict[str, int]
    findings: list[DebiasRow]
    cas_before: Estimate | None
    cas_after: Estimate | None
    cas_trained_on: TrainedOn | None


class HistoryRun(Document):
    """One earlier (or this) run of the same config: headline numbers, None where not measured."""

    config: str
    timestamp: str
    inputs_sha256: str
    verdict: Status
    extractor: str
    fid: float | None
    kid: float | None
    cas_ratio: float | None
    precision: float | None
    recall: float | None
    density: float | None
    coverage: float | None
    fid_ci_lo: float | None
    fid_ci_hi: float | None
    n_findings: int
    n_high: int
    n_medium: int
    worst_severity: str


class ReportDocument(Document):
    schema_version: int
    config: ConfigRef
    generated_at: str
    verdict: Status
    headline: str
    verdict_sentence: str | None = None  # what decided the verdict, with the numbers (report/verdict.py)
    decision_rule: str | None = None  # how a gate reads an interval (report/gates.py)
    reasons: list[str]
    gates: list[GateCheck]
    inputs: dict[str, bool]  # which optional inputs were present
    notes: list[str]
    not_checked: list[NotChecked] = []  # label-needing checks left out (bias.json's not_checked)
    extractor: ExtractorRef | None
    metrics: list[HeadlineMetric]
    fid_label: str
    cas_per_class: list[dict[str, str | float | None]]  # label + one column per accuracy
    findings: list[ReportFinding]
    finding_groups: list[ReportGroup]  # bias.json's groups, worst first
    top_groups: list[ReportGroup]  # the first screen's: at most report.max_findings_first_screen
    bias_summary: BiasSummary | None
    datasets: dict[str, DatasetCounts]
    class_balance: list[dict[str, str | int | float]]  # label + a count and a fraction column per role
    attribute_summary: list[AttributeStats]
    attribute_histograms: dict[str, list[HistogramBin]]
    location: list[Heatmap]
    shortcuts: list[ReportFinding]
    diversity: list[ReportFinding]
    memorized: list[MemorizedPair]
    drift: DriftSection
    utility: UtilitySection | None = None
    samples: list[SampleGroup]
    debias: DebiasSection | None
    history: list[HistoryRun]
