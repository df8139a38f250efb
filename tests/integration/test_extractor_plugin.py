"""A feature extractor registered by a package outside synthscope runs through `synthscope metrics` and an audit.

``tests/fixtures/ext_pkg`` stands for a user's installed package: put on ``sys.path``, its entry
point (``synthscope.extractors``) is found by ``importlib.metadata``, so synthscope imports it the
first time ``toy-pixels`` is asked for; its weights ship in the package.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from synthscope.config import load_config
from synthscope.errors import ConfigError
from synthscope.features.extractors import EXTRACTORS, resolve_extractor
from synthscope.io import read_json
from tests.conftest import FAST_PARAMS

PLUGIN_ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "ext_pkg"


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(PLUGIN_ROOT))
    monkeypatch.setenv("PYTHONPATH", f"{PLUGIN_ROOT}:{sys.path[1] if len(sys.path) > 1 else ''}")
    importlib.invalidate_caches()
    yield
    EXTRACTORS._items.pop("toy-pixels", None)  # noqa: SLF001  (as if the package were uninstalled)
    sys.modules.pop("synthscope_toy_extractor", None)


def embed_directly(folder: Path) -> np.ndarray:
    """The plugin's network applied by hand (no synthscope code): the reference features."""
    import synthscope_toy_extractor as toy

    net = toy.ToyPixels()
    net.load_state_dict(torch.load(PLUGIN_ROOT / "synthscope_toy_extractor/weights/toy-pixels.pth"))
    files = sorted(p for p in folder.rglob("*.png"))
    batch = torch.stack([toy.preprocess(torch.from_numpy(np.asarray(Image.open(f).convert("RGB"))).permute(2, 0, 1))
                         for f in files])
    with torch.no_grad():
        return net(batch)[0].double().numpy()


def test_an_unknown_extractor_is_a_one_line_error_naming_the_choices():
    with pytest.raises(ConfigError, match=r"unknown feature extractor 'clip-vit'; choose one of .*mobilenet-v2"):
        resolve_extractor("clip-vit", allow_download=False)


def test_a_plugin_extractor_runs_through_synthscope_metrics(plugin, demo_dir, tmp_path, monkeypatch, capsys):
    from pytorch_fid.fid_score import calculate_frechet_distance

    assert "toy-pixels" not in EXTRACTORS  # not imported yet: the entry point finds it
    from synthscope import cli

    monkeypatch.setattr(sys, "argv", ["synthscope", "metrics", str(demo_dir / "synthetic"), str(demo_dir / "real"),
                                      "--extractor", "toy-pixels", "--json", "--store-dir", str(tmp_path / "store"),
                                      *(f"--set={k}={v}" for k, v in FAST_PARAMS.items())])
    cli.main()  # returns on success (exits otherwise)
    result = json.loads(capsys.readouterr().out)
    assert result["extractor"]["name"] == "toy-pixels" and result["extractor"]["weights"] == "official"
    syn, real = embed_directly(demo_dir / "synthetic"), embed_directly(demo_dir / "real")
    reference = calculate_frechet_distance(syn.mean(0), np.cov(syn, rowvar=False), real.mean(0), np.cov(real, rowvar=False))
    assert result["fid"]["value"] == pytest.approx(reference, rel=1e-3)
    assert result["fid"]["label"].startswith("Frechet distance in toy-pixels")  # never passed off as FID


def test_a_plugin_extractor_runs_through_an_audit(plugin, demo_dir, tmp_path):
    from synthscope.stages import run_stage

    over = {"synthetic": str(demo_dir / "synthetic"), "real": str(demo_dir / "real"),
            "output_dir": str(tmp_path / "out"), "store_dir": str(tmp_path / "store")}
    cfg = load_config(None, over, None, FAST_PARAMS | {"features.extractor": "toy-pixels", "features.workers": 0})
    for stage in ("ingest", "features", "scan", "score", "report"):
        run_stage(stage, cfg)
    out = tmp_path / "out"
    assert read_json(out / "features.json")["extractor"]["key"].startswith("toy-pixels-0b2161299f20-pool8-v1")
    assert read_json(out / "metrics.json")["extractor"]["name"] == "toy-pixels"
    assert read_json(out / "bias.json")["summary"]["extractor"]["dim"] == 32
    assert read_json(out / "report.json")["verdict"] in ("pass", "warn", "fail")
