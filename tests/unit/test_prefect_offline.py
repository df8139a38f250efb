"""Prefect's telemetry is off in every audit, not only under `make` (its Makefile exports)."""

from __future__ import annotations

import os
import subprocess
import sys


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


def _early_server_child(api_url: str | None) -> list[str]:
    """A fresh process: EarlyServer, then a flow; prints whether a temporary server ran and whose."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = os.environ.get("PREFECT_HOME_FOR_TESTS", env.get("PREFECT_HOME", ""))
    if not env["PREFECT_HOME"]:
        env.pop("PREFECT_HOME")
    code = (
        "from synthscope.orchestration.server import EarlyServer\n"
        "from prefect.server.api.server import SubprocessASGIServer\n"
        f"from prefect.settings import PREFECT_API_URL, temporary_settings\n"
        f"url = {api_url!r}\n"
        "def check():\n"
        "    early = EarlyServer(); early.wait()\n"
        "    servers = [s for s in SubprocessASGIServer._instances.values() if s.running]\n"
        "    print(len(servers), early.error is None)\n"
        "    if servers:\n"
        "        from prefect import flow\n"
        "        @flow\n"
        "        def empty():\n"
        "            from prefect.context import get_run_context\n"
        "            return get_run_context().client.api_url\n"
        "        print(str(empty()).rstrip('/') == servers[0].api_url.rstrip('/'))\n"
        "if url:\n"
        "    with temporary_settings({PREFECT_API_URL: url}):\n"
        "        check()\n"
        "else:\n"
        "    check()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.split()


def test_early_server_starts_the_temporary_server_the_flow_then_uses(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME_FOR_TESTS", str(tmp_path / "prefect"))
    assert _early_server_child(None) == ["1", "True", "True"]


def test_early_server_starts_nothing_when_a_server_is_configured():
    # the setting lives in a context variable of the caller (as a test harness sets it): the thread sees it
    assert _early_server_child("http://127.0.0.1:9/api") == ["0", "True"]
