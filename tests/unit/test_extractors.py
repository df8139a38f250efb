"""Extractor registry contract, and MobileNetV2 against torchvision's own forward pass."""

from __future__ import annotations

import pytest
import torch
from torchvision.models import mobilenet_v2

from synthscope.features.extractors import EXTRACTORS, resolve_extractor
from synthscope.features.weights import load_state_dict


def test_every_registry_entry_gives_its_declared_shapes() -> None:
    """Contract over the registry: preprocess -> input_size, forward -> (dim, n_logits)."""
    import torch

    for name, spec in EXTRACTORS:
        x = spec.preprocess(torch.randint(0, 256, (3, 40, 56), dtype=torch.uint8))
        assert x.shape == (3, spec.input_size, spec.input_size), name
        net = spec.build().eval()
        with torch.inference_mode():
            feats, logits = net(x.unsqueeze(0))
        assert feats.shape == (1, spec.dim) and logits.shape == (1, spec.n_logits), name


def test_mobilenet_logits_match_torchvision(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our (features, logits) split of MobileNetV2 gives torchvision's logits on the official weights."""
    monkeypatch.delenv("SYNTHSCOPE_MOBILENET_WEIGHTS", raising=False)
    ex = resolve_extractor("mobilenet-v2", allow_download=False)
    ref = mobilenet_v2(weights=None)
    ref.load_state_dict(load_state_dict(ex.weights.path, "mobilenet-v2"))
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        feats, logits = ex.model()(x.contiguous(memory_format=torch.channels_last))
        expected = ref.eval()(x)
    assert feats.shape == (2, 1280)
    torch.testing.assert_close(logits, expected, rtol=1e-4, atol=1e-4)
