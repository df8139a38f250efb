"""Scan stage: reads attributes + embeddings, writes bias.json and bias_findings.parquet."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pandas as pd
import pytest

from synthscope.config import AuditConfig
from synthscope.errors import StageInputError
from synthscope.paths import OutputPaths
from synthscope.stages import scan as scan_stage
from tests.bias_fakes import make_attributes
from tests.documents_fakes import INFO


@pytest.fixture
def fake_store(monkeypatch: pytest.MonkeyPatch):
    """Stands in for synthscope.features.load until the features branch provides it."""
    captured = {}

    def load_embeddings(paths, store_dir):
        attrs = pd.read_parquet(paths.attributes)
        rng = np.random.default_rng(0)
        feats = rng.normal(size=(len(attrs), 16)).astype(np.float32)
        captured["n"] = len(attrs)
        index = attrs[["image_id", "role", "label", "path"]].iloc[::-1].reset_index(drop=True)  # other order
        return types.SimpleNamespace(
            index=index,
            features=feats[::-1].copy(),
            logits=None,
            extractor=INFO | {"name": "fake", "weights": "custom", "dim": 16},  # what features.json holds
        )

    module = types.ModuleType("synthscope.features.load")
    module.load_embeddings = load_embeddings
    monkeypatch.setitem(sys.modules, "synthscope.features.load", module)
    return captured


@pytest.mark.parametrize("with_real", [True, False])
def test_stage_writes_design_shaped_outputs(tmp_path, fake_store, with_real):
    syn = make_attributes(40, seed=1, hue_by_class={"circle": 0, "square": 220, "triangle": 120})
    frames = [syn] + ([make_attributes(40, seed=2, role="real")] if with_real else [])
    out = tmp_path / "out"
    out.mkdir()
    pd.concat(frames, ignore_index=True).to_parquet(OutputPaths(out).attributes)
    config = AuditConfig(
        "t", tmp_path / "syn", tmp_path / "real" if with_real else None, out, tmp_path / "store"
    )
    written = scan_stage.run(config)
    paths = OutputPaths(out)
    assert written == [paths.bias_json, paths.findings]
    result = json.loads(paths.bias_json.read_text())
    assert set(result) == {"findings", "groups", "summary", "drift_examples", "not_checked"}
    assert result["not_checked"] == []  # both sets labelled
    if with_real:  # the report shows these; it never refits the classifier
        examples = result["drift_examples"]
        assert len(examples) == config.params.scan.drift_examples
        assert [e["probability"] for e in examples] == sorted((e["probability"] for e in examples), reverse=True)
        assert {e["synthetic"]["image_id"] for e in examples} <= set(syn["image_id"])
    else:
        assert result["drift_examples"] is None
    shortcut = [f for f in result["findings"] if f["check"] == "shortcut" and f["severity"] == "high"]
    assert {f["class"] for f in shortcut} == {"circle", "square", "triangle"}
    assert {f["origin"] for f in shortcut} == ({"introduced"} if with_real else {"unknown"})
    table = pd.read_parquet(paths.findings)
    assert len(table) > len(result["findings"]) and set(table["severity"]) >= {"info", "high"}
    assert result["summary"]["reference"] == ("real" if with_real else "none")


def test_stage_without_attributes_names_the_fix(tmp_path):
    config = AuditConfig("t", tmp_path, None, tmp_path / "out", tmp_path / "store")
    with pytest.raises(StageInputError, match="synthscope stage features"):
        scan_stage.run(config)
