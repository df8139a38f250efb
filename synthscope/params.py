"""Every knob a stage reads, as frozen dataclasses loaded from ``params.yaml``.

DVC tracks ``params.yaml`` per section, so each stage's knobs live in their own section
and a change to one section re-runs only the stages that read it. Thresholds live here
and nowhere else ("score, then flag").
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from synthscope.errors import ConfigError


@dataclass(frozen=True)
class IngestParams:
    # Pillow's own decompression-bomb limit; anything larger is quarantined, not decoded.
    max_pixels: int = 89_478_485
    max_file_mb: float = 256.0
    min_side: int = 4
    extensions: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
    workers: int = 2


@dataclass(frozen=True)
class DemoParams:
    seed: int = 0
    n_per_class: int = 100
    image_size: int = 64


@dataclass(frozen=True)
class FeaturesParams:
    extractor: Literal["auto", "inception-fid", "mobilenet-v2"] = "auto"
    weights: str | None = None
    batch_size: int = 32
    workers: int = 2
    shard_size: int = 512
    # Rows per feature-store part: memory is bounded by this; a killed run loses at most one part.
    part_rows: int = 128
    # Try downloading weights when no local file is found (the last step of the lookup).
    download: bool = True


@dataclass(frozen=True)
class ScanParams:
    """Bias scan knobs. ``*_levels`` are the (low, medium, high) thresholds of each check's
    ``flag_value`` (higher is worse); a score under ``low`` is reported as ``info``."""

    seed: int = 0
    min_class_size: int = 5  # classes with fewer rows get no per-class score
    max_rows: int = 4000  # per role, stratified subsample for the shortcut classifiers
    cv_folds: int = 3
    tree_depth: int = 3  # depth of the shortcut classifier (a shallow decision tree)
    nmi_bins: int = 8  # quantile bins per attribute column for mutual information
    copied_ratio: float = 0.5  # real effect >= this share of the synthetic effect -> "copied"
    coverage_k: int = 5
    dup_hamming: int = 2  # dhash bits: within this distance two synthetic images are near-duplicates
    dup_cosine: float = 0.98  # embedding cosine at or above which two images are near-duplicates
    mem_hamming: int = 2
    mem_cosine: float = 0.98
    consistency_levels: tuple[float, ...] = (0.4, 0.6, 0.8)  # 1 - spread ratio
    shortcut_levels: tuple[float, ...] = (0.4, 0.6, 0.8)  # Youden J of one class from one group
    imbalance_levels: tuple[float, ...] = (0.3, 0.5, 0.7)  # 1 - (share / reference share) vs the top class
    diversity_levels: tuple[float, ...] = (0.3, 0.5, 0.7)  # 1 - dispersion ratio
    duplicates_levels: tuple[float, ...] = (0.05, 0.15, 0.3)  # share of synthetic images
    memorization_levels: tuple[float, ...] = (0.02, 0.05, 0.1)  # share of synthetic images

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.name.endswith("_levels"):
                levels = getattr(self, f.name)
                if len(levels) != 3 or list(levels) != sorted(levels):
                    raise ConfigError(f"scan.{f.name}: {list(levels)} must be three ascending thresholds "
                                      "[low, medium, high]")
        if self.cv_folds < 2:
            raise ConfigError(f"scan.cv_folds: {self.cv_folds} is too small; use 2 or more")

    def levels(self, check: str) -> tuple[float, ...]:
        """(low, medium, high) thresholds of one check."""
        return getattr(self, f"{check}_levels")


@dataclass(frozen=True)
class ScoreParams:
    seed: int = 0
    # Below this many samples per side FID is strongly biased upwards; the result carries a warning.
    fid_min_samples: int = 2048
    per_class_min_samples: int = 10  # per-class Frechet distance needs this many images per side
    fid_bootstrap_reps: int = 50  # each replicate is a full Frechet distance
    bootstrap_reps: int = 1000  # replicates for the cheap (mean-of-contributions) intervals
    kid_subsets: int = 100
    kid_subset_size: int = 1000  # capped at the smaller set's size
    kid_degree: int = 3
    kid_coef0: float = 1.0
    is_splits: int = 10
    is_bootstrap_reps: int = 200
    prdc_k: int = 5
    cas_model: Literal["cnn", "linear"] = "cnn"  # cnn on images, or a linear probe on embeddings
    cas_test_fraction: float = 0.3  # share of each real class held out as the test split
    cas_image_size: int = 64  # images are resized to this square side for the CNN
    cas_epochs: int = 15
    cas_batch_size: int = 64
    cas_lr: float = 0.003
    cas_width: int = 32  # CNN channels in the first block
    cas_min_steps: int = 300  # small sets train for at least this many minibatches
    cas_rotate: bool = True  # 90-degree rotation augmentation; false where orientation is the label
    cas_probe_c: float = 1.0  # inverse L2 strength of the linear probe
    augmentation: bool = True  # also train on real + synthetic and compare with real only
    # Learning curves (metrics.json ``utility``): real-only, synthetic-only and real+synthetic
    # accuracy on the CAS test split, at these fractions of the real training split.
    curves: bool = True
    curve_model: Literal["linear", "cas"] = "linear"  # linear probe (seconds), or score.cas_model
    curve_fractions: tuple[float, ...] = (0.02, 0.05, 0.1, 0.25, 0.5, 1.0)
    curve_repeats: int = 3  # seeded training subsets per fraction below 1 (their accuracies averaged)
    # A real class whose test images the synthetic-trained classifier gives to one other class at
    # least this often is a "collapse" finding (metrics.json cas.collapse).
    collapse_share: float = 0.5
    realism_k: int = 5  # k-NN radius of real embeddings for the realism score (also ranks debias candidates)
    realism_outlier_below: float = 1.0  # realism.parquet ``outlier``: realism below this (1 = outside every real ball)

    def __post_init__(self) -> None:
        fractions = list(self.curve_fractions)
        if not fractions or fractions != sorted(set(fractions)) or not 0 < fractions[0] or fractions[-1] != 1.0:
            raise ConfigError(f"score.curve_fractions: {fractions} must be ascending fractions in (0, 1] "
                              "ending with 1.0 (the whole real training split)")
        if self.curve_repeats < 1 or self.realism_k < 1:
            raise ConfigError("score.curve_repeats and score.realism_k must be 1 or more")
        if not 0 < self.collapse_share <= 1:
            raise ConfigError(f"score.collapse_share: {self.collapse_share} must be in (0, 1]")


@dataclass(frozen=True)
class DebiasParams:
    """Debias stage knobs. Transforms are applied only for attributes the scan flagged."""

    seed: int = 0  # every random choice derives from (seed, image_id, variant): order-free
    # Target class distribution: real (the real set's shares), uniform, or {class: share}.
    target: Literal["real", "uniform"] | dict[str, float] = "real"
    # Which set is rebalanced: synthetic (repair it), real (fill real's rare classes with the best
    # synthetic images), or auto (real when it misses the target by scan.imbalance_levels[0]).
    role: Literal["auto", "synthetic", "real"] = "auto"
    # false: only add images up to the target; true: keep the total and also drop surplus images.
    undersample: bool = False
    # Shortcut / consistency findings at or above this severity name the attributes to decorrelate.
    min_severity: Literal["low", "medium", "high"] = "low"
    # New backgrounds: real images' backgrounds (object filled in; texture when none contrasts or there
    # is no real set) or noise textures. Never the synthetic set's own: they carry the bias.
    background_source: Literal["texture", "images"] = "images"
    scale_range: tuple[float, ...] = (0.6, 1.5)  # size transform: object scale factor range
    max_translate: float = 0.3  # location transform: largest centroid move, fraction of the side
    grayscale_p: float = 0.0  # colour transform: chance of a grey object instead of a hue shift
    color_jitter: float = 0.3  # colour transform: saturation and brightness factors in [1 - j, 1 + j]

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


@dataclass(frozen=True)
class ReportParams:
    max_samples_per_class: int = 8
    thumbnail_px: int = 64  # side of each sample-grid thumbnail in the HTML
    location_bins: int = 8  # the "where are the objects" heatmap is bins x bins
    max_findings_first_screen: int = 5
    max_memorized_examples: int = 6  # suspected copies shown with their nearest real neighbours
    realism_examples_per_class: int = 2  # least and most realistic synthetic images shown per class


@dataclass(frozen=True)
class UtilityParams:
    """Costs for the report's "does the synthetic data save resources?" sentence. No defaults are
    invented: null means unknown, and the report then says which numbers would decide it."""

    cost_per_1k_synthetic: float | None = None  # generating 1,000 synthetic images (any one unit)
    cost_per_1k_real: float | None = None  # collecting and labelling 1,000 real images (same unit)
    synthetic_images_available: int | None = None  # how many synthetic images can be had in all

    def __post_init__(self) -> None:
        for name in ("cost_per_1k_synthetic", "cost_per_1k_real", "synthetic_images_available"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ConfigError(f"utility.{name}: {value} must be >= 0, or null when unknown")


@dataclass(frozen=True)
class GateParams:
    """Quality gates: crossing one makes the verdict ``fail`` (``audit --fail-on fail``)."""

    max_finding_severity: Literal["info", "low", "medium", "high"] = "medium"
    # Metric gates; null switches one off. FID/KID apply in whatever network the score stage used.
    max_fid: float | None = 50.0
    max_kid: float | None = 0.05
    min_cas_ratio: float | None = 0.8  # CAS synthetic->real / real->real
    min_coverage: float | None = 0.5


@dataclass(frozen=True)
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


def _coerce(value: Any, annotation: Any, key: str) -> Any:
    """Check ``value`` against a dataclass field type; return it in that type."""
    origin = get_origin(annotation)
    if origin is Literal:
        allowed = get_args(annotation)
        if value not in allowed:
            raise ConfigError(f"{key}: {value!r} is not allowed; use one of {', '.join(map(str, allowed))}")
        return value
    if origin in (types.UnionType, typing.Union):
        options = get_args(annotation)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(value, option, key)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if errors else f"{key}: {value!r} is not allowed")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        (item_type, *_rest) = get_args(annotation)
        return tuple(_coerce(v, item_type, f"{key}[]") for v in value)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        key_type, val_type = get_args(annotation)
        return {_coerce(k, key_type, key): _coerce(v, val_type, f"{key}.{k}") for k, v in value.items()}
    if annotation is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return value
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if annotation is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return value
    raise TypeError(f"unsupported params annotation {annotation!r} for {key}")


def build_section(cls: type, raw: dict[str, Any] | None, prefix: str) -> Any:
    """Build one frozen params section, naming the bad key and the allowed keys."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{prefix}: expected a mapping of keys, got {raw!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{prefix}.{unknown[0]}: unknown key; allowed keys are {', '.join(sorted(known))}")
    values = {}
    for name, value in raw.items():
        ftype = hints[name]
        if dataclasses.is_dataclass(ftype):
            values[name] = build_section(ftype, value, f"{prefix}.{name}")
        else:
            values[name] = _coerce(value, ftype, f"{prefix}.{name}")
    return cls(**values)


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
