"""Unlabelled sets (flat folders) through every stage and ``synthscope metrics``: the label-free
checks run, the label-needing ones are listed as not checked, and their gates do not apply."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from synthscope.api import compare
from synthscope.config import load_config, load_params
from synthscope.paths import OutputPaths
from synthscope.report.gates import worst
from synthscope.stages import run_stage
from synthscope.stages.rescan import rescan_config
from tests.conftest import FAST_PARAMS
from tests.shapes import write_shapes

SETTINGS = {**FAST_PARAMS, "ingest.workers": 0, "features.workers": 0, "features.extractor": "mobilenet-v2"}
LABEL_CHECKS = {"consistency", "shortcut", "imbalance", "cas", "utility", "rebalancing"}


def flat_shapes(folder: Path, n: int, seed: int) -> Path:
    """``n`` 32 px shape PNGs directly in ``folder`` (no class folders)."""
    for i, path in enumerate(write_shapes(folder / "nested", n, seed=seed, size=32)):
        path.rename(folder / f"{seed}_{i:03d}.png")
    for sub in sorted((folder / "nested").iterdir()):
        sub.rmdir()
    (folder / "nested").rmdir()
    return folder


def test_flat_folders_through_every_stage(tmp_path):
    gen, real = flat_shapes(tmp_path / "gen", 30, seed=1), flat_shapes(tmp_path / "real", 30, seed=2)
    cfg = load_config(None, {"synthetic": str(gen), "real": str(real), "output_dir": str(tmp_path / "out"),
                             "store_dir": str(tmp_path / "store")}, None, SETTINGS)
    for stage in ("ingest", "features", "scan", "score", "debias"):
        run_stage(stage, cfg)
    for side in ("before", "after"):
        for stage in ("ingest", "features", "scan"):
            run_stage(stage, rescan_config(cfg, side))
    for stage in ("compare", "report"):
        run_stage(stage, cfg)
    out = OutputPaths(cfg.output_dir)
    layout = json.loads(out.ingest_summary.read_text())["layouts"]
    assert {r: v["kind"] for r, v in layout.items()} == {"synthetic": "flat-folder", "real": "flat-folder"}
    bias = json.loads(out.bias_json.read_text())
    assert {n["check"] for n in bias["not_checked"]} == LABEL_CHECKS
    assert all(n["reason"].startswith("not checked: needs class labels") for n in bias["not_checked"])
    assert bias["summary"]["n_measured"] > 0  # drift, duplicates, memorisation, diversity ran
    measured = set(pd.read_parquet(out.findings)["check"])
    assert {"drift", "diversity", "duplicates", "memorization"} <= measured
    assert not measured & {"shortcut", "imbalance"}
    metrics = json.loads(out.metrics_json.read_text())
    assert {"cas", "utility", "per_class_fid"} <= set(metrics["skipped"])
    assert metrics["fid"]["value"] > 0 and metrics["coverage"]["value"] is not None
    assert metrics["inception_score"]["value"] > 0
    realism = json.loads(out.augmented_summary.read_text())
    assert realism["not_checked"] and realism["selection"]  # the realism selection ran, rebalancing did not
    report = json.loads(out.report_json.read_text())
    assert {n["check"] for n in report["not_checked"]} == LABEL_CHECKS
    assert any(n.startswith("classification accuracy score (CAS): not checked: needs class labels")
               for n in report["notes"])
    gates = {g["gate"]: g["status"] for g in report["gates"]}
    assert gates["min_cas_ratio"] == "not_applicable"
    assert report["verdict"] == worst([s for g, s in gates.items() if g != "min_cas_ratio"])
    assert not any("CAS" in reason or "cas" in reason for reason in report["reasons"])
    assert "not checked: needs class labels" in out.report_html.read_text()

    # synthscope metrics on the same flat folders: through ingest and the store (served from it)
    result = compare(gen, real, extractor="mobilenet-v2", store_dir=tmp_path / "store",
                     params=load_params(None, SETTINGS))
    assert result["fid"]["value"] == metrics["fid"]["value"]
    assert result["feature_store"]["synthetic"]["computed"] == 0


def test_an_unlabelled_real_set_says_why_cas_and_per_class_comparisons_are_missing(tmp_path):
    write_shapes(tmp_path / "gen", 24, seed=3, size=32)  # <shape>/<image>: labelled
    real = flat_shapes(tmp_path / "real", 24, seed=4)
    cfg = load_config(None, {"synthetic": str(tmp_path / "gen"), "real": str(real),
                             "output_dir": str(tmp_path / "out"), "store_dir": str(tmp_path / "store")}, None, SETTINGS)
    for stage in ("ingest", "features", "scan", "score"):
        run_stage(stage, cfg)
    out = OutputPaths(cfg.output_dir)
    skipped = json.loads(out.metrics_json.read_text())["skipped"]
    assert "the real set is unlabelled" in skipped["cas"] and "the real set is unlabelled" in skipped["per_class_fid"]
    bias = json.loads(out.bias_json.read_text())
    assert {n["check"] for n in bias["not_checked"]} == LABEL_CHECKS - {"rebalancing"}
    assert all("the real set is unlabelled" in n["reason"] for n in bias["not_checked"])
    # no finding names the empty label of the unlabelled real set as a class
    assert all(f["class"] != "" for f in bias["findings"])
