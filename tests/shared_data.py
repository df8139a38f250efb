"""The shared test data beside the checkout (``SYNTHSCOPE_SHARED``, default ``<repo>/../shared``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("SYNTHSCOPE_SHARED", REPO.parent / "shared"))


def cifar_sample(per_class: int = 100) -> list[tuple[str, np.ndarray]]:
    """(label, (32, 32, 3) uint8) of the first ``per_class`` CIFAR-10 photos of each class; fails loudly if absent."""
    root = shared_dir() / "data" / "cifar10-sample"
    if not root.is_dir():
        pytest.fail(f"{root} is missing; set SYNTHSCOPE_SHARED to the folder holding data/cifar10-sample")
    out = []
    for cls in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(cls.iterdir())[:per_class]:
            out.append((cls.name, np.asarray(Image.open(f).convert("RGB"))))
    return out
