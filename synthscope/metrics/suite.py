"""The metric registry: each entry turns a synthetic (and optional real) set into metrics.json objects.

Every entry returns ``{key: model}``, each model a field of :class:`MetricsDocument` (an
``Estimate``: ``value``, ``ci95``, ...); :func:`score_all` builds the document from them. Entries that need a real reference are skipped, and said to be skipped, when
there is none. One contract test runs over every entry (tests/unit/test_suite.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from synthscope.documents.common import Document, ExtractorRef, extended
from synthscope.documents.metrics import (
    Cas,
    ClassDistance,
    FrechetDistance,
    InceptionScore,
    KernelDistance,
    MetricsDocument,
    NeighbourMetric,
    RealVsReal,
    Reference,
)
from synthscope.logs import progress
from synthscope.metrics.cas import CasSettings, LabelledSet, classification_accuracy_score
from synthscope.metrics.classifier import CnnSettings
from synthscope.metrics.confusion import collapse_findings
from synthscope.metrics.fid_interval import METHOD as FID_METHOD
from synthscope.metrics.fid_interval import fid_with_interval
from synthscope.metrics.fits import FitCache
from synthscope.metrics.frechet_distance import per_class_frechet_distance
from synthscope.metrics.inception_score import METHOD as IS_METHOD
from synthscope.metrics.inception_score import inception_score
from synthscope.metrics.kid import METHOD as KID_METHOD
from synthscope.metrics.kid import kernel_inception_distance
from synthscope.metrics.prdc import INTERVAL_METHOD, KEYS, jackknife_intervals, neighbourhoods, prdc_of_subset
from synthscope.metrics.reference import DECISION_RULE, RELATIVE, permutation_test, pool, real_vs_real
from synthscope.metrics.utility import learning_curves
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
    lazily, because only the CNN needs pixels."""

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
    needs_reference: bool
    compute: Callable[[ScoreInputs], dict[str, Document]]  # metrics.json key -> its entry
    needs_labels: bool = False  # trains a classifier on the synthetic labels and tests on the real ones


METRICS: Registry[Metric] = Registry("metric")


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


def _per_class(inp: ScoreInputs) -> dict[str, ClassDistance]:
    """Per-class Fréchet distances, each flagged ``small_n`` below ``fid_min_samples`` per side."""
    p, syn, real = inp.params, inp.synthetic, inp.real
    assert real is not None
    if not (labelled(syn.labels) and labelled(real.labels)):
        return {}  # an unlabelled side: score_all records why in "skipped"
    if len(set(syn.labels.tolist()) | set(real.labels.tolist())) < 2:
        return {}  # one class (or unlabelled arrays): its "per-class" value would repeat the total
    per_class = per_class_frechet_distance(
        syn.features, syn.labels, real.features, real.labels, p.per_class_min_samples
    )
    return {
        k: ClassDistance(
            value=v["value"],
            n_synthetic=v["n_a"],
            n_real=v["n_b"],
            small_n=min(v["n_a"], v["n_b"]) < p.fid_min_samples,  # type: ignore[operator]
        )
        for k, v in per_class.items()
    }


def _fid(inp: ScoreInputs) -> dict[str, Document]:
    p, syn, real = inp.params, inp.synthetic, inp.real
    assert real is not None
    res = fid_with_interval(syn.features, real.features, p.fid_subsample_reps, p.seed)
    n_min = min(len(syn.ids), len(real.ids))
    warnings = []
    if n_min < p.fid_min_samples:
        warnings.append(
            f"only {n_min} samples on one side (< {p.fid_min_samples}): the Frechet distance is "
            f"biased upwards at small N (FID-inf {res.fid_inf:.4g} extrapolates it to infinite N); "
            f"compare only values computed with the same N, or use KID"
        )
    if not res.reliable:
        warnings.append(
            f"half of the smaller set ({n_min // 2}) is below the feature dimension "
            f"({syn.features.shape[1]}): the 1/N extrapolation (FID-inf) is unreliable, so the "
            f"interval's lower end is 0"
        )
    per_class = _per_class(inp)
    if any(v.small_n and v.value is not None for v in per_class.values()):  # None: no value to doubt
        warnings.append(
            f"per-class values come from fewer than {p.fid_min_samples} samples per side (small_n): "
            f"they are biased upwards and only comparable between classes of equal size"
        )
    return {
        "fid": FrechetDistance(
            value=res.value,
            ci95=res.ci95,
            method=FID_METHOD,
            fid_inf=res.fid_infinity(),
            se=res.se,
            network=network(inp.extractor),
            label=distance_label(inp.extractor),
            n_synthetic=len(syn.ids),
            n_real=len(real.ids),
            warnings=warnings,
            per_class_min_samples=p.fid_min_samples,
            per_class=per_class,
        )
    }


def _kid(inp: ScoreInputs) -> dict[str, Document]:
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
    n_min = min(len(inp.synthetic.ids), len(inp.real.ids))
    return {
        "kid": KernelDistance(
            value=res.mean,
            std=res.std,
            ci95=res.ci95(n_min),
            method=KID_METHOD,
            subsets=len(res.mmds),
            subset_size=res.subset_size,
            network=network(inp.extractor),
        )
    }


def _inception_score(inp: ScoreInputs) -> dict[str, Document]:
    p, name = inp.params, network(inp.extractor)
    logits = inp.synthetic.logits
    res = inception_score(logits, p.is_splits, p.seed)
    ci = res.ci95()
    label = (
        "Inception Score"
        if official_fid(inp.extractor)
        else f"ImageNet-class score from {name} logits (not comparable with published Inception Scores)"
    )
    return {
        "inception_score": InceptionScore(
            value=res.mean,
            std=res.std,
            ci95=ci,
            method=IS_METHOD,
            logits="pool3 @ W, no fc bias" if name == FID_NETWORK else f"{name} classifier",
            splits=len(res.scores),
            network=name,
            label=label,
        )
    }


def _prdc(inp: ScoreInputs) -> dict[str, Document]:
    p = inp.params
    assert inp.real is not None
    nb = neighbourhoods(inp.synthetic.features, inp.real.features, p.prdc_k)
    values = prdc_of_subset(nb).values
    intervals = jackknife_intervals(nb, p.prdc_jackknife_groups, p.seed)
    method = INTERVAL_METHOD.format(groups=p.prdc_jackknife_groups)
    return {
        key: NeighbourMetric(value=values[key], ci95=intervals[key], method=method, k=p.prdc_k,
                             network=network(inp.extractor))
        for key in KEYS
    }


def cas_settings(p: ScoreParams, copies: CopyRule) -> CasSettings:
    """The CAS settings of this audit (the probe's C and the CNN's transforms are resolved later,
    from the real training split: ``cas.resolve_classifier``); ``copies``: ``near_copy.memorization``,
    the near copies of real test images left out of training."""
    return CasSettings(
        mem_hamming=copies.hamming,
        mem_cosine=copies.cosine,
        model=p.cas_model,
        test_fraction=p.cas_test_fraction,
        seed=p.seed,
        bootstrap_reps=p.bootstrap_reps,
        is_splits=p.is_splits,
        augmentation=p.augmentation,
        probe_c=p.cas_probe_c,
        probe_cs=tuple(p.cas_probe_cs),
        probe_folds=p.cas_probe_folds,
        orientation_invariant=p.orientation_invariant,
        cnn=CnnSettings(epochs=p.cas_epochs, batch_size=p.cas_batch_size, lr=p.cas_lr, width=p.cas_width,
                        min_steps=p.cas_min_steps),
    )


def _settings(inp: ScoreInputs) -> CasSettings:
    assert inp.real is not None
    return cas_settings(inp.params, inp.copies)


def _labelled_sets(inp: ScoreInputs, model: str) -> tuple[LabelledSet, LabelledSet]:
    """(synthetic, real) as the classifier's input: images for the CNN, embeddings for the probe;
    dhash and embeddings for leaving near copies of real test images out of training."""
    assert inp.real is not None
    sets = []
    for role, data in (("synthetic", inp.synthetic), ("real", inp.real)):
        if model == "cnn":
            if inp.images is None:
                raise ValueError("the CNN needs images; pass ScoreInputs.images")
            x = inp.images(role)
        else:
            x = data.features
        sets.append(LabelledSet(ids=data.ids, labels=data.labels, x=x, dhash=data.dhash, emb=data.features))
    return sets[0], sets[1]


def _cas(inp: ScoreInputs) -> dict[str, Document]:
    settings = _settings(inp)
    out = classification_accuracy_score(*_labelled_sets(inp, settings.model), settings, inp.fits)
    cas = out["cas"]
    assert isinstance(cas, Cas) and cas.confusion is not None
    out["cas"] = cas.model_copy(update={
        "model_choice": f"score.cas_model is {settings.model}",
        "collapse": collapse_findings(cas.confusion, inp.params.collapse_share),
    })
    return out


def _utility(inp: ScoreInputs) -> dict[str, Document]:
    """Learning curves with CAS's split and classifier; the linear probe unless ``curve_model: cas``."""
    p = inp.params
    if not p.curves:
        return {}
    settings = _settings(inp)
    if p.curve_model == "linear":
        settings = replace(settings, model="linear")
    return {"utility": learning_curves(*_labelled_sets(inp, settings.model), settings,
                                       p.curve_fractions, p.curve_repeats, inp.fits)}


def _real_vs_real(inp: ScoreInputs) -> dict[str, Document]:
    """Real-vs-real references at matched N and the permutation two-sample test, from one Gram matrix
    (``synthscope.metrics.reference``)."""
    p, syn, real = inp.params, inp.synthetic, inp.real
    assert real is not None
    cap = p.reference_max_per_side
    pooled = pool(syn.features, real.features, max_syn=min(len(syn.ids), 2 * cap),
                  max_real=min(len(real.ids), 2 * cap), seed=p.seed, degree=p.kid_degree, coef0=p.kid_coef0)
    reference = real_vs_real(syn.features, real.features, p.reference_splits, p.seed, p.prdc_k, p.kid_degree,
                             p.kid_coef0, cap, pooled=pooled)
    return {"real_vs_real": reference, "two_sample_test": permutation_test(pooled, p.permutations, p.seed)}


METRICS.add("fid", Metric(needs_reference=True, compute=_fid))
METRICS.add("kid", Metric(needs_reference=True, compute=_kid))
METRICS.add("inception_score", Metric(needs_reference=False, compute=_inception_score))
METRICS.add("prdc", Metric(needs_reference=True, compute=_prdc))
METRICS.add("cas", Metric(needs_reference=True, compute=_cas, needs_labels=True))
METRICS.add("utility", Metric(needs_reference=True, compute=_utility, needs_labels=True))
METRICS.add("real_vs_real", Metric(needs_reference=True, compute=_real_vs_real))


def labelled(labels: np.ndarray) -> bool:
    """True when some row has a class label (an unlabelled set has "" on every row)."""
    return bool(len(labels)) and bool((labels.astype(str) != "").any())


def unlabelled_reason(inp: ScoreInputs) -> str | None:
    """Why label-needing metrics are missing, or None when both sets carry labels."""
    if not labelled(inp.synthetic.labels):
        return "not checked: needs class labels (the synthetic set is unlabelled)"
    if inp.real is not None and not labelled(inp.real.labels):
        return ("not checked: needs class labels (the real set is unlabelled, so there is no labelled "
                "real data to test on or compare each class with)")
    return None


def attach_references(entries: dict[str, Document]) -> dict[str, Document]:
    """Put each metric's real-vs-real reference beside its value (``fid.reference``, ...), so every
    gated number reads "synthetic vs real X; real vs real at the same N Y [lo, hi]"."""
    block = entries.get("real_vs_real")
    if not isinstance(block, RealVsReal) or not block.available or block.n_per_side is None:
        return entries
    out = dict(entries)
    for key in RELATIVE:
        if key in out and key in block.metrics:
            entry = block.metrics[key]  # type: ignore[index]
            reference = extended(entry.reference, Reference, n_per_side=block.n_per_side,
                                 synthetic_vs_real=entry.matched, relative=entry.relative)
            out[key] = out[key].model_copy(update={"reference": reference})
    return out


LABELLED = ("cas", "utility")  # metrics that train a classifier on the labels


@dataclass(frozen=True)
class Scores:
    """What the metrics computed: ``entries`` (metrics.json key -> its model, references attached) and
    ``skipped`` (metric -> why it was not computed)."""

    entries: dict[str, Document]
    skipped: dict[str, str]


def score_entries(inp: ScoreInputs, only: tuple[str, ...] | None = None) -> Scores:
    """Run every registered metric (or those named in ``only``) that the inputs allow."""
    entries: dict[str, Document] = {}
    skipped: dict[str, str] = {}
    for name, metric in progress(list(METRICS), "score metrics"):
        if only is not None and name not in only:
            continue
        if metric.needs_reference and inp.real is None:
            skipped[name] = "no real reference: pass --real (or real: in the config) to compute it"
            continue
        if metric.needs_labels and (why := unlabelled_reason(inp)) is not None:
            skipped[name] = why
            continue
        if name in LABELLED and inp.real is not None and len(set(inp.real.labels.tolist())) < 2:
            skipped[name] = "the real set has one class: a classifier has nothing to tell apart"
            continue
        entries.update(metric.compute(inp))
    if inp.real is not None and (why := unlabelled_reason(inp)) is not None and (only is None or "fid" in only):
        skipped["per_class_fid"] = why
    return Scores(attach_references(entries), skipped)


def score_all(inp: ScoreInputs, only: tuple[str, ...] | None = None) -> MetricsDocument:
    """The metrics.json document: every registered metric (or those named in ``only``) that the inputs allow."""
    if inp.extractor is None:
        raise ValueError("metrics.json names its network: pass ScoreInputs.extractor (score_entries takes none)")
    scores = score_entries(inp, only)
    return MetricsDocument(
        extractor=ExtractorRef(name=inp.extractor.name, weights=inp.extractor.weights, sha256=inp.extractor.sha256),
        n_synthetic=len(inp.synthetic.ids),
        n_real=0 if inp.real is None else len(inp.real.ids),
        skipped=scores.skipped,
        decision_rule=DECISION_RULE,
        **scores.entries,
    )
