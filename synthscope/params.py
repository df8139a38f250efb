"""Every knob a stage reads, as frozen dataclasses loaded from ``params.yaml``.

DVC tracks ``params.yaml`` per section, so each stage's knobs live in their own section
and a change to one section re-runs only the stages that read it. Thresholds live here
and nowhere else ("score, then flag").

The sections are pydantic dataclasses: a key is one annotated line, validated when a
section is built (from YAML or in code); ``Int``/``Float``/``Bool``/``Str`` are strict, so
``"3"`` is not an integer and ``true`` is not a number. :func:`build_section` turns
pydantic's errors into one-line ``ConfigError``s naming the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import field
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Strict, StrictBool, StrictInt, StrictStr, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass as pydantic_dataclass

from synthscope.errors import ConfigError

Int = StrictInt
Float = Annotated[float, Strict()]  # an int is accepted (and stored as float); a string or bool is not
Bool = StrictBool
Str = StrictStr
SECTION = ConfigDict(extra="forbid")


def dataclass(cls: type) -> type:
    """A frozen, validated params section (``dataclasses.replace``/``asdict`` keep working)."""
    return pydantic_dataclass(frozen=True, config=SECTION)(cls)


@dataclass
class IngestParams:
    # Pillow's own decompression-bomb limit; anything larger is quarantined, not decoded.
    max_pixels: Int = 89_478_485
    max_file_mb: Float = 256.0
    min_side: Int = 4
    extensions: tuple[Str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
    workers: Int = 2


@dataclass
class DemoParams:
    seed: Int = 0
    n_per_class: Int = 100
    image_size: Int = 64


@dataclass
class FeaturesParams:
    extractor: Literal["auto", "inception-fid", "mobilenet-v2"] = "auto"
    weights: Str | None = None
    batch_size: Int = 32
    workers: Int = 2
    shard_size: Int = 512
    # Rows per feature-store part: memory is bounded by this; a killed run loses at most one part.
    part_rows: Int = 128
    # Try downloading weights when no local file is found (the last step of the lookup).
    download: Bool = True


@dataclass
class ScanParams:
    """Bias scan knobs. ``*_levels`` are the (low, medium, high) thresholds of each check's
    ``flag_value`` (higher is worse); a score under ``low`` is reported as ``info``."""

    seed: Int = 0
    min_class_size: Int = 5  # classes with fewer rows get no per-class score
    max_rows: Int = 4000  # per role, stratified subsample for the shortcut classifiers
    cv_folds: Int = 3
    tree_depth: Int = 3  # depth of the shortcut classifier (a shallow decision tree)
    nmi_bins: Int = 8  # quantile bins per attribute column for mutual information
    copied_ratio: Float = 0.5  # real effect >= this share of the synthetic effect -> "copied"
    coverage_k: Int = 5
    dup_hamming: Int = 2  # dhash bits: within this distance two synthetic images are near-duplicates
    dup_cosine: Float = 0.98  # embedding cosine at or above which two images are near-duplicates
    mem_hamming: Int = 2
    mem_cosine: Float = 0.98
    mem_examples: Int = 12  # suspected copies listed per memorisation finding in bias.json (report gallery)
    consistency_levels: tuple[Float, ...] = (0.4, 0.6, 0.8)  # 1 - spread ratio
    shortcut_levels: tuple[Float, ...] = (0.4, 0.6, 0.8)  # Youden J of one class from one group
    imbalance_levels: tuple[Float, ...] = (0.3, 0.5, 0.7)  # 1 - (share / reference share) vs the top class
    diversity_levels: tuple[Float, ...] = (0.3, 0.5, 0.7)  # 1 - dispersion ratio
    duplicates_levels: tuple[Float, ...] = (0.05, 0.15, 0.3)  # share of synthetic images
    memorization_levels: tuple[Float, ...] = (0.02, 0.05, 0.1)  # share of synthetic images
    # 2 x (lower 95% bound of the synthetic-vs-real classifier AUC - 0.5): 0 same, 1 separable
    drift_levels: tuple[Float, ...] = (0.2, 0.5, 0.8)
    # Object attributes (color, size, location, background) of images whose mask confidence is
    # below this are not used by any check (features/mask.py says why it is low).
    min_mask_confidence: Float = 0.5

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.name.endswith("_levels"):
                levels = getattr(self, f.name)
                if len(levels) != 3 or list(levels) != sorted(levels):
                    raise ConfigError(f"scan.{f.name}: {list(levels)} must be three ascending thresholds "
                                      "[low, medium, high]")
        if not 0.0 <= self.min_mask_confidence <= 1.0:
            raise ConfigError(f"scan.min_mask_confidence: {self.min_mask_confidence} must be in [0, 1]")
        if self.cv_folds < 2:
            raise ConfigError(f"scan.cv_folds: {self.cv_folds} is too small; use 2 or more")

    def levels(self, check: str) -> tuple[float, ...]:
        """(low, medium, high) thresholds of one check."""
        return getattr(self, f"{check}_levels")


@dataclass
class ScoreParams:
    seed: Int = 0
    # Below this many samples per side FID is strongly biased upwards; the result carries a warning.
    fid_min_samples: Int = 2048
    per_class_min_samples: Int = 10  # per-class Frechet distance needs this many images per side
    # (below fid_min_samples per side a per-class value is flagged small_n)
    fid_subsample_reps: Int = 50  # subset FIDs (without replacement) for the interval and FID-inf
    bootstrap_reps: Int = 1000  # replicates for the cheap (mean-of-contributions) intervals
    kid_subsets: Int = 100
    kid_subset_size: Int = 1000  # capped at half the smaller set's size
    kid_degree: Int = 3
    kid_coef0: Float = 1.0
    is_splits: Int = 10
    prdc_k: Int = 5
    prdc_jackknife_groups: Int = 20  # PRDC interval: each set split into this many groups, each left out once
    # auto: the CNN on images up to cas_cnn_max_images synthetic + real images, the linear probe on the
    # stored embeddings above (a CNN on 100,000 images takes hours on a CPU); or force cnn / linear.
    cas_model: Literal["auto", "cnn", "linear"] = "auto"
    cas_cnn_max_images: Int = 5000
    cas_test_fraction: Float = 0.3  # share of each real class held out as the test split
    cas_image_size: Int = 64  # images are resized to this square side for the CNN
    cas_epochs: Int = 15
    cas_batch_size: Int = 64
    cas_lr: Float = 0.003
    cas_width: Int = 32  # CNN channels in the first block
    cas_min_steps: Int = 300  # small sets train for at least this many minibatches
    cas_rotate: Bool = True  # 90-degree rotation augmentation; false where orientation is the label
    cas_probe_c: Float = 1.0  # inverse L2 strength of the linear probe
    augmentation: Bool = True  # also train on real + synthetic and compare with real only
    # Learning curves (metrics.json ``utility``): real-only, synthetic-only and real+synthetic
    # accuracy on the CAS test split, at these fractions of the real training split.
    curves: Bool = True
    curve_model: Literal["linear", "cas"] = "linear"  # linear probe (seconds), or score.cas_model
    curve_fractions: tuple[Float, ...] = (0.02, 0.05, 0.1, 0.25, 0.5, 1.0)
    curve_repeats: Int = 3  # seeded training subsets per fraction below 1 (their accuracies averaged)
    # A real class whose test images the synthetic-trained classifier gives to one other class at
    # least this often is a "collapse" finding (metrics.json cas.collapse).
    collapse_share: Float = 0.5
    realism_k: Int = 5  # k-NN radius of real embeddings for the realism score (also ranks debias candidates)
    realism_outlier_below: Float = 1.0  # realism.parquet ``outlier``: realism below this (1 = outside every real ball)

    def __post_init__(self) -> None:
        fractions = list(self.curve_fractions)
        if not fractions or fractions != sorted(set(fractions)) or not 0 < fractions[0] or fractions[-1] != 1.0:
            raise ConfigError(f"score.curve_fractions: {fractions} must be ascending fractions in (0, 1] "
                              "ending with 1.0 (the whole real training split)")
        if self.curve_repeats < 1 or self.realism_k < 1:
            raise ConfigError("score.curve_repeats and score.realism_k must be 1 or more")
        if not 0 < self.collapse_share <= 1:
            raise ConfigError(f"score.collapse_share: {self.collapse_share} must be in (0, 1]")


@dataclass
class DebiasParams:
    """Debias stage knobs. Transforms are applied only for attributes the scan flagged."""

    seed: Int = 0  # every random choice derives from (seed, image_id, variant): order-free
    # Target class distribution: real (the real set's shares), uniform, or {class: share}.
    target: Literal["real", "uniform"] | dict[Str, Float] = "real"
    # Which set is rebalanced: synthetic (repair it), real (fill real's rare classes with the best
    # synthetic images), or auto (real when it misses the target by scan.imbalance_levels[0]).
    role: Literal["auto", "synthetic", "real"] = "auto"
    # false: only add images up to the target; true: keep the total and also drop surplus images.
    undersample: Bool = False
    # Shortcut / consistency findings at or above this severity name the attributes to decorrelate.
    min_severity: Literal["low", "medium", "high"] = "low"
    # New backgrounds: real images' backgrounds (object filled in; texture when none contrasts or there
    # is no real set) or noise textures. Never the synthetic set's own: they carry the bias.
    background_source: Literal["texture", "images"] = "images"
    scale_range: tuple[Float, ...] = (0.6, 1.5)  # size transform: object scale factor range
    max_translate: Float = 0.3  # location transform: largest centroid move, fraction of the side
    grayscale_p: Float = 0.0  # colour transform: chance of a grey object instead of a hue shift
    color_jitter: Float = 0.3  # colour transform: saturation and brightness factors in [1 - j, 1 + j]

    def __post_init__(self) -> None:
        if isinstance(self.target, dict):
            bad = [k for k, v in self.target.items() if not v > 0]
            if not self.target or bad:
                raise ConfigError("debias.target: give every class a share > 0, or use real or uniform")
        if len(self.scale_range) != 2 or not 0 < self.scale_range[0] <= self.scale_range[1]:
            raise ConfigError(f"debias.scale_range: {list(self.scale_range)} must be [min, max] with 0 < min <= max")
        if not 0 <= self.max_translate <= 0.5 or not 0 <= self.grayscale_p <= 1 or not 0 <= self.color_jitter < 1:
            raise ConfigError("debias.max_translate must be in [0, 0.5], debias.grayscale_p in [0, 1] "
                              "and debias.color_jitter in [0, 1)")


@dataclass
class ReportParams:
    max_samples_per_class: Int = 8
    thumbnail_px: Int = 64  # side of each sample-grid thumbnail in the HTML
    location_bins: Int = 8  # the "where are the objects" heatmap is bins x bins
    max_findings_first_screen: Int = 5
    max_memorized_examples: Int = 6  # suspected copies shown with their nearest real neighbours
    max_drift_examples: Int = 6  # most synthetic-looking images shown beside their nearest real ones
    realism_examples_per_class: Int = 2  # least and most realistic synthetic images shown per class


@dataclass
class UtilityParams:
    """Costs for the report's "does the synthetic data save resources?" sentence. No defaults are
    invented: null means unknown, and the report then says which numbers would decide it."""

    cost_per_1k_synthetic: Float | None = None  # generating 1,000 synthetic images (any one unit)
    cost_per_1k_real: Float | None = None  # collecting and labelling 1,000 real images (same unit)
    synthetic_images_available: Int | None = None  # how many synthetic images can be had in all

    def __post_init__(self) -> None:
        for name in ("cost_per_1k_synthetic", "cost_per_1k_real", "synthetic_images_available"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ConfigError(f"utility.{name}: {value} must be >= 0, or null when unknown")


@dataclass
class GateParams:
    """Quality gates: crossing one makes the verdict ``fail`` (``audit --fail-on fail``)."""

    max_finding_severity: Literal["info", "low", "medium", "high"] = "medium"
    # Metric gates; null switches one off. FID/KID apply in whatever network the score stage used.
    max_fid: Float | None = 50.0
    max_kid: Float | None = 0.05
    min_cas_ratio: Float | None = 0.8  # CAS synthetic->real / real->real
    min_coverage: Float | None = 0.5


@dataclass
class Params:
    ingest: IngestParams = field(default_factory=IngestParams)
    demo: DemoParams = field(default_factory=DemoParams)
    features: FeaturesParams = field(default_factory=FeaturesParams)
    scan: ScanParams = field(default_factory=ScanParams)
    score: ScoreParams = field(default_factory=ScoreParams)
    debias: DebiasParams = field(default_factory=DebiasParams)
    report: ReportParams = field(default_factory=ReportParams)
    utility: UtilityParams = field(default_factory=UtilityParams)
    gates: GateParams = field(default_factory=GateParams)

    def to_dict(self) -> dict[str, Any]:
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
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        allowed = sorted(f.name for f in dataclasses.fields(_section_at(cls, names)))
        return f"{key}: unknown key; allowed keys are {', '.join(allowed)}"
    if kind == "literal_error":
        allowed = err["ctx"]["expected"].replace("'", "").replace(" or ", ", ")
        return f"{key}: {value!r} is not allowed; use one of {allowed}"
    if kind in ("missing", "missing_argument"):
        return f"{key}: missing; give a value"
    if kind in EXPECTED:
        return f"{key}: expected {EXPECTED[kind]}, got {value!r}"
    return f"{key}: {err['msg'][0].lower()}{err['msg'][1:]}, got {value!r}"


def build_section(cls: type, raw: dict[str, Any] | None, prefix: str) -> Any:
    """Build one frozen params section (or all of them: ``Params``), naming the bad key and the allowed ones."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{prefix}: expected a mapping of keys, got {raw!r}")
    if cls is Params:  # an empty section in YAML (``scan:``) is None: all defaults
        raw = {k: ({} if v is None else v) for k, v in raw.items()}
    try:
        return TypeAdapter(cls).validate_python(raw)
    except ValidationError as exc:
        raise ConfigError(error_message(exc, cls, prefix)) from None


def build_params(raw: dict[str, Any] | None) -> Params:
    return build_section(Params, raw, "params")


def apply_overrides(raw: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
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
