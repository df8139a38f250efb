"""Prefect's telemetry is off in every audit, not only under `make` (its Makefile exports)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_importing_the_orchestration_switches_prefect_telemetry_off():
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK")}
    code = ("import synthscope.orchestration\n"
            "from prefect.settings import get_current_settings\n"
            "print(get_current_settings().server.analytics_enabled)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    # a user's own choice is kept
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "true"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.stdout.strip() == "True", out.stderr



def _early_server_child(api_url: str | None, home: Path | None = None, profiles: Path | None = None) -> list[str]:
    """A fresh process: EarlyServer, then a flow in its settings; prints whether it started a server,
    whether the flow talked to it, and whether the server is gone after stop()."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    if home is not None:
        env["PREFECT_HOME"] = str(home)
    if profiles is not None:
        env["PREFECT_PROFILES_PATH"] = str(profiles)
    code = (
        "from synthscope.orchestration.server import EarlyServer\n"
        "from prefect.settings import PREFECT_API_URL, temporary_settings\n"
        f"url = {api_url!r}\n"
        "def check():\n"
        "    early = EarlyServer(); early.wait()\n"
        "    print(early.url is not None)\n"
        "    if early.url:\n"
        "        from prefect import flow\n"
        "        @flow\n"
        "        def where():\n"
        "            from prefect.context import get_run_context\n"
        "            return str(get_run_context().client.api_url)\n"
        "        with early.settings():\n"
        "            print(where().rstrip('/') == early.url.rstrip('/'))\n"
        "        process = early.process\n"
        "        early.stop()\n"
        "        print(process.poll() is not None)\n"
        "if url:\n"
        "    with temporary_settings({PREFECT_API_URL: url}):\n"
        "        check()\n"
        "else:\n"
        "    check()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.split()


def test_early_server_is_the_server_the_flow_uses_and_stops_after(tmp_path):
    assert _early_server_child(None, tmp_path / "prefect") == ["True", "True", "True"]


def test_early_server_starts_nothing_when_a_server_is_configured():
    # the setting lives in a context variable of the caller (as a test harness sets it)
    assert _early_server_child("http://127.0.0.1:9/api") == ["False"]


def test_early_server_stops_what_it_spawned_when_a_profile_names_a_server(tmp_path):
    # the server is spawned before Prefect (and so the profile) is read; the profile then wins
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('active = "remote"\n\n[profiles.remote]\nPREFECT_API_URL = "http://127.0.0.1:9/api"\n')
    assert _early_server_child(None, tmp_path / "prefect", profiles) == ["False"]


SHUTDOWN_NOISE = """
import signal, sys, time
def bye(*_):
    print("12:00:00.000 | ERROR   | sqlalchemy.pool.impl.AsyncAdaptedQueuePool - Exception during reset", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, bye)
print("serving", flush=True)
time.sleep(60)
"""


def test_what_the_server_prints_once_stopped_goes_to_a_file_not_the_log(monkeypatch, capfd, caplog):
    """Its output while serving passes through; what it prints once asked to stop (a shutdown race in
    Prefect's database services) is kept in a file named at INFO, so a clean audit has no ERROR line."""
    import logging
    import threading
    import time

    from synthscope.orchestration import server

    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # construct without spawning
    early = server.EarlyServer()
    assert early.process is None
    early.process = subprocess.Popen([sys.executable, "-c", SHUTDOWN_NOISE], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
    early.reader = threading.Thread(target=early._pass_output, daemon=True)
    early.reader.start()
    deadline = time.monotonic() + 30
    while "serving" not in (seen := capfd.readouterr().err) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "serving" in seen
    with caplog.at_level(logging.INFO, logger="synthscope"):
        early.stop()
    assert "ERROR" not in capfd.readouterr().err
    kept = [r.getMessage() for r in caplog.records if "while stopping" in r.getMessage()]
    assert len(kept) == 1, caplog.records
    path = Path(kept[0].rsplit(": ", 1)[-1])
    assert "Exception during reset" in path.read_text()
    path.unlink()
