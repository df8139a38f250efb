"""Serve the audit flow on a cron schedule: ``synthscope serve`` (Prefect's ``flow.serve``).

``serve`` needs a Prefect API (``PREFECT_API_URL``, e.g. from ``make ui``): without one,
Prefect would start a temporary server inside this process that no scheduler or UI ever
reaches, and the schedule would silently never fire, so :func:`require_api` refuses first,
naming the fix. The process stays in the foreground running scheduled and UI-triggered
runs until it gets SIGTERM.
"""

from __future__ import annotations

from pathlib import Path

from synthscope.config import load_config
from synthscope.errors import ConfigError
from synthscope.io import JSONObject


def deployment_name(config: str) -> str:
    return f"synthscope-{load_config(Path(config)).name}"


START_SERVER = ("start one with `make ui` (or `prefect server start --host 127.0.0.1`) and export "
                "PREFECT_API_URL=http://127.0.0.1:4200/api")


def require_api(timeout: float = 3.0) -> str:
    """The Prefect API URL, once its server answers ``/health``; else a one-line ``ConfigError``."""
    import httpx
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise ConfigError(f"serve needs a Prefect server to schedule on and PREFECT_API_URL is not set; {START_SERVER}")
    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=timeout).raise_for_status()
    except httpx.HTTPError as exc:
        raise ConfigError(f"no Prefect server answers at PREFECT_API_URL={url} ({type(exc).__name__}); "
                          f"{START_SERVER}") from None
    return url


def serve(config: str, cron: str | None, params_file: str | None = None) -> None:
    load_config(Path(config), None, Path(params_file) if params_file else None)  # fail now, not at 3 a.m.
    require_api()
    from synthscope.orchestration.audit import audit_flow_for

    parameters: JSONObject = {"config": config, "params_file": params_file}
    audit_flow_for().serve(
        name=deployment_name(config),
        cron=cron,
        parameters=parameters,
        tags=["synthscope"],
        description=f"synthscope audit of {config}",
    )
