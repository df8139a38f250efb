"""The classifiers CAS trains: a linear probe on stored embeddings (the default) and a small CNN on images.

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

import itertools
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
from torch import nn

from synthscope.documents.metrics import ProbeC
from synthscope.errors import DataError
from synthscope.logs import progress


@dataclass(frozen=True)
class CnnSettings:
    epochs: int = 15
    batch_size: int = 64
    lr: float = 3e-3
    width: int = 32
    min_steps: int = 300  # small sets get at least this many optimiser steps, not just `epochs` passes
    flip: bool = False  # random horizontal flips (only where mirror images keep their label)
    rotate: bool = False  # random 90-degree rotations (only where orientation does not carry the label)


class SmallCnn(nn.Module):
    """Four conv-BN-ReLU-pool blocks (w, w, 2w, 2w channels), global max pool, linear head.

    The fourth block and the max pool are there for small sets: with three blocks and an
    average pool the receptive field (22 px) misses whole objects at 64 px and the net did
    not beat chance on the 180-image demo shapes; this one reaches 0.89 real-to-real
    (measured). About 60k parameters at width 32; a few thousand 64x64 images train in
    about a minute on two CPU cores.
    """

    def __init__(self, n_classes: int, width: int = 32) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for out in (width, width, 2 * width, 2 * width):
            layers += [
                nn.Conv2d(channels, out, 3, padding=1, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).amax(dim=(2, 3)))


def images_to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> float32 (N, 3, H, W) in [-1, 1], channels-last memory (faster on CPU)."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)
    return x.contiguous(memory_format=torch.channels_last)


def _augment(xb: torch.Tensor, flip: bool, rotate: bool, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flips when ``flip``, one random multiple of 90 degrees per batch when ``rotate``.
    Neither preserves the label of a letter or a digit: both are off unless decided (``cas.decide_augmentation``)."""
    if flip:
        mirrored = torch.rand(len(xb), generator=generator) < 0.5
        xb = torch.where(mirrored[:, None, None, None], xb.flip(3), xb)
    if rotate:
        k = int(torch.randint(4, (1,), generator=generator))
        xb = torch.rot90(xb, k, (2, 3)).contiguous(memory_format=torch.channels_last)
    return xb


def train_cnn(
    images: np.ndarray, labels: np.ndarray, n_classes: int, settings: CnnSettings, seed: int
) -> SmallCnn:
    """AdamW with a one-cycle schedule over ``max(epochs passes, min_steps)`` seeded minibatches."""
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = SmallCnn(n_classes, settings.width).to(memory_format=torch.channels_last)
    x, y = images_to_tensor(images), torch.as_tensor(labels, dtype=torch.long)
    steps_per_epoch = max(1, -(-len(x) // settings.batch_size))
    total = max(settings.epochs * steps_per_epoch, settings.min_steps)
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=settings.lr, total_steps=total)
    model.train()
    step = 0
    # ``total`` is at least one step; an epoch can give fewer steps than batches (a 1-image batch is skipped)
    for _epoch in progress(itertools.count(), "CAS training epochs", total=-(-total // steps_per_epoch)):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), settings.batch_size):
            if step == total:
                break
            idx = order[start : start + settings.batch_size]
            if len(idx) < 2:  # BatchNorm needs two samples
                continue
            xb = _augment(x[idx], settings.flip, settings.rotate, generator)
            loss = nn.functional.cross_entropy(model(xb), y[idx])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            step += 1
        if step >= total:
            break
    return model.eval()


def cnn_probabilities(model: SmallCnn, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """uint8 (N, H, W, 3) -> float64 (N, n_classes) softmax probabilities."""
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            out.append(torch.softmax(model(images_to_tensor(images[start : start + batch_size])), dim=1))
    return torch.cat(out).double().numpy() if out else np.zeros((0, model.head.out_features))


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
