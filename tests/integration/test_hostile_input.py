"""Hostile and careless input (issue 24): nothing written outside the output dir, nothing read outside
the dataset, no crash on odd names or links, no silent bad params, one writer per output dir.

Disk full, crash exit codes and ``serve`` are in ``tests/unit/test_failures.py``; YAML bombs in
``tests/unit/test_yaml_safe.py``; the bounds of every param in ``tests/unit/test_params.py``; kills
between two output files in ``tests/integration/test_store_integrity.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from synthscope.config import load_config
from synthscope.paths import OutputPaths
from synthscope.stages import ingest, run_stage
from synthscope.stages.rescan import rescan_config
from tests.cli_run import run_cli
from tests.corpus import png_bytes, rgb_image
from tests.shapes import render_shape

FAST = {"features.extractor": "mobilenet-v2", "features.workers": 0, "features.batch_size": 32, "ingest.workers": 0,
        "score.cas_model": "linear"}


def ingest_rows(tmp_path: Path, dataset: Path) -> pd.DataFrame:
    cfg = load_config(None, {"synthetic": str(dataset), "output_dir": str(tmp_path / "out")}, None,
                      {"ingest.workers": 0})
    return pd.read_parquet(ingest.run(cfg)[0]).set_index("path")


def snapshot(root: Path) -> set[str]:
    return {os.fsdecode(os.path.join(d, f)) for d, _, files in os.walk(root) for f in files}


def test_labels_never_become_paths_outside_the_output_dir(tmp_path, monkeypatch, capsys):
    """Every stage up to debias and the re-scan after it, on a manifest whose labels try to escape."""
    escape = f"synthscope-escape-{uuid.uuid4().hex[:8]}"
    hostile = [f"../../../../../../../../tmp/{escape}/up", f"/tmp/{escape}-abs", "..", ".", "\\", "a/b", "CON", "NUL",
               "x" * 300, "index.parquet", "circle"]
    data = tmp_path / "data"
    data.mkdir()
    rows = []
    for i, label in enumerate(hostile):
        for j in range(2 + i % 3):  # unequal classes: debias (target uniform) adds transformed copies
            img, _ = render_shape(("circle", "square", "triangle")[i % 3], 32, (200, 40 * (i % 5), 30), (90, 90, 90),
                                  (0.5, 0.5), 0.2, texture=4.0, seed=10 * i + j)
            name = f"img_{i}_{j}.png"
            (data / name).write_bytes(png_bytes(Image.fromarray(img)))
            rows.append({"path": name, "label": label})
    pd.DataFrame(rows).to_parquet(data / "manifest.parquet")
    before = snapshot(tmp_path)
    cfg = load_config(None, {"synthetic": str(data / "manifest.parquet"), "output_dir": str(tmp_path / "out"),
                             "store_dir": str(tmp_path / "store")}, None,
                      {**FAST, "debias.target": "uniform", "scan.min_class_size": 2})
    for stage in ("ingest", "features", "scan", "debias"):
        run_stage(stage, cfg)
    after_cfg = rescan_config(cfg, "after")
    run_stage("ingest", after_cfg)

    written = snapshot(tmp_path) - before
    outside = [p for p in written if not (p.startswith(str(tmp_path / "out")) or p.startswith(str(tmp_path / "store")))]
    assert not outside, outside
    assert not list(Path("/tmp").glob(f"{escape}*")) and not Path(f"/tmp/{escape}").exists()
    augmented = pd.read_parquet(OutputPaths(cfg.output_dir).augmented_manifest)
    assert set(augmented["label"]) == set(hostile)  # the true labels are kept
    folders = {p.split("/")[0] for p in augmented["path"]}
    assert len(folders) == len(hostile) and "circle" in folders
    assert all(f not in ("..", ".", "index.parquet") and "\\" not in f and len(f) <= 64 for f in folders)
    rescanned = pd.read_parquet(OutputPaths(after_cfg.output_dir).manifest)  # the re-scan reads the true labels
    assert set(rescanned.loc[rescanned["status"] == "ok", "label"]) == set(hostile)

    # the other case: a later stage for another dataset on these outputs is refused, not run
    other = tmp_path / "other"
    (other / "c").mkdir(parents=True)
    code, err = run_cli(monkeypatch, capsys, "stage", "scan", "--synthetic", str(other), "--output-dir",
                        str(cfg.output_dir), "--store-dir", str(cfg.store_dir))
    errors = [line for line in err.splitlines() if not line.startswith("INFO ")]  # the stages' progress lines above
    assert code == 1 and len(errors) == 1 and "holds the outputs of an audit of synthetic=" in errors[0]


def test_empty_and_nul_labels_and_a_path_listed_twice_are_quarantined(tmp_path):
    root = tmp_path / "ds"
    root.mkdir()
    for i in range(3):
        (root / f"{i}.png").write_bytes(png_bytes(rgb_image(i)))
    pd.DataFrame({"path": ["0.png", "1.png", "2.png", "2.png", "0.png", "bad\0path.png"],
                  "label": [" ", "a\0b", "c", "d", "e", "f"]}).to_parquet(root / "m.parquet")
    rows = ingest_rows(tmp_path, root / "m.parquet").reset_index().set_index("label")
    assert rows.loc["", "reason"] == "manifest row has an empty label"  # a blank label is no label
    assert rows.loc["a\\0b", "reason"] == "manifest row holds a NUL character; remove it"  # shown escaped
    assert rows.loc["f", "reason"] == "manifest row holds a NUL character; remove it"
    assert rows.loc["f", "path"] == "bad\\0path.png"
    assert rows.loc["d", "reason"] == "manifest lists this path more than once; its first usable row is kept"
    assert rows.loc["c", "status"] == rows.loc["e", "status"] == "ok"  # 0.png's first row had no usable label


def test_a_symlinked_folder_in_a_manifest_path_cannot_read_outside_the_root(tmp_path):
    root, outside = tmp_path / "ds", tmp_path / "outside"
    (root / "imgs").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.png").write_bytes(png_bytes(rgb_image(1)))
    (root / "imgs" / "a.png").write_bytes(png_bytes(rgb_image(2)))
    (root / "linkdir").symlink_to(outside)  # leaves the root
    (root / "alias").symlink_to(root / "imgs")  # stays inside
    (root / "imgs" / "deeper").symlink_to(outside)
    pd.DataFrame({"path": ["linkdir/secret.png", "imgs/deeper/secret.png", "alias/a.png", str(root / "linkdir" / "secret.png")],
                  "label": ["x", "x", "y", "z"]}).to_csv(root / "m.csv", index=False)
    rows = ingest_rows(tmp_path, root / "m.csv")
    assert rows.loc["linkdir/secret.png", "reason"] == "symlinked folder 'linkdir' leads outside the dataset root"
    assert rows.loc["imgs/deeper/secret.png", "reason"] == "symlinked folder 'imgs/deeper' leads outside the dataset root"
    assert (rows.loc[["linkdir/secret.png", "imgs/deeper/secret.png"], "image_id"] == "").all()  # never read
    assert rows.loc["alias/a.png", "status"] == "ok"
    assert (rows["status"] == "ok").sum() == 1


def test_symlink_loops_and_dangling_links_are_one_quarantine_row_each(tmp_path):
    root = tmp_path / "ds"
    (root / "cat").mkdir(parents=True)
    (root / "cat" / "good.png").write_bytes(png_bytes(rgb_image(0)))
    (root / "cat" / "a.png").symlink_to("b.png")
    (root / "cat" / "b.png").symlink_to("a.png")
    (root / "cat" / "self.png").symlink_to("self.png")
    (root / "cat" / "dangling.png").symlink_to("nowhere.png")
    (root / "cat" / "loopdir").symlink_to(root / "cat")  # a folder loop: not followed
    rows = ingest_rows(tmp_path, root)
    for name in ("a.png", "b.png", "self.png"):
        assert rows.loc[f"cat/{name}", "reason"] == "symlink loop (too many levels of symbolic links)"
    assert rows.loc["cat/dangling.png", "reason"] == "dangling symlink (its target does not exist)"
    assert rows.loc["cat/loopdir", "reason"] == "symlinked folder is not followed"
    assert rows.loc["cat/good.png", "status"] == "ok" and len(rows) == 6


def test_a_name_that_is_not_utf8_is_listed_losslessly(tmp_path):
    root = tmp_path / "ds"
    (root / "cat").mkdir(parents=True)
    (root / "cat" / "good.png").write_bytes(png_bytes(rgb_image(0)))
    with open(os.path.join(os.fsencode(root / "cat"), b"caf\xe9.png"), "wb") as fh:
        fh.write(png_bytes(rgb_image(1)))
    os.mkdir(os.path.join(os.fsencode(root), b"cl\xffss"))
    with open(os.path.join(os.fsencode(root), b"cl\xffss", b"x.png"), "wb") as fh:
        fh.write(png_bytes(rgb_image(2)))
    rows = ingest_rows(tmp_path, root)  # the manifest is written (Parquet holds text only)
    assert rows.loc["cat/caf\\xe9.png", "reason"] == "file name is not valid UTF-8 (shown with \\x escapes); rename it"
    assert rows.loc["cat/caf\\xe9.png", "path_bytes"] == b"cat/caf\xe9.png"
    assert rows.loc["cl\\xffss/x.png", "path_bytes"] == b"cl\xffss/x.png"
    assert rows.loc["cl\\xffss/x.png", "label"] == "cl\\xffss"
    assert rows.loc["cat/good.png", "status"] == "ok" and rows.loc["cat/good.png", "path_bytes"] == b""


def test_newlines_hidden_files_and_a_truncated_jpeg(tmp_path):
    root = tmp_path / "ds"
    (root / "cat").mkdir(parents=True)
    (root / "cat" / "new\nline.png").write_bytes(png_bytes(rgb_image(0)))
    (root / "cat" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (root / ".cache" / "deep").mkdir(parents=True)
    (root / ".cache" / "deep" / "x.png").write_bytes(png_bytes(rgb_image(1)))
    (root / "cat" / "cut.jpg").write_bytes(png_bytes(rgb_image(2, (64, 64)), "JPEG")[:120])
    rows = ingest_rows(tmp_path, root)
    assert rows.loc["cat/new\nline.png", "status"] == "ok"
    assert rows.loc["cat/.DS_Store", "reason"] == "hidden file (name starts with '.') is not read; rename it to include it"
    assert rows.loc[".cache", "reason"].startswith("hidden folder (name starts with '.') is not read")
    assert rows.loc["cat/cut.jpg", "reason"].startswith("truncated or corrupt image")
    assert len(rows) == 4


SLOW_INGEST = """
import pathlib, sys, time
import synthscope.stages.ingest as ingest

READY = pathlib.Path(sys.argv[3])

def slow(*args):
    READY.touch()  # the first run holds the output dir now
    time.sleep(120)

ingest.inspect_file = slow
sys.argv = ["synthscope", "stage", "ingest", "--synthetic", sys.argv[1], "--output-dir", sys.argv[2],
            "--set", "ingest.workers=0"]
from synthscope.cli import main
main()
"""


def test_two_runs_on_one_output_dir(tmp_path, monkeypatch, capsys):
    data, out, ready = tmp_path / "data", tmp_path / "out", tmp_path / "ready"
    (data / "cat").mkdir(parents=True)
    (data / "cat" / "a.png").write_bytes(png_bytes(rgb_image(0)))
    first = subprocess.Popen([sys.executable, "-c", SLOW_INGEST, str(data), str(out), str(ready)])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), "the first run did not start"
        start = time.perf_counter()
        code, err = run_cli(monkeypatch, capsys, "stage", "ingest", "--synthetic", str(data), "--output-dir", str(out),
                            "--set", "ingest.workers=0")
        assert code == 1 and time.perf_counter() - start < 10 and err.count("\n") == 1
        assert f"output dir {out} is in use by pid {first.pid} (synthscope stage ingest --synthetic {data}" in err
    finally:
        first.kill()  # SIGKILL: its lock is released with it
        first.wait()
    code, err = run_cli(monkeypatch, capsys, "stage", "ingest", "--synthetic", str(data), "--output-dir", str(out),
                        "--set", "ingest.workers=0")
    assert code == 0, err  # the dead holder's lock is taken over
    assert (pd.read_parquet(out / "manifest.parquet")["status"] == "ok").all()


@pytest.mark.parametrize(("setting", "message"), [
    ("near_copy.dup_cosine=.nan", "params.near_copy.dup_cosine: nan is out of range; use a finite number in [0, 1]"),
    ("near_copy.dup_cosine=.inf", "params.near_copy.dup_cosine: inf is out of range; use a finite number in [0, 1]"),
    ("score.kid_subset_size=-5", "params.score.kid_subset_size: -5 is out of range; use an integer >= 2"),
    ("features.batch_size=0", "params.features.batch_size: 0 is out of range; use an integer >= 1"),
    ("report.thumbnail_px=-1", "params.report.thumbnail_px: -1 is out of range; use an integer in [1, 1024]"),
])
def test_bad_params_are_one_line_errors_before_anything_runs(tmp_path, monkeypatch, capsys, setting, message):
    stage = setting.split(".")[0] if setting.split(".")[0] in ("scan", "score", "features", "report") else "scan"
    code, err = run_cli(monkeypatch, capsys, "stage", stage, "--synthetic", str(tmp_path), "--output-dir",
                        str(tmp_path / "out"), "--set", setting)
    assert (code, err) == (1, f"error: {message}\n")
    assert not (tmp_path / "out").exists()  # refused before anything ran
