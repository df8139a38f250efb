"""FID Inception parity with pytorch-fid 0.3.0 (the oracle) given the same weights file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from pytorch_fid.fid_score import calculate_frechet_distance, get_activations
from pytorch_fid.inception import InceptionV3

from synthscope.features.extract import compute_shard
from synthscope.features.extractors import resolve_extractor
from synthscope.features.shards import Shard
from synthscope.store import FeatureStore
from tests.fid_weights import place_in_hub
from tests.shapes import write_shapes


def fid(a: np.ndarray, b: np.ndarray) -> float:
    return float(
        calculate_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    )


def projected_fid(a: np.ndarray, b: np.ndarray, dims: int = 6, seed: int = 0) -> float:
    """Fréchet distance after a fixed random orthonormal projection to ``dims`` < n samples.

    With 8 images per side the 2048-d covariances have rank 7, their product's square root
    is ill-conditioned (scipy returns large imaginary parts), so the full-dimension FID is
    not a stable quantity to compare; a projection to fewer dims than samples is.
    """
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(a.shape[1], dims)))
    return fid(a @ q, b @ q)


@pytest.mark.slow
def test_features_and_fid_match_pytorch_fid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same random weights in the hub cache, same PNGs: our stage path vs get_activations.

    Features agree to 1e-4 relative (channels-last and batched convolutions reorder float
    sums, ~1e-6), and so does the Fréchet distance between two halves computed from each
    feature set (see :func:`projected_fid` for why it is projected).
    """
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("SYNTHSCOPE_INCEPTION_WEIGHTS", raising=False)
    place_in_hub(tmp_path / "torch")
    files = write_shapes(tmp_path / "imgs", 16, seed=3)

    theirs_model = InceptionV3([3])  # loads pt_inception-...pth from TORCH_HOME's hub cache
    theirs = get_activations([str(f) for f in files], theirs_model, batch_size=8, num_workers=0)

    extractor = resolve_extractor("inception-fid", allow_download=False)
    assert extractor.weights.source == "hub-cache" and extractor.weights.label == "custom"
    ids = tuple(f"id{i}" for i in range(len(files)))
    compute_shard(
        Shard(0, ids, tuple(map(str, files)), True),
        extractor,
        str(tmp_path / "store"),
        batch_size=5,
        workers=2,
        part_rows=8,
    )
    ours = FeatureStore(tmp_path / "store").read(list(ids), extractor.key)
    feats = ours["features"].astype(np.float64)

    assert feats.shape == (16, 2048) and ours["logits"].shape == (16, 1008)
    assert np.std(theirs, axis=0).mean() > 1e-3  # the calibrated random net is not degenerate
    rel = np.abs(feats - theirs).max() / np.abs(theirs).max()
    assert rel < 1e-4
    fid_ours, fid_theirs = projected_fid(feats[:8], feats[8:]), projected_fid(theirs[:8], theirs[8:])
    assert fid_theirs > 1e-3
    assert abs(fid_ours - fid_theirs) / fid_theirs < 1e-4
    # The mean term alone is the FID's closed form for equal covariances, over all 2048 dims.
    mean_ours = np.sum((feats[:8].mean(0) - feats[8:].mean(0)) ** 2)
    mean_theirs = np.sum((theirs[:8].mean(0) - theirs[8:].mean(0)) ** 2)
    assert abs(mean_ours - mean_theirs) / mean_theirs < 1e-4
    # The logits are the FID graph's classifier on pool3 without its bias, torch-fidelity's
    # ``logits_unbiased`` (pytorch-fid drops fc: recompute it from the same weights file).
    state = torch.load(
        tmp_path / "torch/hub/checkpoints/pt_inception-2015-12-05-6726825d.pth", weights_only=True
    )
    logits = theirs @ state["fc.weight"].double().numpy().T
    assert np.abs(state["fc.bias"].double().numpy()).max() > 1e-3  # so the bias would have shown
    assert np.abs(ours["logits"] - logits).max() / np.abs(logits).max() < 1e-4
