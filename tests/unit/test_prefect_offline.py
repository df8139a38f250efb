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
