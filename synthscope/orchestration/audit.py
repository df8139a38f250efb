"""The audit flow: ingest -> features (one task per shard) -> scan | score -> debias ->
re-scans before and after (ingest -> features -> scan each) -> compare -> report.

Each stage is a cached task (``synthscope.orchestration``) whose key is the content digest of what it reads
plus its ``params.yaml`` sections, so a second run on unchanged data is served from the
cache, and changing a threshold re-runs only the stages that read it. The parameters are
what the CLI takes, so a run triggered from the UI can point at another config or change a
param (``param_overrides={"gates.max_fd_ratio": 2.0}``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prefect import flow, unmapped

from synthscope.completion import intact
from synthscope.config import AuditConfig, load_config
from synthscope.orchestration import features, report
from synthscope.orchestration.common import cache_key
from synthscope.orchestration.stages import compare, debias, ingest, scan, score
from synthscope.runlock import output_lock
from synthscope.stages import UPSTREAM, expected_outputs
from synthscope.stages.rescan import SIDES, rescan_config

DASK_ADDRESS_ENV = "SYNTHSCOPE_DASK_ADDRESS"


def _missing_outputs(stage: str, cfg: AuditConfig) -> bool:
    """A cached stage re-runs when its files are gone, or were replaced by another run (completion record)."""
    return not all(Path(p).exists() for p in expected_outputs(stage, cfg)) or not intact(stage, cfg)


def _key(cfg: AuditConfig, stage: str, results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return cache_key(cfg, stage, [results[u]["digest"] for u in UPSTREAM[stage]])


def _submit(stage: str, task: Any, cfg: AuditConfig, key: dict[str, Any], suffix: str = "") -> Any:
    """Submit ``task`` for ``cfg``; re-run it (refresh the cache) when its files were deleted."""
    name = f"{stage}{suffix}"
    return task.with_options(name=name, task_run_name=name, refresh_cache=_missing_outputs(stage, cfg) or None).submit(
        cfg.to_dict(), key
    )


def _ingest_features(cfg: AuditConfig, suffix: str = "") -> dict[str, dict[str, Any]]:
    """ingest -> features (one task per shard of missing rows) of one config."""
    results: dict[str, dict[str, Any]] = {}
    data = cfg.to_dict()
    results["ingest"] = _submit("ingest", ingest, cfg, _key(cfg, "ingest", results), suffix).result()
    extractor, shards = features.plan.with_options(task_run_name=f"features-plan{suffix}")(data)
    counts = features.shard.map(unmapped(data), unmapped(extractor), shards).result()
    key = _key(cfg, "features", results) | {"extractor": extractor.key}
    results["features"] = features.finalize.with_options(
        name=f"features{suffix}", task_run_name=f"features{suffix}", refresh_cache=_missing_outputs("features", cfg) or None
    )(data, key, extractor, counts)
    return results


def _rescan(cfg: AuditConfig, side: str) -> dict[str, dict[str, Any]]:
    """ingest -> features -> scan of the set on one side of debias (``stages.rescan``)."""
    sub = rescan_config(cfg, side)
    results = _ingest_features(sub, f"-{side}")
    results["scan"] = _submit("scan", scan, sub, _key(sub, "scan", results), f"-{side}").result()
    return results


@flow(name="synthscope-audit", log_prints=False)
def audit_flow(
    config: str | None = "configs/demo.yaml",
    overrides: dict[str, Any] | None = None,
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
        return _audit(cfg)


def _audit(cfg: AuditConfig) -> list[str]:
    """The flow's body, run while this process holds the output dir's lock (``synthscope.runlock``)."""
    results = _ingest_features(cfg)
    scanned, scored = _submit("scan", scan, cfg, _key(cfg, "scan", results)), _submit(
        "score", score, cfg, _key(cfg, "score", results)
    )  # independent: score runs beside scan, debias and the re-scans
    results["scan"] = scanned.result()
    results["debias"] = _submit("debias", debias, cfg, _key(cfg, "debias", results)).result()
    # Judging the debiased set is the pipeline's job: scan before and after, then compare.
    rescans = {side: _rescan(cfg, side) for side in SIDES}
    results["score"] = scored.result()
    upstream = [results[u]["digest"] for u in UPSTREAM["compare"]]
    upstream += [rescans[side][stage]["digest"] for side in SIDES for stage in ("features", "scan")]
    results["compare"] = _submit("compare", compare, cfg, cache_key(cfg, "compare", upstream)).result()
    results["report"] = _submit("report", report.report, cfg, _key(cfg, "report", results)).result()
    paths = [path for stage in results.values() for path in stage["paths"]]
    return paths + [path for side in SIDES for stage in rescans[side].values() for path in stage["paths"]]


def audit_flow_for(dask_address: str | None = None) -> Any:
    """The flow with a Dask task runner when an address is given (or ``SYNTHSCOPE_DASK_ADDRESS`` is set).

    Only the feature shards are heavy enough to be worth spreading; every task is picklable.
    """
    address = dask_address or os.environ.get(DASK_ADDRESS_ENV)
    if not address:
        return audit_flow
    from prefect_dask import DaskTaskRunner

    return audit_flow.with_options(task_runner=DaskTaskRunner(address=address))
