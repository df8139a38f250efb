"""The ``synthscope-monitor`` Prefect flow: monitor the files new in a watched folder since the last run.

A thin wrapper: the new files come from ``monitor.watch`` (state in
``<output_dir>/monitor_state.parquet``), the batch is scored by the declared ``monitor`` stage
(``stages.monitor.STAGE``, flow ``monitor``) as a cached task, keyed like an audit stage
(``common.cache_key``: its params keys, the listing of its datasets, its code) plus the batch's
files, and a Markdown artifact (``monitor.md``) is published per run. The output dir's run lock is held for
the whole run, so two runs (a cron tick and a UI trigger) cannot take the same files.
``synthscope serve --monitor --cron EXPR`` serves it as a deployment.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from synthscope.config import load_params
from synthscope.io import JSONObject, write_parquet
from synthscope.monitor.watch import empty_state, new_files, taken
from synthscope.orchestration.common import CACHE_POLICY, RETRIES, cache_key, stage_result, transient
from synthscope.pipeline import get, pipeline
from synthscope.runlock import output_lock
from synthscope.stages.monitor import FLOW, MonitorConfig, read_monitor

STATE = "monitor_state.parquet"


def artifact_key(output_dir: str) -> str:
    """Prefect keys allow lowercase letters, digits and dashes only: one key per output dir."""
    return re.sub(r"[^a-z0-9-]+", "-", f"synthscope-monitor-{Path(output_dir).name}".lower()).strip("-")


def watch_batch_id(files: pd.DataFrame) -> str:
    """Content of the batch (path, size, mtime of each new file): a re-taken batch keeps its id."""
    text = "\n".join(f"{p}\t{b}\t{m}" for p, b, m in zip(files["path"], files["bytes"], files["mtime_ns"], strict=True))
    return "watch-" + hashlib.sha256(text.encode()).hexdigest()[:16]


@task(name="monitor", cache_policy=CACHE_POLICY, persist_result=True, retries=RETRIES, retry_delay_seconds=2,
      retry_condition_fn=transient)
def monitor_stage(config: MonitorConfig, key: JSONObject) -> JSONObject:
    """The declared stage ``key["stage"]``'s ``run``; ``key`` (not ``config``) is the cache key."""
    return stage_result(get(pipeline(FLOW), key["stage"]).run(config))


def run_monitor_stages(config: MonitorConfig) -> list[str]:
    """Run (or serve from the cache) the monitor flow's stages in order; a stage whose outputs are gone re-runs.

    The key is an audit stage's (``cache_key``) plus the batch: its files and id.
    """
    pipe = pipeline(FLOW)
    results: dict[object, JSONObject] = {}
    for node in pipe.nodes:
        key = cache_key(config, node, [results[u]["digest"] for u in pipe.node_upstream(node)], pipe)
        key |= {"files": list(config.files or ()), "batch_id": config.batch_id}
        refresh = not all(Path(p).exists() for p in pipe.expected_outputs(node.stage, config)) or None
        results[node] = monitor_stage.with_options(name=node.name, task_run_name=node.name,
                                                   refresh_cache=refresh)(config, key)
    return [path for node in pipe.nodes for path in results[node]["paths"]]


@flow(name="synthscope-monitor", log_prints=False)
def monitor_flow(synthetic: str, watch: str, output_dir: str, real: str | None = None, store_dir: str = "data/store",
                 params_file: str | None = None, param_overrides: dict[str, Any] | None = None,
                 settle_seconds: float = 2.0) -> JSONObject:  # parameters spelt out: a served run reads them from the file
    """Score the files of ``watch`` not taken by an earlier run; returns the batch's summary."""
    out = Path(output_dir)
    params = load_params(Path(params_file) if params_file else None, param_overrides or {})
    with output_lock(out, "synthscope-monitor flow"):
        state_path = out / STATE
        state = pd.read_parquet(state_path) if state_path.is_file() else empty_state()
        files = new_files(Path(watch), state, settle_seconds)
        if files.empty:
            create_markdown_artifact(markdown=f"# synthscope monitor\n\nNo new files in {watch}.\n",
                                     key=artifact_key(output_dir), description="no new files")
            return {"batch_id": None, "n_images": 0}
        batch_id = watch_batch_id(files)
        run_monitor_stages(MonitorConfig(Path(synthetic), Path(real) if real else None, Path(watch), out,
                                        Path(store_dir), params, batch_id, files=tuple(files["path"].tolist())))
        doc = read_monitor(out)
        write_parquet(state_path, taken(state, files, batch_id))  # after the outputs: a killed run re-takes them
    create_markdown_artifact(markdown=(out / "monitor.md").read_text(encoding="utf-8"), key=artifact_key(output_dir),
                             description=f"batch {batch_id}: {doc.verdict}")
    return {"batch_id": batch_id, "n_images": doc.n_images, "uncovered": doc.uncovered, "verdict": doc.verdict,
            "time": datetime.now(UTC).isoformat(timespec="seconds")}


def serve_monitor(synthetic: str, watch: str, output_dir: str, real: str | None, store_dir: str, cron: str | None,
                  params_file: str | None = None) -> None:
    """Serve ``monitor_flow`` as the deployment ``synthscope-monitor/<output dir name>``."""
    from synthscope.orchestration.deploy import require_api

    load_params(Path(params_file) if params_file else None)  # fail now, not at 3 a.m.
    require_api()
    monitor_flow.serve(
        name=f"monitor-{Path(output_dir).name}", cron=cron, tags=["synthscope", "monitor"],
        parameters={"synthetic": synthetic, "watch": watch, "output_dir": output_dir, "real": real,
                    "store_dir": store_dir, "params_file": params_file},
        description=f"synthscope monitor of {watch} against {synthetic}",
    )
