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


# The BatchNorms whose ReLU outputs are concatenated into Mixed_7c's 2048 channels (= pool3).
POOL3_BRANCHES = ("branch1x1", "branch3x3_2a", "branch3x3_2b", "branch3x3dbl_3a", "branch3x3dbl_3b", "branch_pool")


def low_rank_fid_state_dict(seed: int = 0, live: int = 8) -> dict[str, torch.Tensor]:
    """The random weights with all but ``live`` pool3 channels switched off (BN scale 0, shift -1:
    the ReLU outputs exactly 0).

    With a few dozen images the full 2048-d covariances have rank < N, and the trace term of
    FID is then ill-conditioned (scipy's sqrtm returns large imaginary parts): folder-level
    parity with pytorch-fid would need thousands of images. Exact zeros in all but ``live`` < N
    dimensions keep the whole network, preprocessing and 2048-d statistics in play while the
    distance stays well-conditioned.
    """
    state = random_fid_state_dict(seed)
    for branch in POOL3_BRANCHES:
        weight, bias = state[f"Mixed_7c.{branch}.bn.weight"], state[f"Mixed_7c.{branch}.bn.bias"]
        keep = live if branch == "branch1x1" else 0
        weight[keep:] = 0.0
        bias[keep:] = -1.0
    return state


def place_low_rank_in_hub(torch_home: Path, seed: int = 0, live: int = 8) -> Path:
    path = torch_home / "hub" / "checkpoints" / FID_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(low_rank_fid_state_dict(seed, live), path)
    return path
