"""The classifiers CAS trains: a linear probe on stored embeddings (the default) and a small CNN on
images (``metrics.cnn``: torch is imported only where the CNN runs, not by every stage that reads CAS).

Both take integer labels in ``range(n_classes)`` and return class probabilities, so CAS,
the real-to-real baseline, the augmentation comparison and the domain Inception Score share
one code path. Training is seeded: the same inputs and seed give the same probabilities.

The probe is an L2-regularised multinomial logistic regression on standardised embeddings;
its C comes from stratified k-fold cross-validation on a training set (:func:`choose_probe_c`),
never from the test images. Its fits run on one BLAS thread: at these sizes (a few thousand
rows, 1280-2048 columns) a second thread only adds synchronisation, and on a busy 2-core
machine it made a 0.3 s fit take 5 s (measured).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from synthscope.documents.metrics import ProbeC
from synthscope.errors import DataError


@dataclass(frozen=True)
class CnnSettings:
    epochs: int = 15
    batch_size: int = 64
    lr: float = 3e-3
    width: int = 32
    min_steps: int = 300  # small sets get at least this many optimiser steps, not just `epochs` passes
    flip: bool = False  # random horizontal flips (only where mirror images keep their label)
    rotate: bool = False  # random 90-degree rotations (only where orientation does not carry the label)


@dataclass(frozen=True)
class LinearProbe:
    """Standardised features -> multinomial logistic regression; classes absent in training get p=0."""

    scaler: StandardScaler
    model: LogisticRegression
    n_classes: int

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """float (N, D) -> float64 (N, n_classes)."""
        probs = np.zeros((len(features), self.n_classes))
        probs[:, self.model.classes_] = self.model.predict_proba(self.scaler.transform(features))
        return probs


def _fit_logistic(x: np.ndarray, y: np.ndarray, c: float, max_iter: int,
                  warm: LogisticRegression | None = None) -> LogisticRegression:
    model = warm if warm is not None else LogisticRegression(C=c, max_iter=max_iter, warm_start=True)
    model.set_params(C=c)
    with threadpool_limits(1):
        model.fit(x, y)
    return model


def train_linear_probe(
    features: np.ndarray, labels: np.ndarray, n_classes: int, c: float = 1.0, max_iter: int = 1000
) -> LinearProbe:
    """Fit on (N, D) features and integer labels; L-BFGS is deterministic, so no seed is needed."""
    scaler = StandardScaler().fit(features)
    if len(np.unique(labels)) < 2:
        raise DataError("a classifier needs at least two classes in its training set; add labelled images")
    model = _fit_logistic(scaler.transform(features), labels, c, max_iter)
    return LinearProbe(scaler=scaler, model=model, n_classes=n_classes)


def choose_probe_c(features: np.ndarray, labels: np.ndarray, grid: tuple[float, ...], folds: int,
                   seed: int, max_iter: int = 1000) -> ProbeC:
    """C by stratified ``folds``-fold cross-validation on a training set: the grid value with the best
    mean held-out accuracy (ties: the smaller C, the stronger regularisation).

    Each fold walks the grid from small to large C, warm-starting from the previous solution (the
    regularisation path). With fewer than two images in some class there is nothing to hold out:
    the grid's middle value is used, and ``method`` says so.
    """
    grid = tuple(sorted(grid))
    counts = np.bincount(np.unique(labels, return_inverse=True)[1])
    k = min(folds, int(counts.min())) if len(counts) > 1 else 0
    if k < 2:
        return ProbeC(c=grid[len(grid) // 2], method="the grid's middle value: some class has fewer than 2 "
                      "training images, too few to cross-validate", grid=list(grid), cv_accuracy=None)
    correct = np.zeros(len(grid))
    for train, held in StratifiedKFold(k, shuffle=True, random_state=seed).split(features, labels):
        scaler = StandardScaler().fit(features[train])
        x_train, x_held = scaler.transform(features[train]), scaler.transform(features[held])
        model = None
        for j, c in enumerate(grid):
            model = _fit_logistic(x_train, labels[train], c, max_iter, model)
            correct[j] += float((model.predict(x_held) == labels[held]).sum())
    accuracy = correct / len(labels)
    best = int(np.flatnonzero(accuracy == accuracy.max())[0])
    return ProbeC(c=grid[best], method=f"{k}-fold stratified cross-validation on the real training split "
                  f"(seed {seed})", grid=list(grid), cv_accuracy=[float(a) for a in accuracy])
