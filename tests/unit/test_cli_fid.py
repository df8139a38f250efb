"""``synthscope fid`` on saved statistics and on image folders (parity with ``python -m pytorch_fid``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from synthscope.cli import app
from synthscope.metrics.features_to_stats import features_to_stats, load_stats, save_stats
from synthscope.metrics.frechet_distance import frechet_distance
from tests.fid_weights import place_low_rank_in_hub
from tests.shapes import write_shapes

REPO = Path(__file__).resolve().parents[2]


def test_fid_last_line_is_the_number(tmp_path):
    rng = np.random.default_rng(0)
    a, b = features_to_stats(rng.normal(size=(100, 5))), features_to_stats(rng.normal(size=(90, 5)) + 1)
    save_stats(tmp_path / "a.npz", a)
    save_stats(tmp_path / "b.npz", b)
    result = CliRunner().invoke(app, ["fid", str(tmp_path / "a.npz"), str(tmp_path / "b.npz")])
    assert result.exit_code == 0, result.output
    assert float(result.output.strip().splitlines()[-1]) == pytest.approx(frechet_distance(a, b), rel=1e-6)


def flat_shapes(folder: Path, n: int, seed: int) -> Path:
    """``n`` shape PNGs directly in ``folder`` (pytorch-fid reads only a folder's top level)."""
    for i, path in enumerate(write_shapes(folder / "nested", n, seed=seed)):
        path.rename(folder / f"{i:03d}.png")
    for sub in sorted((folder / "nested").iterdir()):
        sub.rmdir()
    (folder / "nested").rmdir()
    return folder


def run_timed(args: list[str], env: dict[str, str]) -> tuple[str, float]:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    if "importtime" in args:  # `synthscope fid` needs neither the orchestration nor DVC
        assert not heavy_modules(done.stderr), heavy_modules(done.stderr)
    return done.stdout, time.perf_counter() - start


def heavy_modules(importtime: str) -> set[str]:
    """Prefect, Dask and DVC modules in ``python -X importtime`` output."""
    names = {line.rsplit("|", 1)[-1].strip() for line in importtime.splitlines() if line.startswith("import time:")}
    return {n for n in names if n.split(".")[0] in ("prefect", "prefect_dask", "dask", "distributed", "dvc")}


def test_importing_the_metrics_loads_no_orchestration():
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import synthscope.metrics"], cwd=REPO,
                          capture_output=True, text=True, check=True)
    assert "synthscope.metrics" in done.stderr and not heavy_modules(done.stderr), heavy_modules(done.stderr)


@pytest.mark.slow
def test_fid_on_folders_matches_python_m_pytorch_fid(tmp_path):
    """The same two folders and the same custom weights (in the hub cache, where pytorch-fid looks;
    given to synthscope with --weights, and pytorch-fid's loader options): FIDs agree to 1e-5 relative. See
    ``tests.fid_weights.low_rank_fid_state_dict`` for why the weights switch most pool3 channels off."""
    weights = place_low_rank_in_hub(tmp_path / "torch", live=6)
    a, b = flat_shapes(tmp_path / "a", 12, seed=1), flat_shapes(tmp_path / "b", 14, seed=2)
    env = {**os.environ, "TORCH_HOME": str(tmp_path / "torch"), "SYNTHSCOPE_PROGRESS": "0",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    ours_out, ours_s = run_timed(
        [sys.executable, "-X", "importtime", "-m", "synthscope.cli", "fid", str(a), str(b), "--extractor", "inception-fid",
         "--weights", str(weights), "--save-stats", str(tmp_path / "a.npz"), "--device", "cpu", "--batch-size", "8",
         "--num-workers", "0"], env)
    theirs_out, theirs_s = run_timed(
        [sys.executable, "-m", "pytorch_fid", str(a), str(b), "--device", "cpu", "--batch-size", "8",
         "--num-workers", "0"], env)
    ours = float(ours_out.strip().splitlines()[-1])
    theirs = float(theirs_out.strip().splitlines()[-1].split()[-1])
    print(f"synthscope fid: {ours:.6f} in {ours_s:.1f} s; python -m pytorch_fid: {theirs:.6f} in {theirs_s:.1f} s")
    assert "custom weights" in ours_out and "N = 12 vs 14" in ours_out
    assert theirs > 1e-2
    assert abs(ours - theirs) / theirs <= 1e-5
    assert load_stats(tmp_path / "a.npz").n == 12  # --save-stats wrote DIR_A's statistics


def test_fid_on_a_folder_without_images_is_a_one_line_error(tmp_path):
    (tmp_path / "empty").mkdir()
    save_stats(tmp_path / "b.npz", features_to_stats(np.random.default_rng(0).normal(size=(10, 3))))
    done = subprocess.run(
        [sys.executable, "-m", "synthscope.cli", "fid", str(tmp_path / "empty"), str(tmp_path / "b.npz"),
         "--extractor", "mobilenet-v2"],
        capture_output=True, text=True, cwd=REPO, check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])},
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: ") and "at least 2" in done.stderr


def test_flat_folders_save_stats_round_trip_without_prefect_or_dask(tmp_path):
    """``fid A B --save-stats s.npz`` then ``fid s.npz B`` give the same number; a relative path
    with '..' is not a hidden folder; the command imports neither Prefect nor Dask."""
    flat_shapes(tmp_path / "a", 6, seed=1)
    flat_shapes(tmp_path / "b", 7, seed=2)
    script = f"""
import sys
from typer.testing import CliRunner
from synthscope.cli import app
common = ["--extractor", "mobilenet-v2", "--batch-size", "4", "--num-workers", "1", "--device", "cpu"]
first = CliRunner().invoke(app, ["fid", "../{tmp_path.name}/a", "b", "--save-stats", "s.npz", *common])
second = CliRunner().invoke(app, ["fid", "s.npz", "b", *common])
assert first.exit_code == 0 and second.exit_code == 0, (first.output, second.output)
print(first.output.strip().splitlines()[-1], second.output.strip().splitlines()[-1])
print(sorted(m for m in sys.modules if m.split(".")[0] in ("prefect", "dask", "distributed")))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=False,
                          env={**os.environ, "SYNTHSCOPE_PROGRESS": "0",
                               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])})
    assert done.returncode == 0, done.stderr[-2000:]
    numbers, modules = done.stdout.strip().splitlines()[-2:]
    first, second = (float(x) for x in numbers.split())
    assert first > 0 and abs(first - second) <= 1e-9 * first
    assert modules == "[]"
    assert load_stats(tmp_path / "s.npz").n == 6
