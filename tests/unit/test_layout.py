"""The label rule (``--labels auto|folder|none|manifest``) and the one-line errors of unusable sets."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from synthscope.config import load_config
from synthscope.datasets.layout import LabelRule, list_dataset
from synthscope.documents import dump
from synthscope.errors import DataError
from synthscope.stages import features, ingest
from tests.cli_run import run_cli
from tests.corpus import png_bytes, rgb_image


def images(folder: Path, names: list[str]) -> Path:
    for i, name in enumerate(names):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(png_bytes(rgb_image(i)))
    return folder


def run_ingest(tmp_path: Path, synthetic: Path, **params) -> tuple[pd.DataFrame, dict]:
    cfg = load_config(None, {"synthetic": str(synthetic), "output_dir": str(tmp_path / "out")}, None,
                      {"ingest.workers": 0, **{f"ingest.{k}": v for k, v in params.items()}})
    ingest.run(cfg)
    return pd.read_parquet(tmp_path / "out" / "manifest.parquet"), json.loads((tmp_path / "out" / "ingest.json").read_text())


def test_a_flat_folder_is_an_unlabelled_set(tmp_path):
    manifest, summary = run_ingest(tmp_path, images(tmp_path / "gen", ["a.png", "b.png", "c.png"]))
    assert (manifest["status"] == "ok").all() and (manifest["label"] == "").all()
    layout = summary["layouts"]["synthetic"]
    assert layout["kind"] == "flat-folder" and layout["labels"] == "none"
    assert "unlabelled (no class folders)" in layout["line"]


def test_class_folders_are_labels_and_a_loose_image_is_quarantined(tmp_path):
    root = images(tmp_path / "ds", ["cat/a.png", "cat/b.png", "dog/c.png", "loose.png"])
    manifest, summary = run_ingest(tmp_path, root)
    rows = manifest.set_index("path")
    assert rows.loc["cat/a.png", "label"] == "cat" and rows.loc["dog/c.png", "label"] == "dog"
    assert rows.loc["loose.png", "status"] == "quarantined"
    assert summary["layouts"]["synthetic"]["kind"] == "image-folder"


def test_nested_folders_follow_the_explicit_rule(tmp_path):
    root = images(tmp_path / "ds", ["run1/x/a.png", "run1/x/b.png", "run2/c.png"])
    assert list_dataset(root).layout.labels == "folder"  # auto: two subfolders read as classes
    unlabelled = list_dataset(root, LabelRule(labels="none"))
    assert {e.label for e in unlabelled.entries} == {""} and not any(e.problem for e in unlabelled.entries)
    one = images(tmp_path / "one", ["samples/a.png", "samples/b.png"])
    layout = list_dataset(one).layout
    assert dump(layout) == {"kind": "nested-folder", "labels": "none", "line": layout.line}  # ingest.json's keys
    assert "one subfolder" in layout.line


def test_labels_folder_on_a_flat_folder_quarantines_every_file_and_features_names_the_reasons(tmp_path):
    root = images(tmp_path / "gen", ["a.png", "b.png"])
    manifest, _ = run_ingest(tmp_path, root, labels="folder")
    assert (manifest["status"] == "quarantined").all()
    cfg = load_config(None, {"synthetic": str(root), "output_dir": str(tmp_path / "out")}, None, {})
    with pytest.raises(DataError, match=r"all 2 file\(s\) quarantined \(2 x file is not inside a class folder"):
        features.plan(cfg)


def test_metadata_csv_imagefolder_takes_labels_from_its_column(tmp_path):
    root = images(tmp_path / "hf", ["a.png", "b.png", "c.png", "extra.png"])
    (root / "metadata.csv").write_text("file_name,kind\na.png,cat\nb.png,dog\nc.png,dog\n")
    listing = list_dataset(root, LabelRule(label_column="kind"))
    by = {e.rel: e for e in listing.entries}
    assert by["a.png"].label == "cat" and by["c.png"].label == "dog"
    assert by["extra.png"].problem == "not listed in metadata.csv"
    assert listing.layout.kind == "hf-imagefolder" and listing.layout.label_column == "kind"
    with pytest.raises(DataError, match="no label column 'label'.*--label-column NAME"):
        list_dataset(root, LabelRule(labels="manifest"))


def test_manifest_without_its_label_column_names_the_fix(tmp_path):
    images(tmp_path, ["a.png", "b.png"])
    (tmp_path / "m.csv").write_text("path,kind\na.png,x\nb.png,y\n")
    with pytest.raises(DataError, match="no label column 'label'.*--label-column NAME, or --labels none"):
        list_dataset(tmp_path / "m.csv")
    assert {e.label for e in list_dataset(tmp_path / "m.csv", LabelRule(label_column="kind")).entries} == {"x", "y"}
    assert {e.label for e in list_dataset(tmp_path / "m.csv", LabelRule(labels="none")).entries} == {""}


def error_lines(err: str) -> int:
    """Lines of the error itself (the layout line ingest logs before it is not part of it)."""
    lines = [line for line in err.splitlines() if not line.startswith("INFO ")]
    assert lines and lines[-1].startswith("error: ")
    return len(lines)


def test_one_line_errors(tmp_path, monkeypatch, capsys):
    (tmp_path / "empty").mkdir()
    code, err = run_cli(monkeypatch, capsys, "stage", "ingest", "--synthetic", str(tmp_path / "empty"),
                        "--output-dir", str(tmp_path / "o1"))
    assert code == 1 and error_lines(err) == 1 and "is empty; put images in it" in err
    one = images(tmp_path / "one", ["cat/a.png", "cat/b.png"])
    code, err = run_cli(monkeypatch, capsys, "stage", "ingest", "--synthetic", str(one), "--labels", "folder",
                        "--output-dir", str(tmp_path / "o2"), "--set", "ingest.workers=0")
    assert code == 1 and error_lines(err) == 1
    assert "labelled with one class ('cat'); add the other classes, or pass --labels none" in err
    code, err = run_cli(monkeypatch, capsys, "stage", "ingest", "--synthetic", str(one), "--labels", "maybe",
                        "--output-dir", str(tmp_path / "o3"))
    assert code == 1 and "ingest.labels" in err
