"""The debias stage end to end on the small demo: outputs, contracts, inputs untouched, both roles."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from synthscope.config import AuditConfig, load_config
from synthscope.errors import StageInputError
from synthscope.paths import OutputPaths
from synthscope.stages import run_stage
from tests.debias_pipeline import debias_and_compare

MANIFEST_COLUMNS = {"image_id", "role", "label", "path", "source_image_id", "source_role", "source_path",
                    "variant", "transforms", "sha256"}


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def audit(tmp: Path, synthetic: Path, real: Path, store: Path | None = None, **params) -> AuditConfig:
    overrides = {"score.cas_model": "linear", "score.bootstrap_reps": 100, **params}
    config = load_config(None, {"synthetic": str(synthetic), "real": str(real), "output_dir": str(tmp / "out"),
                                "store_dir": str(store or tmp / "store")}, None, overrides)
    for stage in ("ingest", "features", "scan"):
        run_stage(stage, config)
    return config


def test_debias_needs_the_scan(tmp_path, demo_dir):
    config = load_config(None, {"synthetic": str(demo_dir / "synthetic"), "output_dir": str(tmp_path)})
    with pytest.raises(StageInputError, match="synthscope stage"):
        run_stage("debias", config)


@pytest.mark.slow
def test_synthetic_set_is_repaired_into_a_new_dataset(tmp_path, demo_dir):
    inputs = {role: digests(demo_dir / role) for role in ("synthetic", "real")}
    config = audit(tmp_path, demo_dir / "synthetic", demo_dir / "real")
    out = OutputPaths(config.output_dir)
    assert run_stage("debias", config) == [out.augmented_manifest, out.augmented_summary, out.augmented_dir]
    assert not out.debias_json.exists() and not out.rescan_dir("after").exists()  # judging it is not debias' job
    debias_and_compare(config)
    assert {role: digests(demo_dir / role) for role in inputs} == inputs  # inputs never touched
    manifest = pd.read_parquet(out.augmented_manifest)
    assert MANIFEST_COLUMNS <= set(manifest.columns) and set(manifest["role"]) == {"augmented"}
    files = digests(out.augmented_dir)
    files.pop(out.augmented_index.name)  # path,label of every file: what the re-scan after debias ingests
    assert files == dict(zip(manifest["path"], manifest["sha256"], strict=True))
    assert pd.read_parquet(out.augmented_index).equals(manifest[["path", "label"]])
    assert all(p.split("/")[0] == label for p, label in zip(manifest["path"], manifest["label"], strict=True))
    assert not [p for p in out.root.iterdir() if p.name.startswith(".augmented")]  # temp dirs swapped away
    result = json.loads(out.debias_json.read_text())
    assert result["role"] == "synthetic" and result["deficit"]["after"] < result["deficit"]["before"]
    assert result["scan_reference"] == "real"
    counts = manifest["label"].value_counts()
    assert result["class_counts"] == {c: int(counts[c]) for c in counts.index}
    assert len(set(counts)) == 1  # the demo's real set is balanced: so is the target
    assert result["n_augmented"] == int((manifest["variant"] > 0).sum()) == sum(result["per_class_added"].values())
    assert "color" in result["attributes"]
    steps = [json.loads(t) for t in manifest["transforms"]]
    assert all({s["name"] for s in st} >= {"color"} for st in steps)
    sources = set(pd.read_parquet(out.manifest).query("role == 'synthetic'")["image_id"])
    assert set(manifest["source_image_id"]) <= sources and set(manifest["source_role"]) == {"synthetic"}
    assert {"before", "after", "gain"} <= set(result["cas"]) and result["cas"]["model"] == "linear"
    assert any(f["check"] == "shortcut" and f["severity_before"] == "high" for f in result["findings"])
    assert (config.output_dir / "debias_after" / "bias.json").is_file()


@pytest.mark.slow
def test_an_imbalanced_real_set_is_filled_with_synthetic_images(tmp_path, demo_dir):
    real = tmp_path / "real"
    shutil.copytree(demo_dir / "real", real)
    for label, keep in (("square", 8), ("triangle", 4)):
        for path in sorted((real / label).iterdir())[keep:]:
            path.unlink()
    config = audit(tmp_path, demo_dir / "unbiased", real, **{"debias.target": "uniform"})
    debias_and_compare(config)
    out = OutputPaths(config.output_dir)
    result = json.loads(out.debias_json.read_text())
    manifest = pd.read_parquet(out.augmented_manifest)
    assert result["role"] == "real"
    assert result["class_counts"] == {"circle": 20, "square": 20, "triangle": 20}
    own = manifest[manifest["source_role"] == "real"]
    assert len(own) == 20 + 8 + 4 and (own["sha256"] == own["source_image_id"]).all()  # copied byte for byte
    assert (own["transforms"] == "[]").all()
    fill = manifest[manifest["source_role"] == "synthetic"]
    assert fill["label"].value_counts().to_dict() == {"square": 12, "triangle": 16}
    assert result["per_class_added"] == {"circle": 0, "square": 12, "triangle": 16}
    # Both scans without a reference (the augmented set holds the real one): real alone, then augmented.
    assert result["scan_reference"] == "none" and (config.output_dir / "debias_before" / "bias.json").is_file()
    imbalance = [f for f in result["findings"] if f["check"] == "imbalance" and f["class"] == "triangle"]
    assert imbalance[0]["severity_before"] == "high" and imbalance[0]["severity_after"] == "info"
    assert not [f for f in result["findings"] if f["check"] == "memorization"]
    cas = result["cas"]
    assert cas["trained_on"]["before"] == "real training split"
    assert cas["n_after_dropped_test_sources"] == cas["n_test_real"]  # real test images are not trained on


def test_two_halves_of_one_set_build_no_augmented_set(tmp_path, demo_dir, demo_store):
    """Nothing at or above debias.min_severity and no class off its target: no set, no re-scans, a
    debias.json that says so."""
    halves = {"a": tmp_path / "a", "b": tmp_path / "b"}
    for i, image in enumerate(sorted((demo_dir / "real").rglob("*.png"))):
        dest = halves["ab"[i % 2]] / image.parent.name / image.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(image, dest)
    # the demo's real images, byte for byte: the session store already holds their embeddings
    config = audit(tmp_path, halves["a"], halves["b"], demo_store, **{"debias.min_severity": "high"})
    out = OutputPaths(config.output_dir)
    assert not (pd.read_parquet(out.findings)["severity"] == "high").any()  # two halves of one set
    run_stage("debias", config)
    summary = json.loads(out.augmented_summary.read_text())
    assert summary["built"] is False and "nothing to debias" in summary["reasons"][0]
    assert [p.name for p in out.augmented_dir.iterdir()] == [out.augmented_index.name]  # no image
    debias_and_compare(config)  # the re-scans it needs: none
    assert not out.rescan_dir("before").exists() and not out.rescan_dir("after").exists()
    result = json.loads(out.debias_json.read_text())
    assert result["built"] is False and result["n_augmented"] == 0 and result["cas"] is None
    # the same audit with every low finding counted builds a set exactly when one is flagged
    low = load_config(None, {"synthetic": str(halves["a"]), "real": str(halves["b"]),
                             "output_dir": str(config.output_dir), "store_dir": str(config.store_dir)}, None,
                      {"score.cas_model": "linear", "debias.min_severity": "low", "debias.target": "uniform"})
    run_stage("debias", low)
    flagged = pd.read_parquet(out.findings)["severity"].isin(["low", "medium", "high"]).any()
    assert json.loads(out.augmented_summary.read_text())["built"] == bool(flagged or summary["deficit"]["before"] >= 0.3)
