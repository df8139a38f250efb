"""One writer per output dir: a second run fails at once naming the holder; a dead holder's lock is taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthscope.errors import OutputBusyError
from synthscope.runlock import LOCK_NAME, output_lock

HOLD = """
import sys, time
from synthscope.runlock import output_lock
with output_lock(sys.argv[1], "synthscope stage features --config demo.yaml"):
    print("held", flush=True)
    sys.stdin.read()
"""


def holder(directory: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(directory)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_writer_fails_at_once_naming_the_holder(tmp_path):
    proc = holder(tmp_path / "out")
    try:
        start = time.perf_counter()
        with pytest.raises(OutputBusyError) as err, output_lock(tmp_path / "out"):
            pass
        assert time.perf_counter() - start < 1
        message = str(err.value)
        assert f"pid {proc.pid}" in message and "synthscope stage features --config demo.yaml" in message
        assert "another --output-dir" in message and "\n" not in message
    finally:
        proc.communicate("")  # the holder exits: its lock is released
    with output_lock(tmp_path / "out"):  # free again
        pass


def test_a_killed_holder_releases_the_lock_and_its_stale_record_is_taken_over(tmp_path):
    proc = holder(tmp_path / "out")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert json.loads((tmp_path / "out" / LOCK_NAME).read_text())["pid"] == proc.pid  # the stale record
    with output_lock(tmp_path / "out", "second"):
        record = json.loads((tmp_path / "out" / LOCK_NAME).read_text())
        assert record["pid"] == os.getpid() and record["command"] == "second"
    assert (tmp_path / "out" / LOCK_NAME).read_text() == ""  # released


def test_the_holder_may_re_enter(tmp_path):
    with output_lock(tmp_path), output_lock(tmp_path):  # ``audit`` and the flow it runs both ask
        pass
    with output_lock(tmp_path):
        pass
