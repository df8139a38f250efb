"""Labelled synthetic + real sets -> Classification Accuracy Score, its real baseline, and utility.

CAS (Ravuri & Vinyals 2019): train a classifier on the synthetic set, measure its accuracy on
held-out real images. The same classifier trained on the real training split and tested on
the same real test split is the baseline; the gap is what the synthetic data costs. The
real-trained classifier also scores the synthetic images (domain Inception Score) and, with
real + synthetic training, answers the augmentation question: does adding the synthetic set
help on real test data, and at what compute cost?

No leakage: synthetic images that are exact or near copies of real *test* images (the
memorisation scan's criterion, ``bias.duplicates.near_copy_mask`` with ``near_copy.mem_*``) are
left out of CAS training and of the augmentation comparison; otherwise a set of copies
of the real data could score above real->real. The debias evaluation uses the same
:func:`real_split`, :func:`copies_of_test` and :func:`train_and_test`.

The metric ``cas`` (metrics.json ``cas``, ``domain_inception_score``, ``augmentation``) is
registered here, with its settings :class:`CasSettings` (``CasSettings.from_params``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

import numpy as np

from synthscope.bias.duplicates import CopyKeys, near_copy_mask
from synthscope.documents.common import Document, extended
from synthscope.documents.metrics import (
    Accuracy,
    Augmentation,
    AugmentationDecision,
    Cas,
    CasSplit,
    ClassAccuracy,
    Classifier,
    DomainInceptionScore,
    ProbeC,
    TrainedAccuracy,
    TrainSeconds,
)
from synthscope.errors import DataError
from synthscope.metrics.bootstrap import METHOD as BOOTSTRAP_METHOD
from synthscope.metrics.bootstrap import bootstrap_mean_ci
from synthscope.metrics.classifier import CnnSettings, choose_probe_c, train_linear_probe
from synthscope.metrics.confusion import collapse_findings, confusion_counts, confusion_entry
from synthscope.metrics.fits import FitCache, digest
from synthscope.metrics.inception_score import METHOD as IS_METHOD
from synthscope.metrics.inception_score import inception_score
from synthscope.metrics.metric import Metric, ScoreInputs, register_metric
from synthscope.params import CopyRule, ScoreParams

Predictor = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class CasSettings:
    model: Literal["cnn", "linear"] = "linear"
    test_fraction: float = 0.3
    seed: int = 0
    bootstrap_reps: int = 1000
    is_splits: int = 10
    mem_hamming: int = 2  # near copies of real test images (near_copy.mem_*) are not trained on
    mem_cosine: float = 0.98
    augmentation: bool = True
    probe_c: float | None = None  # None: chosen by cross-validation on the real training split
    probe_cs: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
    probe_folds: int = 3
    orientation_invariant: bool | None = None  # the CNN's flips and rotations; None: decided from the real data
    cnn: CnnSettings = field(default_factory=CnnSettings)
    collapse_share: float = 0.5  # a real class given to one other class this often is a "collapse" finding

    @classmethod
    def from_params(cls, p: ScoreParams, copies: CopyRule) -> CasSettings:
        """The CAS settings of this audit (the probe's C and the CNN's transforms are resolved later,
        from the real training split: :func:`resolve_classifier`); ``copies``: ``near_copy.memorization``,
        the near copies of real test images left out of training."""
        return cls(
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
            collapse_share=p.collapse_share,
        )


@dataclass(frozen=True)
class LabelledSet:
    """One role's samples: ``ids`` str (N,), ``labels`` str (N,), and the model input ``x``:
    uint8 images (N, H, W, 3) for the CNN or float features (N, D) for the linear probe."""

    ids: np.ndarray
    labels: np.ndarray
    x: np.ndarray
    dhash: np.ndarray | None = None  # int (N,) difference hashes, for near-copy detection
    emb: np.ndarray | None = None  # float (N, D) embeddings, for near-copy detection (x when linear)

    def copy_keys(self) -> CopyKeys:
        return CopyKeys(self.ids.astype(str), self.dhash, self.emb)

    def take(self, idx: np.ndarray) -> LabelledSet:
        return LabelledSet(self.ids[idx], self.labels[idx], self.x[idx],
                           None if self.dhash is None else self.dhash[idx],
                           None if self.emb is None else self.emb[idx])

    def concat(self, other: LabelledSet) -> LabelledSet:
        def both(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
            return None if a is None or b is None else np.concatenate([a, b])

        return LabelledSet(np.concatenate([self.ids, other.ids]), np.concatenate([self.labels, other.labels]),
                           np.concatenate([self.x, other.x]), both(self.dhash, other.dhash),
                           both(self.emb, other.emb))


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded per-class split -> sorted (train_idx, test_idx); each class keeps >= 1 train, >= 1 test."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in sorted(set(labels.tolist())):
        idx = rng.permutation(np.flatnonzero(labels == label))
        if len(idx) < 2:
            raise DataError(f"class {label!r} has {len(idx)} real image(s); CAS needs at least 2 per class")
        n_test = min(len(idx) - 1, max(1, round(test_fraction * len(idx))))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def trainer(settings: CasSettings, n_classes: int) -> Callable[[np.ndarray, np.ndarray], Predictor]:
    def fit(x: np.ndarray, y: np.ndarray) -> Predictor:
        if settings.model == "linear":
            if settings.probe_c is None:
                raise ValueError("the probe's C is chosen first: resolve_classifier(split, settings)")
            return train_linear_probe(x, y, n_classes, settings.probe_c).probabilities
        if len(np.unique(y)) < 2:
            raise DataError(
                "a classifier needs at least two classes in its training set; add labelled images"
            )
        from synthscope.metrics.cnn import cnn_probabilities, train_cnn  # torch: only where the CNN runs

        model = train_cnn(x, y, n_classes, settings.cnn, settings.seed)
        return lambda images: cnn_probabilities(model, images)

    return fit


def timed_fit(fit: Callable[[np.ndarray, np.ndarray], Predictor], x: np.ndarray, y: np.ndarray):
    """(predictor, training seconds)."""
    start = time.perf_counter()
    predictor = fit(x, y)
    return predictor, time.perf_counter() - start


@dataclass(frozen=True)
class RealSplit:
    """The real set's seeded train/test split and the class coding every classifier shares."""

    real: LabelledSet
    classes: list[str]
    train_idx: np.ndarray
    test_idx: np.ndarray

    def codes(self, labels: np.ndarray) -> np.ndarray:
        code = {c: i for i, c in enumerate(self.classes)}
        return np.array([code[c] for c in labels], dtype=np.int64)

    @property
    def test(self) -> LabelledSet:
        return self.real.take(self.test_idx)

    @property
    def train(self) -> LabelledSet:
        return self.real.take(self.train_idx)


def real_split(real: LabelledSet, others: list[LabelledSet], settings: CasSettings) -> RealSplit:
    """Split the real set (``settings.test_fraction``, ``seed``); classes are the union of all labels."""
    classes = sorted(set(np.concatenate([real.labels, *[o.labels for o in others]]).astype(str).tolist()))
    train_idx, test_idx = stratified_split(real.labels, settings.test_fraction, settings.seed)
    return RealSplit(real, classes, train_idx, test_idx)


def leak_free(synthetic: LabelledSet, split: RealSplit, settings: CasSettings) -> tuple[LabelledSet, np.ndarray]:
    """(the synthetic rows that copy no real test image, bool (N,) the rows left out)."""
    leak = copies_of_test(synthetic, split, settings)
    clean = synthetic.take(np.flatnonzero(~leak))
    if len(clean.ids) == 0:
        raise DataError("every synthetic image copies a real test image; CAS has nothing to train on")
    return clean, leak


def copies_of_test(candidates: LabelledSet, split: RealSplit, settings: CasSettings) -> np.ndarray:
    """bool (N,): candidate rows that are exact or near copies of real *test* images (the
    memorisation criterion, ``near_copy.mem_*``). Training on them would leak the test set."""
    test = split.test
    return near_copy_mask(candidates.copy_keys(), test.copy_keys(), settings.mem_hamming, settings.mem_cosine)


@dataclass(frozen=True)
class TestResult:
    """``correct`` bool (n_test,) on the real test split; ``predictor`` to score other images."""

    correct: np.ndarray
    seconds: float
    n_train: int
    predictor: Predictor
    predicted: np.ndarray  # int (n_test,) class codes: the confusion matrix


def _training_key(settings: CasSettings) -> dict:
    """The settings a trained model depends on (not the bootstrap, the split or the IS splits)."""
    if settings.model == "linear":
        return {"model": "linear", "c": settings.probe_c}
    return {"model": "cnn", "seed": settings.seed, "cnn": asdict(settings.cnn)}


def train_and_test(train: LabelledSet, split: RealSplit, settings: CasSettings, cache: FitCache | None = None,
                   need_predictor: bool = False) -> TestResult:
    """Train the configured classifier on ``train`` and test it on the real test split: the one
    CAS training/evaluation path (score stage, learning curves and debias evaluation).

    With a ``cache`` an identical fit (same settings, training and test inputs and labels,
    classes) is served instead of trained again; ``predictor`` is None for a fit served from disk
    unless ``need_predictor``.
    """
    test = split.test
    y_train, y_test = split.codes(train.labels), split.codes(test.labels)

    def compute() -> tuple[dict, Predictor]:
        fit = trainer(settings, len(split.classes))
        predictor, seconds = timed_fit(fit, train.x, y_train)
        predicted = predictor(test.x).argmax(axis=1)
        return {"predicted": predicted.astype(np.int64), "seconds": float(seconds)}, predictor

    if cache is None:
        arrays, predictor = compute()
    else:
        key = digest("cas-fit-v1", _training_key(settings), split.classes, train.x, y_train, test.x, y_test)
        arrays, predictor = cache.get_or_compute(key, compute, need_predictor)
    predicted = np.asarray(arrays["predicted"], dtype=np.int64)
    return TestResult(predicted == y_test, float(arrays["seconds"]), len(train.ids), predictor, predicted)


LINEAR_NO_AUGMENTATION = ("none: the linear probe trains on the stored embeddings of the images as they are, "
                          "so no transform can change a label")
CANDIDATES = (("none", False, False), ("flip", True, False), ("flip+rot90", True, True))


def _probe_c(split: RealSplit, settings: CasSettings, cache: FitCache | None) -> ProbeC:
    train = split.train

    def compute() -> tuple[dict, None]:  # the fit cache stores arrays
        choice = choose_probe_c(train.x, split.codes(train.labels), settings.probe_cs, settings.probe_folds,
                                settings.seed)
        return {"c": choice.c, "method": choice.method, "grid": np.asarray(choice.grid),
                "cv_accuracy": np.asarray(choice.cv_accuracy or [])}, None

    if cache is None:
        arrays = compute()[0]
    else:
        key = digest("probe-c-v1", settings.probe_cs, settings.probe_folds, settings.seed, train.x,
                     split.codes(train.labels))
        arrays = cache.get_or_compute(key, compute)[0]
    cv = [float(a) for a in np.atleast_1d(arrays["cv_accuracy"])]
    return ProbeC(c=float(arrays["c"]), method=str(arrays["method"]),
                  grid=[float(g) for g in np.atleast_1d(arrays["grid"])], cv_accuracy=cv or None)


def _decide_augmentation(split: RealSplit, settings: CasSettings, cache: FitCache | None) -> AugmentationDecision:
    """The CNN's transforms, from ``orientation_invariant`` or, when that is None, from the real data:
    real->real accuracy of each candidate (none, flips, flips + 90-degree rotations) trained on 80%
    of the real training split and tested on the other 20% (the real test split is not looked at).
    Ties go to fewer transforms."""
    if settings.orientation_invariant is not None:
        name = "flip+rot90" if settings.orientation_invariant else "none"
        return AugmentationDecision(transforms=name, decided_by=f"declared: score.orientation_invariant is "
                                    f"{str(settings.orientation_invariant).lower()}", validation=None)
    if min(np.unique(split.train.labels, return_counts=True)[1]) < 2:
        return AugmentationDecision(transforms="none", decided_by="too few real training images per class to "
                                    "decide; none, which cannot change a label", validation=None)
    inner_train, inner_val = stratified_split(split.train.labels, 0.2, settings.seed + 1)
    inner = RealSplit(split.train, split.classes, inner_train, inner_val)
    scores = {}
    for name, flip, rotate in CANDIDATES:
        trial = replace(settings, cnn=replace(settings.cnn, flip=flip, rotate=rotate))
        scores[name] = float(train_and_test(inner.train, inner, trial, cache).correct.mean())
    best = max(scores.values())
    chosen = next(name for name, _, _ in CANDIDATES if scores[name] == best)
    return AugmentationDecision(transforms=chosen, decided_by="real->real accuracy with and without each transform, "
                                f"trained on 80% of the real training split and tested on the other 20% "
                                f"({len(inner_val)} images)", validation=scores)


def resolve_classifier(split: RealSplit, settings: CasSettings, cache: FitCache | None = None
                       ) -> tuple[CasSettings, Classifier]:
    """Fix what the settings leave open from the real training split only: the probe's C (by
    cross-validation) or the CNN's augmentation; return the settings and metrics.json ``classifier``."""
    if settings.model == "linear":
        if settings.probe_c is None:
            c_choice = _probe_c(split, settings, cache)
        else:
            c_choice = ProbeC(c=settings.probe_c, method="given: score.cas_probe_c", grid=[settings.probe_c],
                              cv_accuracy=None)
        resolved = replace(settings, probe_c=c_choice.c)
        return resolved, Classifier(name="linear probe", description="L2-regularised multinomial logistic "
                                    "regression on standardised stored embeddings", c=c_choice,
                                    augmentation=AugmentationDecision(transforms="none",
                                                                      decided_by=LINEAR_NO_AUGMENTATION,
                                                                      validation=None))
    decision = _decide_augmentation(split, settings, cache)
    flip, rotate = next((f, r) for n, f, r in CANDIDATES if n == decision.transforms)
    resolved = replace(settings, cnn=replace(settings.cnn, flip=flip, rotate=rotate))
    return resolved, Classifier(name="cnn", description=f"small CNN trained from scratch on {settings.cnn.epochs}+ "
                                "epochs of the images", c=None, augmentation=decision)


def accuracy_entry(correct: np.ndarray, reps: int, seed: int) -> Accuracy:
    """The mean of per-test-image correctness (bool or a paired difference), its bootstrap interval and ``n``."""
    return Accuracy(
        value=float(np.mean(correct)),
        ci95=bootstrap_mean_ci(correct, reps, seed),
        method=BOOTSTRAP_METHOD,
        n=int(len(correct)),
    )


def _trained(correct: np.ndarray, result: TestResult, reps: int, seed: int) -> TrainedAccuracy:
    return extended(accuracy_entry(correct, reps, seed), TrainedAccuracy, train_seconds=result.seconds,
                    n_train=result.n_train)


def _per_class(split: RealSplit, s2r: np.ndarray, r2r: np.ndarray) -> dict[str, ClassAccuracy]:
    y_test = split.codes(split.test.labels)
    gap = r2r.astype(float) - s2r.astype(float)
    out = {}
    for i, name in enumerate(split.classes):
        mask = y_test == i
        if mask.any():
            out[name] = ClassAccuracy(
                synthetic_to_real=float(s2r[mask].mean()),
                real_to_real=float(r2r[mask].mean()),
                gap=float(gap[mask].mean()),
                n_test=int(mask.sum()),
            )
    return out


def _domain_inception_score(predictor: Predictor, synthetic: LabelledSet, n_classes: int,
                            settings: CasSettings) -> DomainInceptionScore:
    log_probs = np.log(np.clip(predictor(synthetic.x), 1e-12, None))
    score = inception_score(log_probs, settings.is_splits, settings.seed)
    ci = score.ci95()
    return DomainInceptionScore(
        value=score.mean,
        ci95=ci,
        method=IS_METHOD,
        std=score.std,
        splits=len(score.scores),
        max=float(n_classes),
        label=f"domain Inception Score: from a {settings.model} classifier trained on the real split "
        f"({n_classes} classes), not comparable with ImageNet Inception Scores",
    )


def classification_accuracy_score(synthetic: LabelledSet, real: LabelledSet, settings: CasSettings,
                                  cache: FitCache | None = None) -> dict[str, Document]:
    """Return {"cas": Cas, "domain_inception_score": ..., "augmentation": ... (if enabled)}: metrics.json entries.

    Synthetic images that copy a real test image are left out of every training set (see
    :func:`copies_of_test`); ``cas.excluded_copies_of_test`` says how many. Accuracy CIs
    bootstrap the real test samples with the trained models held fixed; the gap's CI
    resamples the paired per-sample difference.
    """
    split = real_split(real, [synthetic], settings)
    settings, classifier = resolve_classifier(split, settings, cache)
    clean, leak = leak_free(synthetic, split, settings)
    reps, seed = settings.bootstrap_reps, settings.seed
    syn = train_and_test(clean, split, settings, cache)
    ref = train_and_test(split.train, split, settings, cache, need_predictor=True)
    gap = ref.correct.astype(float) - syn.correct.astype(float)
    test_ids = "\n".join(sorted(split.test.ids.astype(str).tolist()))
    out: dict[str, Document] = {
        "cas": extended(
            accuracy_entry(syn.correct, reps, seed), Cas,
            synthetic_to_real=accuracy_entry(syn.correct, reps, seed),
            real_to_real=accuracy_entry(ref.correct, reps, seed),
            gap=accuracy_entry(gap, reps, seed),
            per_class=_per_class(split, syn.correct, ref.correct),
            confusion=confusion_entry(
                confusion_counts(split.codes(split.test.labels), syn.predicted, len(split.classes)), split.classes),
            model=settings.model,
            classifier=classifier,
            excluded_copies_of_test=int(leak.sum()),
            train_seconds=TrainSeconds(synthetic=syn.seconds, real=ref.seconds),
            split=CasSplit(
                seed=settings.seed,
                test_fraction=settings.test_fraction,
                n_train_real=int(len(split.train_idx)),
                n_test_real=int(len(split.test_idx)),
                n_train_synthetic=syn.n_train,
                test_ids_sha256=hashlib.sha256(test_ids.encode()).hexdigest(),
            ),
        )
    }
    out["domain_inception_score"] = _domain_inception_score(ref.predictor, synthetic, len(split.classes), settings)
    if settings.augmentation:
        aug = train_and_test(split.train.concat(clean), split, settings, cache)
        gain = aug.correct.astype(float) - ref.correct.astype(float)
        out["augmentation"] = extended(
            accuracy_entry(gain, reps, seed), Augmentation,
            label="accuracy on real test gained by adding the synthetic set to real training",
            excluded_copies_of_test=int(leak.sum()),
            real_only=_trained(ref.correct, ref, reps, seed),
            real_plus_synthetic=_trained(aug.correct, aug, reps, seed),
            gain=accuracy_entry(gain, reps, seed),
        )
    return out


def labelled_sets(inp: ScoreInputs, model: str) -> tuple[LabelledSet, LabelledSet]:
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


def cas_metric(inp: ScoreInputs) -> dict[str, Document]:
    """metrics.json ``cas`` (with why this model and the collapsed classes), ``domain_inception_score``
    and, with ``score.augmentation``, ``augmentation``."""
    settings = CasSettings.from_params(inp.params, inp.copies)
    out = classification_accuracy_score(*labelled_sets(inp, settings.model), settings, inp.fits)
    cas = out["cas"]
    assert isinstance(cas, Cas) and cas.confusion is not None
    out["cas"] = cas.model_copy(update={
        "model_choice": f"score.cas_model is {settings.model}",
        "collapse": collapse_findings(cas.confusion, settings.collapse_share),
    })
    return out


register_metric("cas", Metric(compute=cas_metric, outputs=("cas", "domain_inception_score", "augmentation"),
                              needs_reference=True, needs_labels=True))
