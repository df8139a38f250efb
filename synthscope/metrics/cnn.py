"""CAS's from-scratch CNN (``score.cas_model: cnn``): trained on the images, not on the embeddings.

A module of its own so that the stages that only read CAS's results or train the linear probe
(score with the default classifier, compare) do not import torch for it (1.5 s a process).
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
from torch import nn

from synthscope.logs import progress
from synthscope.metrics.classifier import CnnSettings


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
