"""The served ``synthscope-monitor`` deployment on a real Prefect server: two batches dropped into
the watched folder one after the other, each taken by one run; no image counted twice.

Everything started here is stopped here, by PID (the serve process ignores SIGINT, so TERM).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.test_deployment import _free_port, _healthy, _stop, _wait, trigger_and_wait
from tests.shared_data import shared_dir

pytestmark = [pytest.mark.slow, pytest.mark.service]
ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {"features.extractor": "mobilenet-v2", "features.workers": 0, "ingest.workers": 0}


def _copy(files: list[Path], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy(f, dest / f"{f.parent.name}-{f.name}")


def test_served_monitor_takes_each_new_file_once(tmp_path):
    cifar = shared_dir() / "data" / "cifar10-sample"
    if not cifar.is_dir():
        pytest.fail(f"{cifar} is missing; set SYNTHSCOPE_SHARED to the folder holding data/cifar10-sample")
    classes = sorted(p for p in cifar.iterdir() if p.is_dir())
    for cls in classes:
        _copy(sorted(cls.iterdir())[:8], tmp_path / "train" / cls.name)
    batches = [[f for cls in classes for f in sorted(cls.iterdir())[8 + 2 * b: 10 + 2 * b]] for b in range(2)]
    watch = tmp_path / "watch"
    watch.mkdir()
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = dict(os.environ, PREFECT_API_URL=api, PREFECT_HOME=str(tmp_path / "prefect-home"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "out"
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("server", "serve")}  # noqa: SIM115
    procs: list[subprocess.Popen] = []
    try:
        server = subprocess.Popen(["prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                  env=env, stdout=logs["server"], stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(server)
        _wait(lambda: _healthy(f"{api}/health"), 120, "the Prefect server", server)
        serve = subprocess.Popen(
            ["synthscope", "serve", "--monitor", "--synthetic", str(tmp_path / "train"), "--watch", str(watch),
             "--output-dir", str(out), "--store-dir", str(tmp_path / "store"), "--cron", "0 3 * * *"],
            cwd=ROOT, env=env, stdout=logs["serve"], stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(serve)
        from prefect.settings import PREFECT_API_URL, temporary_settings

        os.environ["PREFECT_API_URL"] = api
        try:  # the settings context too: an earlier in-process flow (the test harness) may have pinned another server
            with temporary_settings(updates={PREFECT_API_URL: api}):
                states = []
                for batch in batches:
                    _copy(batch, watch)
                    past = time.time() - 60  # settled: older than the flow's settle_seconds
                    for f in watch.iterdir():
                        os.utime(f, (past, past))
                    states.append(asyncio.run(trigger_and_wait(serve, "synthscope-monitor/monitor-out", SETTINGS)))
        finally:
            del os.environ["PREFECT_API_URL"]
        log = (tmp_path / "serve.log").read_text()[-3000:]
        assert [s["state"] for s in states] == ["COMPLETED", "COMPLETED"], (states, log)
        assert all(s["artifacts"] for s in states)
    finally:
        for proc in reversed(procs):
            _stop(proc)
        for handle in logs.values():
            handle.close()
    assert all(p.poll() is not None for p in procs)
    history = pd.read_parquet(out / "monitor_history.parquet")
    assert len(history) == 2 and list(history["n_images"]) == [20, 20]
    state = pd.read_parquet(out / "monitor_state.parquet")
    assert len(state) == 40 and state["path"].is_unique  # every file taken once, none skipped
    assert state.groupby("batch_id").size().tolist() == [20, 20]

