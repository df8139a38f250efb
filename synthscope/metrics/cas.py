"""Labelled synthetic + real sets -> Classification Accuracy Score, its real baseline, and utility.

CAS (Ravuri & Vinyals 2019): train a classifier on the synthetic set, measure its accuracy on
held-out real images. The same classifier trained on the real training split and tested on
the same real test split is the baseline; the gap is what the synthetic data costs. The
real-trained classifier also scores the synthetic images (domain Inception Score) and, with
real + synthetic training, answers the augmentation question: does adding the synthetic set
help on real test data, and at what compute cost?
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from synthscope.errors import DataError
from synthscope.metrics.bootstrap import bootstrap_ci, bootstrap_mean_ci
from synthscope.metrics.classifier import (
    CnnSettings,
    cnn_probabilities,
    train_cnn,
    train_linear_probe,
)
from synthscope.metrics.confusion import confusion_counts, confusion_entry
from synthscope.metrics.inception_score import inception_score

Predictor = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class CasSettings:
    model: Literal["cnn", "linear"] = "cnn"
    test_fraction: float = 0.3
    seed: int = 0
    bootstrap_reps: int = 1000
    is_splits: int = 10
    augmentation: bool = True
    probe_c: float = 1.0
    cnn: CnnSettings = field(default_factory=CnnSettings)


@dataclass(frozen=True)
class LabelledSet:
    """One role's samples: ``ids`` str (N,), ``labels`` str (N,), and the model input ``x``:
    uint8 images (N, H, W, 3) for the CNN or float features (N, D) for the linear probe."""

    ids: np.ndarray
    labels: np.ndarray
    x: np.ndarray


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
            return train_linear_probe(x, y, n_classes, settings.probe_c).probabilities
        if len(np.unique(y)) < 2:
            raise DataError(
                "a classifier needs at least two classes in its training set; add labelled images"
            )
        model = train_cnn(x, y, n_classes, settings.cnn, settings.seed)
        return lambda images: cnn_probabilities(model, images)

    return fit


def timed_fit(fit: Callable[[np.ndarray, np.ndarray], Predictor], x: np.ndarray, y: np.ndarray):
    start = time.perf_counter()
    predictor = fit(x, y)
    return predictor, time.perf_counter() - start


def _accuracy(correct: np.ndarray, reps: int, seed: int) -> dict:
    return {
        "value": float(correct.mean()),
        "ci95": list(bootstrap_mean_ci(correct, reps, seed)),
        "n": int(len(correct)),
    }


def classification_accuracy_score(synthetic: LabelledSet, real: LabelledSet, settings: CasSettings) -> dict:
    """Return {"cas": {...}, "domain_inception_score": {...}, "augmentation": {...} (if enabled)}.

    Accuracy CIs bootstrap the real test samples with the trained models held fixed; the gap's
    CI resamples the paired per-sample difference.
    """
    classes = sorted(set(real.labels.tolist()) | set(synthetic.labels.tolist()))
    code = {c: i for i, c in enumerate(classes)}
    y_syn = np.array([code[c] for c in synthetic.labels])
    y_real = np.array([code[c] for c in real.labels])
    train_idx, test_idx = stratified_split(real.labels, settings.test_fraction, settings.seed)
    fit = trainer(settings, len(classes))
    reps, seed = settings.bootstrap_reps, settings.seed

    syn_model, syn_seconds = timed_fit(fit, synthetic.x, y_syn)
    real_model, real_seconds = timed_fit(fit, real.x[train_idx], y_real[train_idx])
    x_test, y_test = real.x[test_idx], y_real[test_idx]
    s2r_pred = syn_model(x_test).argmax(axis=1)
    s2r = s2r_pred == y_test
    r2r = real_model(x_test).argmax(axis=1) == y_test
    gap = r2r.astype(float) - s2r.astype(float)

    per_class = {}
    for name in classes:
        mask = y_test == code[name]
        if mask.any():
            per_class[name] = {
                "synthetic_to_real": float(s2r[mask].mean()),
                "real_to_real": float(r2r[mask].mean()),
                "gap": float(gap[mask].mean()),
                "n_test": int(mask.sum()),
            }
    test_ids = "\n".join(sorted(real.ids[test_idx].astype(str).tolist()))
    out: dict = {
        "cas": {
            **_accuracy(s2r, reps, seed),
            "synthetic_to_real": _accuracy(s2r, reps, seed),
            "real_to_real": _accuracy(r2r, reps, seed),
            "gap": {"value": float(gap.mean()), "ci95": list(bootstrap_mean_ci(gap, reps, seed))},
            "per_class": per_class,
            "confusion": confusion_entry(confusion_counts(y_test, s2r_pred, len(classes)), classes),
            "model": settings.model,
            "train_seconds": {"synthetic": syn_seconds, "real": real_seconds},
            "split": {
                "seed": settings.seed,
                "test_fraction": settings.test_fraction,
                "n_train_real": int(len(train_idx)),
                "n_test_real": int(len(test_idx)),
                "n_train_synthetic": int(len(synthetic.ids)),
                "test_ids_sha256": hashlib.sha256(test_ids.encode()).hexdigest(),
            },
        }
    }
    probs = real_model(synthetic.x)
    log_probs = np.log(np.clip(probs, 1e-12, None))
    score = inception_score(log_probs, settings.is_splits, seed)
    score_ci = bootstrap_ci(
        lambda lp: inception_score(lp, settings.is_splits, seed).mean, [log_probs], reps, seed
    )
    out["domain_inception_score"] = {
        "value": score.mean,
        "ci95": list(score_ci),
        "std": score.std,
        "splits": len(score.scores),
        "max": float(len(classes)),
        "label": f"Inception Score from a {settings.model} classifier trained on the real split "
        f"({len(classes)} classes)",
    }
    if settings.augmentation:
        x_aug = np.concatenate([real.x[train_idx], synthetic.x])
        y_aug = np.concatenate([y_real[train_idx], y_syn])
        aug_model, aug_seconds = timed_fit(fit, x_aug, y_aug)
        aug = aug_model(x_test).argmax(axis=1) == y_test
        gain = aug.astype(float) - r2r.astype(float)
        gain_ci = list(bootstrap_mean_ci(gain, reps, seed))
        out["augmentation"] = {
            "value": float(gain.mean()),
            "ci95": gain_ci,
            "label": "accuracy on real test gained by adding the synthetic set to real training",
            "real_only": {
                **_accuracy(r2r, reps, seed),
                "train_seconds": real_seconds,
                "n_train": int(len(train_idx)),
            },
            "real_plus_synthetic": {
                **_accuracy(aug, reps, seed),
                "train_seconds": aug_seconds,
                "n_train": int(len(x_aug)),
            },
            "gain": {"value": float(gain.mean()), "ci95": list(bootstrap_mean_ci(gain, reps, seed))},
        }
    return out
