"""Acceptance: every stage's document from a real demo audit validates against its published JSON Schema,
and the scan's memorisation examples are exactly the copies the demo planted."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from synthscope.config import load_config
from synthscope.demo.generate import read_truth
from synthscope.documents import DOCUMENTS
from synthscope.stages import STAGES, run_stage
from tests.built_once import built_once
from tests.conftest import FAST_PARAMS
from tests.debias_pipeline import debias_and_compare

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
OFFLINE = {"features.extractor": "mobilenet-v2", "features.download": False, "ingest.workers": 1}


@pytest.fixture(scope="module")
def audit(demo_dir: Path, demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every stage on the small demo (20 images per class) with the tests' fast params, the
    re-scans around debias included (as the flow and dvc.yaml run them); built once per run (the
    parametrised tests below land on several workers and only read it)."""
    def build(tmp: Path) -> None:
        overrides = {"synthetic": str(demo_dir / "synthetic"), "real": str(demo_dir / "real"),
                     "output_dir": str(tmp / "out"), "store_dir": str(demo_store)}
        config = load_config(None, overrides, None, FAST_PARAMS | OFFLINE)
        for stage in STAGES:
            if stage == "debias":
                debias_and_compare(config)
            elif stage != "compare":
                run_stage(stage, config)

    return built_once(tmp_path_factory, "documents-audit", build) / "out"


@pytest.mark.slow
# monitor.json is written by `synthscope monitor`, not by an audit: tests/unit/test_monitor.py validates it
@pytest.mark.parametrize("name", [n for n in DOCUMENTS.names() if n != "monitor"])
def test_stage_document_validates_against_the_published_schema(audit, name):
    spec = DOCUMENTS.get(name)
    data = json.loads((audit / spec.file).read_text(encoding="utf-8"))
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.slow
def test_memorisation_examples_are_the_planted_copies_and_reach_the_gallery(audit, demo_dir):
    _, truth = read_truth(demo_dir / "synthetic")
    planted = {(r.path, r.copied_from) for r in truth[truth["source"] == "memorized"].itertuples()}
    bias = json.loads((audit / "bias.json").read_text(encoding="utf-8"))
    (overall,) = [f for f in bias["findings"] if f["check"] == "memorization" and f["class"] is None]
    assert planted and {(e["synthetic"]["path"], e["real"]["path"]) for e in overall["examples"]} == planted
    report = json.loads((audit / "report.json").read_text(encoding="utf-8"))
    shown = {(p["query"]["path"], p["neighbour"]["path"]) for p in report["memorized"]}
    assert shown and shown <= planted
    assert "no real neighbour" not in (audit / "report.html").read_text(encoding="utf-8")
