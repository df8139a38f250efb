"""Serve the audit flow on a cron schedule: ``synthscope serve`` (Prefect's ``flow.serve``).

``serve`` needs a Prefect API (``PREFECT_API_URL``, e.g. from ``make ui``); the process
stays in the foreground running scheduled and UI-triggered runs until it gets SIGTERM.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthscope.config import load_config


def deployment_name(config: str) -> str:
    return f"synthscope-{load_config(Path(config)).name}"


def serve(config: str, cron: str | None, params_file: str | None = None) -> None:
    from synthscope.orchestration.audit import audit_flow_for

    load_config(Path(config), None, Path(params_file) if params_file else None)  # fail now, not at 3 a.m.
    parameters: dict[str, Any] = {"config": config, "params_file": params_file}
    audit_flow_for().serve(
        name=deployment_name(config),
        cron=cron,
        parameters=parameters,
        tags=["synthscope"],
        description=f"synthscope audit of {config}",
    )
