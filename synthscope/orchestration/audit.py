"""The audit flow, built from the stage declarations (``synthscope.pipeline``).

Every run of the pipeline's plan (``Pipeline.nodes``: the stages, and the re-scans before and
after debias) is a cached task, submitted as soon as the runs it reads from are done, so
independent stages (scan and score) run side by side. A task's cache key is the content
digest of what it reads, its ``params.yaml`` keys and the digest of its own code (its stage
module's imports), so a second run on unchanged data is served from the cache, changing a
threshold re-runs only the stages that read it, and editing a report template re-runs only
the report. The re-scans run on both sides whatever debias built, as under ``dvc repro``, so the
flow and DVC write the same documents (``compare`` reads only those it needs); when debias built
no set, each re-scan task copies the audit's own outputs (``stages.rescan.stand_in``). The parameters are what the CLI takes, so a run triggered from the UI can point
at another config or change a param (``param_overrides={"gates.max_fd_ratio": 2.0}``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.futures import PrefectFuture, as_completed

from synthscope.completion import intact
from synthscope.config import AuditConfig, load_config
from synthscope.io import JSONObject
from synthscope.orchestration import features, report
from synthscope.orchestration.common import cache_key, stage_task
from synthscope.pipeline import Node, Pipeline, pipeline
from synthscope.runlock import output_lock
from synthscope.stages import expected_outputs
from synthscope.stages.rescan import rescan_config

DASK_ADDRESS_ENV = "SYNTHSCOPE_DASK_ADDRESS"
AFTER = {"report": report.publish}  # extra Prefect work once a stage really ran (the report's UI artifacts)
SHARDED = {"features": features.run}  # stages with their own task shape (one task per shard)


def _missing_outputs(stage: str, cfg: AuditConfig) -> bool:
    """A cached stage re-runs when its files are gone, or were replaced by another run (completion record)."""
    return not all(Path(p).exists() for p in expected_outputs(stage, cfg)) or not intact(stage, cfg)


def task_name(node: Node) -> str:
    return node.stage if node.side is None else f"{node.stage}-{node.side}"


def _submit(node: Node, cfg: AuditConfig, key: JSONObject) -> PrefectFuture | JSONObject:
    """Submit the node's task for ``cfg``, refreshing its cache when its files were deleted or replaced."""
    name, refresh = task_name(node), _missing_outputs(node.stage, cfg) or None
    if node.stage in SHARDED and cfg.stands_in_for is None:  # a stand-in re-scan copies, in one task
        return SHARDED[node.stage](cfg, key, name, refresh)
    task = stage_task(node.stage, AFTER.get(node.stage))
    return task.with_options(name=name, task_run_name=name, refresh_cache=refresh).submit(cfg.to_dict(), key)


def run_plan(cfg: AuditConfig, pipe: Pipeline) -> list[str]:
    """Run every node of ``pipe`` for ``cfg``; returns the paths written (as strings), in plan order."""
    results: dict[Node, JSONObject] = {}
    running: dict[PrefectFuture, Node] = {}
    sides: dict[str | None, AuditConfig] = {None: cfg}
    pending = list(pipe.nodes)
    while pending or running:
        ready = [n for n in pending if all(u in results for u in pipe.node_upstream(n))]
        for node in ready:
            pending.remove(node)
            if node.side not in sides:  # the config of a side is known once debias wrote augmented.json
                sides[node.side] = rescan_config(cfg, node.side)
            sub = sides[node.side]
            key = cache_key(sub, node, [results[u]["digest"] for u in pipe.node_upstream(node)], pipe)
            submitted = _submit(node, sub, key)
            if isinstance(submitted, dict):
                results[node] = submitted
            else:
                running[submitted] = node
        if running and not any(n in results for n in ready):  # else a stage that ran in place may free others
            done = next(as_completed(list(running)))
            results[running.pop(done)] = done.result()
        elif pending and not ready:  # Pipeline refuses cycles, so this is a bug
            raise RuntimeError(f"no stage can start: {[n.name for n in pending]}")
    return [path for node in pipe.nodes for path in results[node]["paths"]]


@flow(name="synthscope-audit", log_prints=False)
def audit_flow(
    config: str | None = "configs/demo.yaml",
    overrides: dict[str, Any] | None = None,  # spelt out: a served run resolves the signature from the file alone
    params_file: str | None = None,
    param_overrides: dict[str, Any] | None = None,
) -> list[str]:
    """Run every stage for one audit config; returns the paths written (as strings).

    ``overrides``: config keys (synthetic, real, output_dir, store_dir); ``param_overrides``:
    dotted params.yaml keys, as ``synthscope audit --set`` takes them.
    """
    cfg = load_config(
        Path(config) if config else None, overrides or {}, Path(params_file) if params_file else None, param_overrides
    )
    with output_lock(cfg.output_dir, f"synthscope audit flow of {cfg.name} (pid {os.getpid()})"):
        return run_plan(cfg, pipeline())


def audit_flow_for(dask_address: str | None = None) -> Any:
    """The flow with a Dask task runner when an address is given (or ``SYNTHSCOPE_DASK_ADDRESS`` is set).

    Only the feature shards are heavy enough to be worth spreading; every task is picklable.
    """
    address = dask_address or os.environ.get(DASK_ADDRESS_ENV)
    if not address:
        return audit_flow
    from prefect_dask import DaskTaskRunner

    return audit_flow.with_options(task_runner=DaskTaskRunner(address=address))
