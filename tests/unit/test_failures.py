"""Operational errors are one line naming the path and the fix; a crash exits 3 with its traceback in a log."""

from __future__ import annotations

import errno
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from synthscope.errors import StorageError
from synthscope.failures import EXIT_CRASH, os_error_line
from synthscope.io import write_json, write_parquet
from tests.cli_run import run_cli


def test_a_full_disk_names_the_file_and_the_fix(tmp_path, monkeypatch):
    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")  # write() errors carry no file name

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    with pytest.raises(StorageError) as err:
        write_parquet(tmp_path / "out" / "manifest.parquet", pd.DataFrame({"a": [1]}))
    assert str(err.value) == (f"No space left on device: {tmp_path / 'out' / 'manifest.parquet'}; free space on that "
                              "disk, or point --output-dir / --store-dir at another")
    assert not list((tmp_path / "out").iterdir())  # no temporary file left behind


def test_pyarrow_style_errors_and_permission_errors_are_recognised(tmp_path, monkeypatch):
    arrow = OSError("error writing to /x/part.parquet: No space left on device")  # errno None, as pyarrow raises
    assert os_error_line(arrow, "/x/part.parquet").startswith("No space left on device: /x/part.parquet; free space")
    assert os_error_line(OSError(errno.EIO, "I/O error")) is None  # not one a user can fix: a crash

    def forbidden(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", forbidden)
    with pytest.raises(StorageError, match=rf"Permission denied: {tmp_path / 'ro'}; make it accessible to this user"):
        write_json(tmp_path / "ro" / "x.json", {})


def test_the_cli_exits_1_with_one_line_for_a_full_disk(tmp_path, monkeypatch, capsys):
    (tmp_path / "data" / "c").mkdir(parents=True)
    Image.new("RGB", (8, 8), (200, 30, 30)).save(tmp_path / "data" / "c" / "a.png")  # not empty: ingest gets to write

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    code, err = run_cli(monkeypatch, capsys, "stage", "ingest", "--synthetic", str(tmp_path / "data"),
                        "--output-dir", str(tmp_path / "out"))
    errors = [line for line in err.splitlines(keepends=True) if not line.startswith("INFO ")]  # progress log lines
    assert code == 1 and len(errors) == 1 and "Traceback" not in err
    assert errors[0] == (f"error: No space left on device: {tmp_path / 'out' / 'manifest.parquet'}; free space on that "
                   "disk, or point --output-dir / --store-dir at another\n")


def test_a_crash_exits_3_and_writes_the_traceback_to_a_log(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SYNTHSCOPE_CRASH_DIR", str(tmp_path / "crashes"))

    def bug(*_args, **_kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr("synthscope.stages.run_stage", bug)
    code, err = run_cli(monkeypatch, capsys, "stage", "ingest", "--synthetic", str(tmp_path),
                        "--output-dir", str(tmp_path / "out"))
    assert code == EXIT_CRASH == 3 and err.count("\n") == 1
    logs = list((tmp_path / "crashes").glob("crash-*.log"))
    assert len(logs) == 1 and f"traceback in {logs[0]}" in err and "KeyError" in err
    text = logs[0].read_text()
    assert "Traceback (most recent call last)" in text and "def bug" not in err and "in bug" in text


def test_user_errors_stay_exit_1(tmp_path, monkeypatch, capsys):
    code, err = run_cli(monkeypatch, capsys, "stage", "ingest", "--synthetic", str(tmp_path / "missing"),
                        "--output-dir", str(tmp_path / "out"))
    assert code == 1 and err.startswith("error: dataset") and err.count("\n") == 1


def test_serve_refuses_without_a_prefect_server(monkeypatch, capsys):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(restore_defaults={PREFECT_API_URL}):  # whatever an earlier test or profile set
        code, err = run_cli(monkeypatch, capsys, "serve", "--config", "configs/demo.yaml", "--cron", "0 3 * * *")
    assert code == 1 and err.count("\n") == 1
    assert "PREFECT_API_URL is not set" in err and "make ui" in err
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):  # nothing listens on port 9
        code, err = run_cli(monkeypatch, capsys, "serve", "--config", "configs/demo.yaml")
    assert code == 1 and "no Prefect server answers at PREFECT_API_URL=http://127.0.0.1:9/api" in err


def test_usage_errors_exit_1_not_click_s_2(monkeypatch, capsys):
    code, err = run_cli(monkeypatch, capsys, "stage", "ingest", "unexpected", "arguments")
    assert code == 1 and "unexpected extra argument" in err and "Traceback" not in err
