"""Every knob a stage reads, as frozen dataclasses loaded from ``params.yaml``.

DVC tracks ``params.yaml`` per section, so each stage's knobs live in their own section
and a change to one section re-runs only the stages that read it. Thresholds live here
and nowhere else ("score, then flag").

The sections are pydantic dataclasses: a key is one annotated line, validated when a
section is built (from YAML or in code). Every number carries its range
(``synthscope.bounds``: ``PositiveInt``, ``Fraction``, ...; floats are finite), every type is
strict, so ``"3"`` is not an integer, ``true`` is not a number and ``.nan`` is not a threshold.
:func:`build_section` turns pydantic's errors into one-line ``ConfigError``s naming the key,
the value (cut short) and what is allowed.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import field
from typing import Any, Literal

from pydantic import ConfigDict, StrictBool, StrictStr, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass as pydantic_dataclass

from synthscope.bounds import (  # noqa: F401  (int_range, number_range: used in the string annotations)
    Finite,
    Fraction,
    HammingBits,
    NonNegative,
    NonNegativeInt,
    Positive,
    PositiveInt,
    Seed,
    int_range,
    number_range,
    range_text,
)
from synthscope.errors import ConfigError, echo
from synthscope.io import JSONObject

Bool = StrictBool
Str = StrictStr
SECTION = ConfigDict(extra="forbid", allow_inf_nan=False)


def dataclass(cls: type) -> type:
    """A frozen, validated params section (``dataclasses.replace``/``asdict`` keep working)."""
    return pydantic_dataclass(frozen=True, config=SECTION)(cls)


@dataclass
class IngestParams:
    # Pillow's own decompression-bomb limit; anything larger is quarantined, not decoded.
    max_pixels: PositiveInt = 89_478_485
    max_file_mb: Positive = 256.0
    min_side: PositiveInt = 4
    extensions: tuple[Str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
    workers: NonNegativeInt = 2  # decode processes; 0 or 1 decodes in-process
    # Where labels come from (docs/data.md): auto | folder (<class>/<image>) | none (unlabelled) |
    # manifest (the label column of a manifest, metadata file or Hugging Face dataset).
    labels: Literal["auto", "folder", "none", "manifest"] = "auto"
    image_column: Str | None = None  # Hugging Face datasets: the Image column (default: the only one, or "image")
    label_column: Str | None = None  # manifests and Hugging Face datasets (default: "label" when present)


@dataclass
class DemoParams:
    seed: Seed = 0
    n_per_class: PositiveInt = 100
    image_size: int_range(16, 4096) = 64


@dataclass
class FeaturesParams:
    # auto, inception-fid, mobilenet-v2, or a registered extractor (features.extractors.register_extractor)
    extractor: Str = "auto"
    weights: Str | None = None
    batch_size: PositiveInt = 32
    workers: NonNegativeInt = 2
    shard_size: PositiveInt = 512
    # Rows per feature-store part: memory is bounded by this; a killed run loses at most one part.
    part_rows: PositiveInt = 128
    # Try downloading weights when no local file is found (the last step of the lookup). Off by
    # default: nothing is downloaded at run time unless asked for.
    download: Bool = False


@dataclasses.dataclass(frozen=True)
class CopyRule:
    """Two images are copies when their 64-bit dhashes differ in at most ``hamming`` bits, their
    embeddings' cosine is at least ``cosine``, or their bytes are identical
    (``bias.duplicates.near_copy_mask``)."""

    hamming: int
    cosine: float


@dataclass
class NearCopyParams:
    """When two images count as the same picture: one criterion, read by the scan (duplicates,
    memorisation and its examples), the score and compare stages (CAS trains on no near copy
    of a real test image) and debias (drops copies). Each reader gets the rule it needs."""

    dup_hamming: HammingBits = 2  # dhash bits: within this distance two synthetic images are near-duplicates
    dup_cosine: Fraction = 0.98  # embedding cosine at or above which two images are near-duplicates
    mem_hamming: HammingBits = 2  # the same, a synthetic image against a real one (memorisation)
    mem_cosine: Fraction = 0.98

    @property
    def duplicates(self) -> CopyRule:
        """Synthetic against synthetic: near-duplicates."""
        return CopyRule(self.dup_hamming, self.dup_cosine)

    @property
    def memorization(self) -> CopyRule:
        """Synthetic against real: copies of a real image."""
        return CopyRule(self.mem_hamming, self.mem_cosine)


NEAR_COPY = NearCopyParams()  # the defaults, for callers (tests, notebooks) that do not read params.yaml
MOVED_TO_NEAR_COPY = ("dup_hamming", "dup_cosine", "mem_hamming", "mem_cosine")


@dataclass
class ScanParams:
    """Bias scan knobs. ``*_levels`` are the (low, medium, high) thresholds of each check's
    ``flag_value`` (higher is worse); a score under ``low`` is reported as ``info``."""

    seed: Seed = 0
    min_class_size: PositiveInt = 5  # classes with fewer rows get no per-class score
    max_rows: PositiveInt = 4000  # per role, stratified subsample for the shortcut classifiers
    cv_folds: int_range(2) = 3
    tree_depth: PositiveInt = 3  # depth of the shortcut classifier (a shallow decision tree)
    nmi_bins: int_range(2) = 8  # quantile bins per attribute column for mutual information
    copied_ratio: NonNegative = 0.5  # real effect >= this share of the synthetic effect -> "copied"
    coverage_k: PositiveInt = 5
    mem_examples: NonNegativeInt = 12  # suspected copies listed per memorisation finding in bias.json (report gallery)
    drift_examples: NonNegativeInt = 12  # most synthetic-looking images listed in bias.json (report's drift section)
    consistency_levels: tuple[Fraction, ...] = (0.4, 0.6, 0.8)  # 1 - spread ratio
    shortcut_levels: tuple[Fraction, ...] = (0.4, 0.6, 0.8)  # Youden J of one class from one group
    imbalance_levels: tuple[Fraction, ...] = (0.3, 0.5, 0.7)  # 1 - (share / reference share) vs the top class
    diversity_levels: tuple[Fraction, ...] = (0.3, 0.5, 0.7)  # 1 - dispersion ratio
    duplicates_levels: tuple[Fraction, ...] = (0.05, 0.15, 0.3)  # share of synthetic images
    memorization_levels: tuple[Fraction, ...] = (0.02, 0.05, 0.1)  # share of synthetic images
    # 2 x (lower 95% bound of the synthetic-vs-real classifier AUC - 0.5): 0 same, 1 separable
    drift_levels: tuple[Fraction, ...] = (0.2, 0.5, 0.8)
    # Object attributes (color, size, location, background) of images whose mask confidence is
    # below this are not used by any check (features/mask.py says why it is low).
    min_mask_confidence: Fraction = 0.5
    # Real-vs-real noise (bias/null.py): every check also runs on this many pairs of disjoint
    # random halves of the real set; a flagged value counts only beyond max(largest null value,
    # null mean + null_z * null sd). 0 switches the calibration off. A row measured on fewer than
    # min_null_splits pairs (a class too small to split) is reported at most as low.
    null_splits: NonNegativeInt = 4
    null_z: NonNegative = 2.0
    min_null_splits: PositiveInt = 3

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.name.endswith("_levels"):
                levels = getattr(self, f.name)
                if len(levels) != 3 or list(levels) != sorted(levels):
                    raise ConfigError(f"scan.{f.name}: {list(levels)} must be three ascending thresholds "
                                      "[low, medium, high]")

    def levels(self, check: str) -> tuple[float, ...]:
        """(low, medium, high) thresholds of one check."""
        return getattr(self, f"{check}_levels")


@dataclass
class ScoreParams:
    seed: Seed = 0
    # Below this many samples per side FID is strongly biased upwards; the result carries a warning.
    fid_min_samples: PositiveInt = 2048
    per_class_min_samples: int_range(2) = 10  # per-class Frechet distance needs this many images per side
    # (below fid_min_samples per side a per-class value is flagged small_n)
    fid_subsample_reps: PositiveInt = 50  # subset FIDs (without replacement) for the interval and FID-inf
    bootstrap_reps: PositiveInt = 1000  # replicates for the cheap (mean-of-contributions) intervals
    kid_subsets: PositiveInt = 100
    kid_subset_size: int_range(2) = 1000  # capped at half the smaller set's size
    kid_degree: PositiveInt = 3
    kid_coef0: Finite = 1.0
    is_splits: PositiveInt = 10
    prdc_k: PositiveInt = 5
    prdc_jackknife_groups: int_range(2) = 20  # PRDC interval: each set split into this many groups, each left out once
    # Real-vs-real reference at matched N (metrics/reference.py): random splits of the real set, and
    # the most rows per side it uses (the Gram matrix is O((4 x this)^2) memory).
    reference_splits: int_range(2) = 10
    reference_max_per_side: int_range(10) = 1000
    permutations: PositiveInt = 500  # two-sample permutation test on the unbiased MMD^2
    # linear: a regularised linear probe on the stored embeddings, C chosen by cross-validation on the
    # real training split (seconds); cnn: a small CNN trained from scratch on the images (minutes).
    cas_model: Literal["linear", "cnn"] = "linear"
    cas_test_fraction: number_range(0.0, 1.0, open_low=True, open_high=True) = 0.3  # share of each real class held out as the test split
    cas_image_size: int_range(16, 1024) = 64  # images are resized to this square side for the CNN
    cas_epochs: PositiveInt = 15
    cas_batch_size: PositiveInt = 64
    cas_lr: Positive = 0.003
    cas_width: PositiveInt = 32  # CNN channels in the first block
    cas_min_steps: NonNegativeInt = 300  # small sets train for at least this many minibatches
    # The CNN's flips and 90-degree rotations: true (they keep labels), false (orientation is the label:
    # digits, text), null (decided from the real data: real->real with and without, on the training split).
    orientation_invariant: Bool | None = None
    cas_probe_c: Positive | None = None  # the probe's inverse L2 strength; null: chosen by cross-validation
    cas_probe_cs: tuple[Positive, ...] = (0.0001, 0.001, 0.01, 0.1, 1.0)  # the C grid cross-validated
    cas_probe_folds: int_range(2) = 3  # stratified folds of the real training split for choosing C
    augmentation: Bool = True  # also train on real + synthetic and compare with real only
    # Learning curves (metrics.json ``utility``): real-only, synthetic-only and real+synthetic
    # accuracy on the CAS test split, at these fractions of the real training split.
    curves: Bool = True
    curve_model: Literal["linear", "cas"] = "linear"  # linear probe (seconds), or score.cas_model
    curve_fractions: tuple[number_range(0.0, 1.0, open_low=True), ...] = (0.02, 0.05, 0.1, 0.25, 0.5, 1.0)
    curve_repeats: PositiveInt = 3  # seeded training subsets per fraction below 1 (their accuracies averaged)
    # A real class whose test images the synthetic-trained classifier gives to one other class at
    # least this often is a "collapse" finding (metrics.json cas.collapse).
    collapse_share: number_range(0.0, 1.0, open_low=True) = 0.5
    realism_k: PositiveInt = 5  # k-NN radius of real embeddings for the realism score (also ranks debias candidates)
    realism_outlier_below: NonNegative = 1.0  # realism.parquet ``outlier``: realism below this (1 = outside every real ball)

    def __post_init__(self) -> None:
        fractions = list(self.curve_fractions)
        if not fractions or fractions != sorted(set(fractions)) or not 0 < fractions[0] or fractions[-1] != 1.0:
            raise ConfigError(f"score.curve_fractions: {fractions} must be ascending fractions in (0, 1] "
                              "ending with 1.0 (the whole real training split)")


@dataclass
class DebiasParams:
    """Debias stage knobs. Transforms are applied only for attributes the scan flagged."""

    seed: Seed = 0  # every random choice derives from (seed, image_id, variant): order-free
    # Target class distribution: real (the real set's shares), uniform, or {class: share}.
    target: Literal["real", "uniform"] | dict[Str, Positive] = "real"
    # Which set is rebalanced: synthetic (repair it), real (fill real's rare classes with the best
    # synthetic images), or auto (real when it misses the target by scan.imbalance_levels[0]).
    role: Literal["auto", "synthetic", "real"] = "auto"
    # false: only add images up to the target; true: keep the total and also drop surplus images.
    undersample: Bool = False
    # Shortcut / consistency findings at or above this severity name the attributes to decorrelate.
    min_severity: Literal["low", "medium", "high"] = "medium"  # low: within what two samples of one set show
    # New backgrounds: real images' backgrounds (object filled in; texture when none contrasts or there
    # is no real set) or noise textures. Never the synthetic set's own: they carry the bias.
    background_source: Literal["texture", "images"] = "images"
    scale_range: tuple[Positive, ...] = (0.6, 1.5)  # size transform: object scale factor range
    max_translate: number_range(0.0, 0.5) = 0.3  # location transform: largest centroid move, fraction of the side
    grayscale_p: Fraction = 0.0  # colour transform: chance of a grey object instead of a hue shift
    color_jitter: number_range(0.0, 1.0, open_high=True) = 0.3  # colour transform: saturation and brightness factors in [1 - j, 1 + j]

    def __post_init__(self) -> None:
        if isinstance(self.target, dict) and not self.target:
            raise ConfigError("debias.target: give every class a share > 0, or use real or uniform")
        if len(self.scale_range) != 2 or not self.scale_range[0] <= self.scale_range[1]:
            raise ConfigError(f"debias.scale_range: {list(self.scale_range)} must be [min, max] with 0 < min <= max")


@dataclass
class ReportParams:
    max_samples_per_class: NonNegativeInt = 8
    thumbnail_px: int_range(1, 1024) = 64  # side of each sample-grid thumbnail in the HTML
    location_bins: int_range(1, 256) = 8  # the "where are the objects" heatmap is bins x bins
    max_findings_first_screen: NonNegativeInt = 5
    max_memorized_examples: NonNegativeInt = 6  # suspected copies shown with their nearest real neighbours
    max_drift_examples: NonNegativeInt = 6  # most synthetic-looking images shown beside their nearest real ones
    realism_examples_per_class: NonNegativeInt = 2  # least and most realistic synthetic images shown per class


@dataclass
class UtilityParams:
    """Costs for the report's "does the synthetic data save resources?" sentence. No defaults are
    invented: null means unknown, and the report then says which numbers would decide it."""

    cost_per_1k_synthetic: NonNegative | None = None  # generating 1,000 synthetic images (any one unit)
    cost_per_1k_real: NonNegative | None = None  # collecting and labelling 1,000 real images (same unit)
    synthetic_images_available: NonNegativeInt | None = None  # how many synthetic images can be had in all


@dataclass
class GateParams:
    """Quality gates: a metric whose whole 95% interval is beyond its limit makes the verdict ``fail``
    (``audit --fail-on fail``); an estimate beyond it whose interval reaches back within it warns. The metric gates are in units that
    do not depend on the network or N; the defaults come from bench/calibration.py (docs/calibration.md)."""

    max_finding_severity: Literal["info", "low", "medium", "high"] = "medium"
    # Metric gates; null switches one off.
    max_fd_ratio: NonNegative | None = 1.1  # Frechet distance / its real-vs-real reference at matched N
    max_kid_excess: NonNegative | None = 0.02  # (KID - real-vs-real KID) / real kernel variance
    min_coverage_ratio: NonNegative | None = 0.95  # coverage / real-vs-real coverage
    min_cas_ratio: NonNegative | None = 0.8  # CAS synthetic->real / real->real


@dataclass
class MonitorParams:
    """``synthscope monitor``: novelty of incoming images against the training data, and its gates."""

    seed: Seed = 0
    k: PositiveInt = 5  # novelty = cosine-geometry distance to the k-th nearest training image
    false_alarm: number_range(0.0, 0.5, open_low=True) = 0.05  # share of training-distribution images flagged
    calibration_rows: int_range(20) = 2000  # training images scored (leave one out) to calibrate the threshold
    drift_rows: int_range(20) = 4000  # training images the drift classifiers see (a seeded sample above this)
    max_clusters: PositiveInt = 8  # uncovered images are grouped into at most this many clusters (the last: scattered)
    min_cluster_size: PositiveInt = 3  # smaller groups of uncovered images are pooled as "scattered"
    cluster_scale: Positive = 1.2  # uncovered images group when their average distance is within this x the threshold
    examples: NonNegativeInt = 6  # example paths per cluster in monitor.json (thumbnails in the report)
    extreme: number_range(0.5, 1.0, open_low=True) = 0.9  # a cluster median beyond this training quantile is "darker", ...
    trend_batches: int_range(2) = 4  # a trend is read over the last this many batches
    trend_rise: Fraction = 0.1  # a rise of the uncovered share (or a drift score) by this much is a finding
    # Gates (null switches one off). Uncovered share: fail when its 95% interval lies above the
    # limit, warn when the interval holds it. Drift: a finding above this severity fails, one at it warns.
    max_uncovered_share: Fraction | None = 0.25
    max_drift_severity: Literal["info", "low", "medium", "high"] | None = "low"


@dataclass
class Params:
    ingest: IngestParams = field(default_factory=IngestParams)
    demo: DemoParams = field(default_factory=DemoParams)
    features: FeaturesParams = field(default_factory=FeaturesParams)
    scan: ScanParams = field(default_factory=ScanParams)
    near_copy: NearCopyParams = field(default_factory=NearCopyParams)
    score: ScoreParams = field(default_factory=ScoreParams)
    debias: DebiasParams = field(default_factory=DebiasParams)
    report: ReportParams = field(default_factory=ReportParams)
    utility: UtilityParams = field(default_factory=UtilityParams)
    gates: GateParams = field(default_factory=GateParams)
    monitor: MonitorParams = field(default_factory=MonitorParams)

    def to_dict(self) -> JSONObject:
        return dataclasses.asdict(self)


# pydantic error type -> what was expected, for the one-line message.
EXPECTED = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
    "bool_parsing": "true or false", "string_type": "a string", "tuple_type": "a list", "list_type": "a list",
    "dict_type": "a mapping", "dataclass_type": "a mapping of keys", "model_type": "a mapping of keys",
    "path_type": "a path",
}
UNION_TAGS = {"float", "int", "str", "bool", "none", "dict", "list", "tuple"}
OUT_OF_RANGE = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number"}


def _allowed_range(cls: Any, names: list[str]) -> str:
    """The bounded field's range in words (``synthscope.bounds``), ", or null" when it may be null."""
    section = _section_at(cls, names)
    hints = typing.get_type_hints(section, include_extras=True) if dataclasses.is_dataclass(section) else {}
    hint = next((hints[n] for n in reversed(names) if n in hints), None)  # a dict entry's key is a label
    words = range_text(hint) or "a finite number"
    return f"{words}, or null" if type(None) in typing.get_args(hint) else words


def _section_at(cls: Any, loc: list[str]) -> Any:
    """The dataclass whose field ``loc[-1]`` is (for "unknown key": list the allowed ones)."""
    for name in loc[:-1]:
        hints = typing.get_type_hints(cls, include_extras=True) if dataclasses.is_dataclass(cls) else {}
        if not dataclasses.is_dataclass(hints.get(name)):
            break
        cls = hints[name]
    return cls


def error_message(exc: ValidationError, cls: Any, prefix: str) -> str:
    """pydantic's first (deepest) error as ``prefix.key: <what was wrong>``, naming what is allowed."""
    err = max(exc.errors(), key=lambda e: len(e["loc"]))  # the member of a union that got furthest
    names: list[str] = []
    key = prefix
    for part in err["loc"]:
        if isinstance(part, int):
            key += "[]"
        elif "[" not in part and part not in UNION_TAGS:
            names.append(part)
            key = f"{key}.{part}" if key else part
    kind, value = err["type"], err.get("input")
    key = key if len(key) <= 120 else f"{key[:100]}..."  # an unknown key may itself be hostile
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        allowed = sorted(f.name for f in dataclasses.fields(_section_at(cls, names)))
        return f"{key}: unknown key; allowed keys are {', '.join(allowed)}"
    if kind == "literal_error":
        allowed = err["ctx"]["expected"].replace("'", "").replace(" or ", ", ")
        return f"{key}: {echo(value)} is not allowed; use one of {allowed}"
    if kind in ("missing", "missing_argument"):
        return f"{key}: missing; give a value"
    if kind in OUT_OF_RANGE:
        return f"{key}: {echo(value)} is out of range; use {_allowed_range(cls, names)}"
    if kind in EXPECTED:
        return f"{key}: expected {EXPECTED[kind]}, got {echo(value)}"
    return f"{key}: {err['msg'][0].lower()}{err['msg'][1:]}, got {echo(value)}"


def build_section(cls: type, raw: JSONObject | None, prefix: str) -> Any:
    """Build one frozen params section (or all of them: ``Params``), naming the bad key and the allowed ones."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{prefix}: expected a mapping of keys, got {echo(raw)}")
    if cls is Params:  # an empty section in YAML (``scan:``) is None: all defaults
        raw = {k: ({} if v is None else v) for k, v in raw.items()}
    try:
        return TypeAdapter(cls).validate_python(raw)
    except ValidationError as exc:
        raise ConfigError(error_message(exc, cls, prefix)) from None


def build_params(raw: JSONObject | None) -> Params:
    scan = (raw or {}).get("scan")
    for key in MOVED_TO_NEAR_COPY if isinstance(scan, dict) else ():
        if key in scan:
            raise ConfigError(f"params.scan.{key} moved to near_copy.{key} (one near-copy criterion for scan, "
                              f"score and debias); move the line into a `near_copy:` section")
    return build_section(Params, raw, "params")


def apply_overrides(raw: JSONObject, overrides: JSONObject) -> JSONObject:
    """Return a copy of ``raw`` with dotted keys (``scan.seed``) set to new values."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in raw.items()}
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        if not key:
            raise ConfigError(f"--set {dotted}: use SECTION.KEY=VALUE, for example scan.seed=1")
        out.setdefault(section, {})
        if not isinstance(out[section], dict):
            raise ConfigError(f"--set {dotted}: {section} is not a params section")
        out[section][key] = value
    return out
