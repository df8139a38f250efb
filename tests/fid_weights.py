"""Random but non-degenerate FID-Inception weights for parity tests and the bench.

A freshly initialised Inception gives near-constant features (its BatchNorm statistics are
the identity), so the running statistics are calibrated on one batch of random inputs in
train mode; the resulting state_dict has pytorch-fid's key names.
"""

from __future__ import annotations

from pathlib import Path

import torch

from synthscope.features.inception import FIDInception

FID_FILE = "pt_inception-2015-12-05-6726825d.pth"


def random_fid_state_dict(seed: int = 0, batch: int = 4) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    model = FIDInception()
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # cumulative average over the calibration batch
            module.reset_running_stats()
    model.train()
    with torch.no_grad():
        model(torch.rand(batch, 3, 299, 299, generator=torch.Generator().manual_seed(seed)) * 2 - 1)
    return model.net.state_dict()


def place_in_hub(torch_home: Path, seed: int = 0) -> Path:
    """Save the random weights where both pytorch-fid and synthscope look: the hub cache."""
    path = torch_home / "hub" / "checkpoints" / FID_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(random_fid_state_dict(seed), path)
    return path
