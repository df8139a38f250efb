"""The served ``synthscope-monitor`` deployment on a real Prefect server: two batches dropped into
the watched folder one after the other, each taken by one run; no image counted twice.

The deployment is served against the session's Prefect test server (the ``prefect_harness``
fixture: a real local server, started once per session), and polls for runs every second
instead of Prefect's 10 s. The data is small: 5 training photos per CIFAR class, batches of 10.
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

from tests.e2e.test_deployment import _stop, trigger_and_wait
from tests.shared_data import shared_dir

pytestmark = [pytest.mark.slow, pytest.mark.service]
ROOT = Path(__file__).resolve().parents[2]
TRAIN = 5  # training photos per class
SETTINGS = {"features.extractor": "mobilenet-v2", "features.workers": 0, "ingest.workers": 0}


def _copy(files: list[Path], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy(f, dest / f"{f.parent.name}-{f.name}")


def test_served_monitor_takes_each_new_file_once(tmp_path, prefect_harness):
    from prefect.settings import PREFECT_API_URL

    cifar = shared_dir() / "data" / "cifar10-sample"
    if not cifar.is_dir():
        pytest.fail(f"{cifar} is missing; set SYNTHSCOPE_SHARED to the folder holding data/cifar10-sample")
    classes = sorted(p for p in cifar.iterdir() if p.is_dir())
    for cls in classes:
        _copy(sorted(cls.iterdir())[:TRAIN], tmp_path / "train" / cls.name)
    batches = [[sorted(cls.iterdir())[TRAIN + b] for cls in classes] for b in range(2)]  # one photo per class
    watch = tmp_path / "watch"
    watch.mkdir()
    api = PREFECT_API_URL.value()  # the session's test server
    assert api and api.startswith("http://127.0.0.1"), api
    env = dict(os.environ, PREFECT_API_URL=api, PREFECT_HOME=str(tmp_path / "prefect-home"),
               PREFECT_RUNNER_POLL_FREQUENCY="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "out"
    logs = {"serve": open(tmp_path / "serve.log", "w")}  # noqa: SIM115
    procs: list[subprocess.Popen] = []
    try:
        serve = subprocess.Popen(
            ["synthscope", "serve", "--monitor", "--synthetic", str(tmp_path / "train"), "--watch", str(watch),
             "--output-dir", str(out), "--store-dir", str(tmp_path / "store"), "--cron", "0 3 * * *"],
            cwd=ROOT, env=env, stdout=logs["serve"], stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(serve)
        states = []
        for batch in batches:
            _copy(batch, watch)
            past = time.time() - 60  # settled: older than the flow's settle_seconds
            for f in watch.iterdir():
                os.utime(f, (past, past))
            states.append(asyncio.run(trigger_and_wait(serve, "synthscope-monitor/monitor-out", SETTINGS, poll=0.5)))
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
    assert len(history) == 2 and list(history["n_images"]) == [10, 10]
    state = pd.read_parquet(out / "monitor_state.parquet")
    assert len(state) == 20 and state["path"].is_unique  # every file taken once, none skipped
    assert state.groupby("batch_id").size().tolist() == [10, 10]

