"""The ``synthscope-monitor`` Prefect flow: monitor the files new in a watched folder since the last run.

A thin wrapper: the new files come from ``monitor.watch`` (state in
``<output_dir>/monitor_state.parquet``), the batch is scored by ``stages.monitor`` and a
Markdown artifact (``monitor.md``) is published per run. The output dir's run lock is held for
the whole run, so two runs (a cron tick and a UI trigger) cannot take the same files.
``synthscope serve --monitor --cron EXPR`` serves it as a deployment.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from prefect import flow
from prefect.artifacts import create_markdown_artifact

from synthscope.config import load_params
from synthscope.io import JSONObject, write_parquet
from synthscope.monitor.watch import empty_state, new_files, taken
from synthscope.runlock import output_lock
from synthscope.stages.monitor import monitor_once

STATE = "monitor_state.parquet"


def artifact_key(output_dir: str) -> str:
    """Prefect keys allow lowercase letters, digits and dashes only: one key per output dir."""
    return re.sub(r"[^a-z0-9-]+", "-", f"synthscope-monitor-{Path(output_dir).name}".lower()).strip("-")


def watch_batch_id(files: pd.DataFrame) -> str:
    """Content of the batch (path, size, mtime of each new file): a re-taken batch keeps its id."""
    text = "\n".join(f"{p}\t{b}\t{m}" for p, b, m in zip(files["path"], files["bytes"], files["mtime_ns"], strict=True))
    return "watch-" + hashlib.sha256(text.encode()).hexdigest()[:16]


@flow(name="synthscope-monitor", log_prints=False)
def monitor_flow(synthetic: str, watch: str, output_dir: str, real: str | None = None, store_dir: str = "data/store",
                 params_file: str | None = None, param_overrides: JSONObject | None = None,
                 settle_seconds: float = 2.0) -> JSONObject:
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
        doc = monitor_once(Path(synthetic), Path(real) if real else None, Path(watch), out, Path(store_dir), params,
                           batch_id, files=files["path"].tolist())
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
