"""The ingest stage on a corpus of bad inputs: every bad file quarantined with its reason,
every good file kept, the source tree unchanged."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from synthscope.config import load_config
from synthscope.errors import DataError
from synthscope.schema import MANIFEST_COLUMNS
from synthscope.stages import ingest
from tests.corpus import bad_corpus, png_bytes, rgb_image, tree_digest


def run_ingest(tmp_path: Path, synthetic: Path, real: Path | None = None, **params) -> pd.DataFrame:
    overrides = {"synthetic": str(synthetic), "output_dir": str(tmp_path / "out")}
    if real is not None:
        overrides["real"] = str(real)
    cfg = load_config(None, overrides, None, {f"ingest.{k}": v for k, v in params.items()})
    written = ingest.run(cfg)
    assert written[0] == tmp_path / "out" / "manifest.parquet"
    return pd.read_parquet(written[0])


@pytest.mark.parametrize("workers", [1, 2])
def test_bad_corpus_quarantined_and_source_untouched(tmp_path, workers, monkeypatch):
    root = tmp_path / "data"
    expected = bad_corpus(root, tmp_path / "outside")
    before = tree_digest(root)
    monkeypatch.setattr(ingest, "POOL_MIN_FILES", 1)  # exercise the process pool on a small corpus
    manifest = run_ingest(tmp_path, root, max_pixels=1_000_000, workers=workers)
    assert tree_digest(root) == before, "ingest modified the source tree"
    assert list(manifest.columns) == list(MANIFEST_COLUMNS)
    rows = manifest.set_index("path")
    assert set(rows.index) == set(expected)
    for rel, reason in expected.items():
        row = rows.loc[rel]
        if reason is None:
            assert row["status"] == "ok", (rel, row["reason"])
            assert row["reason"] == "" and len(row["image_id"]) == 64
        else:
            assert row["status"] == "quarantined", rel
            assert reason in row["reason"], (rel, row["reason"])


def test_manifest_details(tmp_path):
    root = tmp_path / "data"
    bad_corpus(root, tmp_path / "outside")
    rows = run_ingest(tmp_path, root).set_index("path")
    assert rows.loc["cat/good_copy.png", "duplicate_of"] == "cat/good.png"
    assert rows.loc["dog/inside_link.png", "duplicate_of"] == "cat/good.png"
    assert rows.loc["cat/good.png", "duplicate_of"] == ""
    # EXIF orientation applied: stored 30x10, displayed 10x30.
    assert tuple(rows.loc["cat/rotated.jpg", ["width", "height"]]) == (10, 30)
    assert rows.loc["cat/cmyk.jpg", "mode"] == "CMYK" and rows.loc["cat/gray16.png", "mode"].startswith("I")
    assert rows.loc["<script>alert(1)<\\script>/x.png", "label"] == "<script>alert(1)<\\script>"
    assert (rows["root"] == str(root.resolve())).all()
    assert rows.loc["cat/good.png", "role"] == "synthetic"


def test_manifest_source_with_escaping_paths(tmp_path):
    root = tmp_path / "ds"
    (root / "imgs").mkdir(parents=True)
    (root / "imgs" / "a.png").write_bytes(png_bytes(rgb_image(1)))
    (tmp_path / "outside.png").write_bytes(png_bytes(rgb_image(2)))
    pd.DataFrame({
        "path": ["imgs/a.png", "../outside.png", str(tmp_path / "outside.png"), "imgs/../imgs/a.png", "imgs/missing.png"],
        "label": ["x", "x", "y", "z", "x"],
    }).to_csv(root / "manifest.csv", index=False)
    rows = run_ingest(tmp_path, root / "manifest.csv")
    reasons = dict(zip(rows["label"] + ":" + rows["path"], rows["reason"], strict=True))
    assert reasons["x:imgs/a.png"] == ""
    assert reasons["x:../outside.png"] == "path is outside the dataset root"
    assert reasons[f"y:{tmp_path / 'outside.png'}"] == "path is outside the dataset root"
    assert reasons["x:imgs/missing.png"] == "file not found"
    # a.png again via a harmless "..": one file listed twice (later stages key rows on role and path)
    assert reasons["z:imgs/a.png"] == "manifest lists this path more than once; its first usable row is kept"
    assert (rows["status"] == "ok").sum() == 1


def test_parquet_manifest_and_real_role(tmp_path, demo_dir):
    pd.DataFrame({"path": ["circle/circle_0000.png"], "label": ["circle"]}).to_parquet(tmp_path / "m.parquet")
    (tmp_path / "circle").symlink_to(demo_dir / "real" / "circle")
    rows = run_ingest(tmp_path, tmp_path / "m.parquet", real=demo_dir / "real")
    assert rows.groupby("role").size().to_dict() == {"real": 60, "synthetic": 1}


def test_missing_manifest_column_is_a_clear_error(tmp_path):
    (tmp_path / "m.csv").write_text("file,class\na.png,x\n")
    with pytest.raises(DataError, match="lacks column.*path.*it needs path,label"):
        run_ingest(tmp_path, tmp_path / "m.csv")


def test_missing_dataset_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="does not exist; pass an image folder"):
        run_ingest(tmp_path, tmp_path / "nope")
