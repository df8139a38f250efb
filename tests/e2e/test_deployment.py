"""A real Prefect server on a free loopback port, the served deployment, a run through the API.

Everything started here is stopped here, by PID (the serve process ignores SIGINT, so TERM).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import FAST_PARAMS

pytestmark = [pytest.mark.slow, pytest.mark.service]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: process exited with {proc.returncode}")
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_served_deployment_runs_from_the_api(demo_dir, demo_store, tmp_path):
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = dict(os.environ, PREFECT_API_URL=api, PREFECT_HOME=str(tmp_path / "prefect-home"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    config = tmp_path / "svc.yaml"
    config.write_text(yaml.safe_dump({"name": "svc", "synthetic": str(demo_dir / "synthetic"),
                                      "real": str(demo_dir / "real"), "output_dir": str(tmp_path / "out"),
                                      "store_dir": str(demo_store)}))
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("server", "serve")}  # noqa: SIM115
    procs: list[subprocess.Popen] = []
    try:
        server = subprocess.Popen(["prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                  env=env, stdout=logs["server"], stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(server)
        _wait(lambda: _healthy(f"{api}/health"), 120, "the Prefect server", server)
        serve = subprocess.Popen(["synthscope", "serve", "--config", str(config), "--cron", "0 3 * * *"], cwd=ROOT,
                                 env=env, stdout=logs["serve"], stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(serve)

        from prefect.settings import PREFECT_API_URL, temporary_settings

        # this process talks to the same server; a setting, not the environment: a test harness
        # that an earlier test of this worker started holds its own API URL in Prefect's settings context
        with temporary_settings(updates={PREFECT_API_URL: api}):
            flow_run = asyncio.run(trigger_and_wait(serve, "synthscope-audit/synthscope-svc", FAST_PARAMS))
        assert flow_run["state"] == "COMPLETED", (flow_run, (tmp_path / "serve.log").read_text()[-3000:])
        assert flow_run["schedule"] == "0 3 * * *"
        assert {"synthscope-svc-summary", "synthscope-svc-findings", "synthscope-svc-report"} <= flow_run["artifacts"]
        assert (tmp_path / "out" / "report.html").is_file()
    finally:
        for proc in reversed(procs):
            _stop(proc)
        for handle in logs.values():
            handle.close()
    assert all(p.poll() is not None for p in procs)


async def trigger_and_wait(serve: subprocess.Popen, deployment_name: str, param_overrides: dict,
                           poll: float = 2.0) -> dict:
    """Run the served deployment once (after it registers); its final state, artifact keys and schedule.

    ``poll``: seconds between two reads of the run's state."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.exceptions import ObjectNotFound

    async with get_client(httpx_settings={"timeout": 30}) as client:
        deadline = time.monotonic() + 120
        while True:  # the serve process registers the deployment after it starts
            try:
                deployment = await client.read_deployment_by_name(deployment_name)
                break
            except ObjectNotFound as exc:
                if time.monotonic() > deadline or serve.poll() is not None:
                    raise AssertionError(f"deployment never registered: {exc}") from exc
                await asyncio.sleep(1)
        run = await client.create_flow_run_from_deployment(deployment.id, parameters={"param_overrides": param_overrides})
        deadline = time.monotonic() + 480
        while True:
            run = await client.read_flow_run(run.id)
            if run.state is not None and run.state.is_final():
                break
            if time.monotonic() > deadline or serve.poll() is not None:
                raise AssertionError(f"flow run did not finish: {run.state}")
            await asyncio.sleep(poll)
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
        )
        schedules = [s.schedule.cron for s in deployment.schedules]
        return {"state": run.state.type.value, "artifacts": {a.key for a in artifacts if a.key},
                "schedule": schedules[0] if schedules else None}
