"""Re-scans of data debias left unchanged (``augmented.json`` ``built: false``) copy the audit's own
outputs instead of ingesting, embedding and scanning the same images again: by ``synthscope stage
--rescan`` (what dvc.yaml runs) and in the Prefect flow alike."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from synthscope.config import AuditConfig, load_config
from synthscope.paths import OutputPaths
from synthscope.stages import run_stage
from synthscope.stages.rescan import rescan_config, rescanned
from tests.cli_run import run_cli
from tests.conftest import FAST_PARAMS

DOCS = {"ingest": "ingest.json", "features": "features.json", "scan": "bias.json"}
TABLES = {"ingest": "manifest.parquet", "features": "attributes.parquet", "scan": "bias_findings.parquet"}


def halves(demo_dir: Path, tmp: Path) -> tuple[Path, Path]:
    """Two halves of the demo's real set, byte for byte (the session store holds their embeddings)."""
    a, b = tmp / "a", tmp / "b"
    for i, image in enumerate(sorted((demo_dir / "real").rglob("*.png"))):
        dest = (a, b)[i % 2] / image.parent.name / image.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(image, dest)
    return a, b


def no_recompute(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, ingesting, embedding or scanning anything fails the test."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("a stand-in re-scan must not ingest, embed or scan")

    monkeypatch.setattr("synthscope.stages.ingest.ingest_rows", refuse)
    monkeypatch.setattr("synthscope.stages.features.plan", refuse)
    monkeypatch.setattr("synthscope.bias.scan", refuse)  # the scan stage imports it when it runs


def assert_stand_ins(out: OutputPaths, sides: tuple[str, ...] = ("before", "after")) -> None:
    """Each side holds the audit's own tables byte for byte and its documents plus ``stand_in``."""
    for side in sides:
        folder = out.rescan_dir(side)
        for stage in rescanned():
            assert (folder / TABLES[stage]).read_bytes() == (out.root / TABLES[stage]).read_bytes(), (side, stage)
            own, copy = (json.loads((d / DOCS[stage]).read_text()) for d in (out.root, folder))
            assert "stand_in" not in own and copy.pop("stand_in") == f"../{DOCS[stage]}", (side, stage)
            assert copy == own, (side, stage)
            assert json.loads((folder / ".stages" / f"{stage}.json").read_text())["state"] == "done"


def test_an_unbuilt_set_gets_stand_in_rescans_without_ingesting(tmp_path, demo_dir, demo_store, monkeypatch, capsys):
    a, b = halves(demo_dir, tmp_path)
    config = load_config(None, {"synthetic": str(a), "real": str(b), "output_dir": str(tmp_path / "out"),
                                "store_dir": str(demo_store)}, None,
                         {"score.cas_model": "linear", "debias.min_severity": "high"})
    for stage in ("ingest", "features", "scan", "debias"):
        run_stage(stage, config)
    out = OutputPaths(config.output_dir)
    assert json.loads(out.augmented_summary.read_text())["built"] is False
    sub = rescan_config(config, "before")
    assert isinstance(sub, AuditConfig) and sub.stands_in_for == config.output_dir
    assert (sub.synthetic, sub.real, sub.params) == (config.synthetic, config.real, config.params)  # the audit itself

    no_recompute(monkeypatch)
    for stage in rescanned():  # before: as the stages; after: through the CLI, as dvc.yaml runs them
        run_stage(stage, sub)
        code, err = run_cli(monkeypatch, capsys, "stage", stage, "--rescan", "after", "--synthetic", str(a),
                            "--real", str(b), "--output-dir", str(out.root), "--store-dir", str(demo_store),
                            "--set", "debias.min_severity=high")
        assert code == 0, err
    assert_stand_ins(out)
    run_stage("compare", config)
    assert json.loads(out.debias_json.read_text())["built"] is False

    # a deleted stand-in is copied again, never re-scanned
    (out.rescan_dir("before") / "bias.json").unlink()
    run_stage("scan", sub)
    assert_stand_ins(out)


def test_a_repaired_synthetic_set_is_rescanned_after_and_copied_before(tmp_path, demo_dir, demo_store):
    """Before a repaired synthetic set is the audit itself (compare reads the audit's own findings);
    after is the augmented set, really ingested."""
    config = load_config(None, {"synthetic": str(demo_dir / "synthetic"), "real": str(demo_dir / "real"),
                                "output_dir": str(tmp_path / "out"), "store_dir": str(demo_store)}, None,
                         {"score.cas_model": "linear"})
    for stage in ("ingest", "features", "scan", "debias"):
        run_stage(stage, config)
    out = OutputPaths(config.output_dir)
    summary = json.loads(out.augmented_summary.read_text())
    assert summary["built"] is True and summary["role"] == "synthetic"
    after = rescan_config(config, "after")
    assert after.stands_in_for is None and after.synthetic == out.augmented_index
    run_stage("ingest", after)
    assert "stand_in" not in json.loads((after.output_dir / "ingest.json").read_text())
    before = rescan_config(config, "before")
    assert before.stands_in_for == config.output_dir
    for stage in rescanned():
        run_stage(stage, before)
    assert_stand_ins(out, ("before",))


@pytest.mark.slow
@pytest.mark.service
def test_the_flow_copies_the_audit_when_no_set_is_built(prefect_harness, tmp_path, demo_dir, demo_store, monkeypatch):
    import synthscope.bias
    from synthscope.orchestration.audit import audit_flow
    from synthscope.stages import features, ingest

    calls: list[str] = []  # one ingest, one feature plan, one scan: the audit's own (tasks run in this process)
    # the scan stage imports synthscope.bias.scan when it runs
    for module, name in ((ingest, "ingest_rows"), (features, "plan"), (synthscope.bias, "scan")):
        original = getattr(module, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    a, b = halves(demo_dir, tmp_path)
    out = tmp_path / "out"
    audit_flow(config=None, overrides={"synthetic": str(a), "real": str(b), "output_dir": str(out),
                                       "store_dir": str(demo_store), "name": "standin"},
               param_overrides=FAST_PARAMS | {"debias.min_severity": "high"})
    paths = OutputPaths(out)
    assert json.loads(paths.augmented_summary.read_text())["built"] is False
    assert sorted(calls) == ["ingest_rows", "plan", "scan"], calls
    assert_stand_ins(paths)
    assert pd.read_parquet(paths.rescan_dir("after") / "bias_findings.parquet").equals(pd.read_parquet(paths.findings))
    assert paths.report_html.is_file() and json.loads(paths.debias_json.read_text())["built"] is False
