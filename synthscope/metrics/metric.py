"""What a metric sees and declares, and the registry the score stage runs (torch-fidelity's manner).

Each metric is one module (``fid_interval``, ``kid``, ``inception_score``, ``prdc``, ``cas``,
``utility``, ``reference``) holding its maths, its settings (a frozen dataclass built from the
flat ``score:`` section by ``Settings.from_params``, so the metric reads only its own knobs),
and its registration: ``register_metric("kid", Metric(...))`` at module level.
``synthscope.metrics.suite`` imports the modules and runs the registry. Result models are
fields of :class:`~synthscope.documents.metrics.MetricsDocument`: the report reads
metrics.json through them without loading any metric code, so they stay in
``synthscope.documents.metrics`` (a metric module there would also be an import cycle). See
docs/architecture.md ("Metrics") for a worked example.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from synthscope.documents.common import Document, ExtractorRef
from synthscope.documents.metrics import MetricsDocument
from synthscope.metrics.fits import FitCache
from synthscope.params import NEAR_COPY, CopyRule, ScoreParams
from synthscope.registry import Registry
from synthscope.schema import FID_NETWORK


@dataclass(frozen=True)
class RoleData:
    """One role's ok images: ``ids``/``labels`` str (N,), ``features`` float32 (N, D), ``logits`` (N, C),
    ``dhash`` int64 (N,) difference hashes (for near-copy detection; None when not at hand)."""

    ids: np.ndarray
    labels: np.ndarray
    features: np.ndarray
    logits: np.ndarray
    dhash: np.ndarray | None = None


@dataclass(frozen=True)
class ScoreInputs:
    """Everything the metrics read. ``images(role)`` loads uint8 (N, S, S, 3) images in row order,
    lazily, because only the CNN needs pixels. ``params`` is the whole ``score:`` section; each
    metric takes its own settings from it (``Settings.from_params``)."""

    synthetic: RoleData
    real: RoleData | None
    extractor: ExtractorRef | None  # None: features given as arrays, from no named network
    params: ScoreParams
    images: Callable[[str], np.ndarray] | None = None
    copies: CopyRule = NEAR_COPY.memorization  # CAS leaves out near copies of real test images
    # CAS, the augmentation comparison and the learning curves share fits through it (never one fit twice)
    fits: FitCache = field(default_factory=FitCache)


@dataclass(frozen=True)
class Metric:
    """One registered metric: ``compute`` returns ``{metrics.json key: its model}``, keys among ``outputs``."""

    compute: Callable[[ScoreInputs], dict[str, Document]]
    outputs: tuple[str, ...]  # the metrics.json keys it may write: fields of MetricsDocument
    needs_reference: bool
    needs_labels: bool = False  # trains a classifier on the synthetic labels and tests on the real ones


METRICS: Registry[Metric] = Registry("metric")
HEADER = ("extractor", "n_synthetic", "n_real", "skipped", "decision_rule")  # metrics.json keys no metric writes


def register_metric(name: str, metric: Metric) -> Metric:
    """Add ``metric`` under ``name`` (a name registered twice is an error). Each output must be a
    metric field of ``MetricsDocument``: metrics.json is a published contract (docs/schemas), and the
    report reads it without importing metric code."""
    for key in metric.outputs:
        if key not in MetricsDocument.model_fields or key in HEADER:
            raise ValueError(
                f"metric {name!r} writes {key!r}, which metrics.json does not declare: add "
                f"`{key}: <its result model> | None = None` to MetricsDocument (synthscope/documents/metrics.py) "
                f"and run `synthscope schema --write docs/schemas`")
    return METRICS.add(name, metric)


def unregister_metric(name: str) -> None:
    """Remove a metric (tests that register a toy one clean up with it)."""
    METRICS.remove(name)


UNNAMED = "unnamed network (features given as arrays)"


def network(extractor: ExtractorRef | None) -> str:
    return UNNAMED if extractor is None else extractor.name


def official_fid(extractor: ExtractorRef | None) -> bool:
    return extractor is not None and extractor.name == FID_NETWORK and extractor.weights == "official"


def distance_label(extractor: ExtractorRef | None) -> str:
    """'FID' only for Inception v3 FID weights that verified as official; otherwise name the space."""
    if official_fid(extractor):
        return "FID"
    suffix = " (custom weights)" if extractor is not None and extractor.weights == "custom" else ""
    return f"Frechet distance in {network(extractor)}{suffix} space"


def labelled(labels: np.ndarray) -> bool:
    """True when some row has a class label (an unlabelled set has "" on every row)."""
    return bool(len(labels)) and bool((labels.astype(str) != "").any())
