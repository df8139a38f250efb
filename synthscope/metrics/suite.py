"""The metric registry: each entry turns a synthetic (and optional real) set into metrics.json objects.

Every entry returns ``{key: {"value": x, "ci95": [lo, hi] | None, ...}}``; the score stage
merges them. Entries that need a real reference are skipped, and said to be skipped, when
there is none. One contract test runs over every entry (tests/unit/test_suite.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from synthscope.metrics.bootstrap import bootstrap_ci, bootstrap_mean_ci
from synthscope.metrics.cas import CasSettings, LabelledSet, classification_accuracy_score
from synthscope.metrics.classifier import CnnSettings
from synthscope.metrics.confusion import collapse_findings
from synthscope.metrics.frechet_distance import frechet_distance_from_features, per_class_frechet_distance
from synthscope.metrics.inception_score import inception_score
from synthscope.metrics.kid import kernel_inception_distance
from synthscope.metrics.prdc import precision_recall_density_coverage
from synthscope.metrics.utility import learning_curves
from synthscope.params import ScoreParams
from synthscope.registry import Registry

FID_NETWORK = "inception-fid"


@dataclass(frozen=True)
class RoleData:
    """One role's ok images: ``ids``/``labels`` str (N,), ``features`` float32 (N, D), ``logits`` (N, C)."""

    ids: np.ndarray
    labels: np.ndarray
    features: np.ndarray
    logits: np.ndarray


@dataclass(frozen=True)
class ScoreInputs:
    """Everything the metrics read. ``images(role)`` loads uint8 (N, S, S, 3) images in row order,
    lazily, because only the CNN needs pixels."""

    synthetic: RoleData
    real: RoleData | None
    extractor: dict
    params: ScoreParams
    images: Callable[[str], np.ndarray] | None = None


@dataclass(frozen=True)
class Metric:
    needs_reference: bool
    compute: Callable[[ScoreInputs], dict[str, dict]]


METRICS: Registry[Metric] = Registry("metric")


def distance_label(extractor: dict) -> str:
    """'FID' only for Inception v3 FID weights that verified as official; otherwise name the space."""
    name = extractor.get("name", "unknown")
    if name == FID_NETWORK and extractor.get("weights") == "official":
        return "FID"
    suffix = "" if extractor.get("weights") == "official" else " (custom weights)"
    return f"Frechet distance in {name}{suffix} space"


def _fid(inp: ScoreInputs) -> dict[str, dict]:
    p, syn, real = inp.params, inp.synthetic, inp.real
    assert real is not None
    value = frechet_distance_from_features(syn.features, real.features)
    n_min = min(len(syn.ids), len(real.ids))
    warnings = []
    if n_min < p.fid_min_samples:
        warnings.append(
            f"only {n_min} samples on one side (< {p.fid_min_samples}): the Frechet distance is "
            f"biased upwards at small N; compare only values computed with the same N, or use KID"
        )
    ci = bootstrap_ci(
        frechet_distance_from_features, [syn.features, real.features], p.fid_bootstrap_reps, p.seed
    )
    per_class = per_class_frechet_distance(
        syn.features, syn.labels, real.features, real.labels, p.per_class_min_samples
    )
    return {
        "fid": {
            "value": value,
            "ci95": list(ci),
            "network": inp.extractor.get("name"),
            "label": distance_label(inp.extractor),
            "n_synthetic": len(syn.ids),
            "n_real": len(real.ids),
            "warnings": warnings,
            "per_class": {
                k: {"value": v["value"], "n_synthetic": v["n_a"], "n_real": v["n_b"]}
                for k, v in per_class.items()
            },
        }
    }


def _kid(inp: ScoreInputs) -> dict[str, dict]:
    p = inp.params
    assert inp.real is not None
    res = kernel_inception_distance(
        inp.synthetic.features,
        inp.real.features,
        p.kid_subsets,
        p.kid_subset_size,
        p.kid_degree,
        p.kid_coef0,
        p.seed,
    )
    lo, hi = np.percentile(res.mmds, [2.5, 97.5])
    return {
        "kid": {
            "value": res.mean,
            "std": res.std,
            "ci95": [float(lo), float(hi)],
            "ci95_method": "2.5/97.5 percentiles of the per-subset estimates",
            "subsets": len(res.mmds),
            "subset_size": res.subset_size,
            "network": inp.extractor.get("name"),
        }
    }


def _inception_score(inp: ScoreInputs) -> dict[str, dict]:
    p, name = inp.params, inp.extractor.get("name")
    logits = inp.synthetic.logits
    res = inception_score(logits, p.is_splits, p.seed)
    ci = bootstrap_ci(
        lambda x: inception_score(x, p.is_splits, p.seed).mean, [logits], p.is_bootstrap_reps, p.seed
    )
    label = (
        "Inception Score"
        if name == FID_NETWORK and inp.extractor.get("weights") == "official"
        else f"ImageNet-class score from {name} logits (not comparable with published Inception Scores)"
    )
    return {
        "inception_score": {
            "value": res.mean,
            "std": res.std,
            "ci95": list(ci),
            "splits": len(res.scores),
            "network": name,
            "label": label,
        }
    }


def _prdc(inp: ScoreInputs) -> dict[str, dict]:
    p = inp.params
    assert inp.real is not None
    res = precision_recall_density_coverage(inp.synthetic.features, inp.real.features, p.prdc_k)
    parts = {
        "precision": res.in_real,
        "recall": res.in_synthetic,
        "density": res.real_balls,
        "coverage": res.covered,
    }
    return {
        key: {
            "value": res.values[key],
            "ci95": list(bootstrap_mean_ci(arr, p.bootstrap_reps, p.seed)),
            "k": p.prdc_k,
            "network": inp.extractor.get("name"),
        }
        for key, arr in parts.items()
    }


def cas_settings(p: ScoreParams) -> CasSettings:
    return CasSettings(
        model=p.cas_model,
        test_fraction=p.cas_test_fraction,
        seed=p.seed,
        bootstrap_reps=p.bootstrap_reps,
        is_splits=p.is_splits,
        augmentation=p.augmentation,
        probe_c=p.cas_probe_c,
        cnn=CnnSettings(epochs=p.cas_epochs, batch_size=p.cas_batch_size, lr=p.cas_lr, width=p.cas_width,
                        min_steps=p.cas_min_steps, rotate=p.cas_rotate),
    )


def _labelled_sets(inp: ScoreInputs, model: str) -> tuple[LabelledSet, LabelledSet]:
    """(synthetic, real) as the classifier's input: images for the CNN, embeddings for the probe."""
    assert inp.real is not None
    sets = []
    for role, data in (("synthetic", inp.synthetic), ("real", inp.real)):
        if model == "cnn":
            if inp.images is None:
                raise ValueError("the CNN needs images; pass ScoreInputs.images")
            x = inp.images(role)
        else:
            x = data.features
        sets.append(LabelledSet(ids=data.ids, labels=data.labels, x=x))
    return sets[0], sets[1]


def _cas(inp: ScoreInputs) -> dict[str, dict]:
    settings = cas_settings(inp.params)
    out = classification_accuracy_score(*_labelled_sets(inp, settings.model), settings)
    out["cas"]["collapse"] = collapse_findings(out["cas"]["confusion"], inp.params.collapse_share)
    return out


def _utility(inp: ScoreInputs) -> dict[str, dict]:
    """Learning curves with CAS's split and classifier; the linear probe unless ``curve_model: cas``."""
    p = inp.params
    if not p.curves:
        return {}
    settings = cas_settings(p)
    if p.curve_model == "linear":
        settings = replace(settings, model="linear")
    return {"utility": learning_curves(*_labelled_sets(inp, settings.model), settings,
                                       p.curve_fractions, p.curve_repeats)}


METRICS.add("fid", Metric(needs_reference=True, compute=_fid))
METRICS.add("kid", Metric(needs_reference=True, compute=_kid))
METRICS.add("inception_score", Metric(needs_reference=False, compute=_inception_score))
METRICS.add("prdc", Metric(needs_reference=True, compute=_prdc))
METRICS.add("cas", Metric(needs_reference=True, compute=_cas))
METRICS.add("utility", Metric(needs_reference=True, compute=_utility))


def score_all(inp: ScoreInputs) -> dict:
    """Run every registered metric that the inputs allow -> the metrics.json document."""
    out: dict = {
        "extractor": {k: inp.extractor.get(k) for k in ("name", "weights", "sha256")},
        "n_synthetic": len(inp.synthetic.ids),
        "n_real": 0 if inp.real is None else len(inp.real.ids),
        "skipped": {},
    }
    for name, metric in METRICS:
        if metric.needs_reference and inp.real is None:
            out["skipped"][name] = "no real reference: pass --real (or real: in the config) to compute it"
            continue
        out.update(metric.compute(inp))
    return out
