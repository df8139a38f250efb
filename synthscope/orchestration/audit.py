"""The audit flow: ingest -> features (one task per shard) -> scan | score -> debias -> report.

Each stage is a cached task (``tasks/``) whose key is the content digest of what it reads
plus its ``params.yaml`` sections, so a second run on unchanged data is served from the
cache, and changing a threshold re-runs only the stages that read it. The parameters are
what the CLI takes, so a run triggered from the UI can point at another config or change a
param (``param_overrides={"gates.max_fid": 80}``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prefect import flow, unmapped

from synthscope.config import AuditConfig, load_config
from synthscope.stages import UPSTREAM, expected_outputs
from tasks import debias, features, ingest, report, scan, score
from tasks.common import cache_key

DASK_ADDRESS_ENV = "SYNTHSCOPE_DASK_ADDRESS"


def _missing_outputs(stage: str, cfg: AuditConfig) -> bool:
    return not all(Path(p).exists() for p in expected_outputs(stage, cfg))


def _key(cfg: AuditConfig, stage: str, results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return cache_key(cfg, stage, [results[u]["digest"] for u in UPSTREAM[stage]])


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
    data = cfg.to_dict()
    results: dict[str, dict[str, Any]] = {}

    def run(stage: str, task: Any) -> Any:
        """Submit ``task``; re-run it (refresh the cache) when its files were deleted."""
        return task.with_options(refresh_cache=_missing_outputs(stage, cfg) or None).submit(
            data, _key(cfg, stage, results)
        )

    results["ingest"] = run("ingest", ingest.ingest).result()

    extractor, shards = features.plan(data)
    counts = features.shard.map(unmapped(data), unmapped(extractor), shards).result()
    key = _key(cfg, "features", results) | {"extractor": extractor.key}
    results["features"] = features.finalize.with_options(
        refresh_cache=_missing_outputs("features", cfg) or None
    )(data, key, extractor, counts)

    scanned, scored = run("scan", scan.scan), run("score", score.score)  # independent: run side by side
    results["scan"], results["score"] = scanned.result(), scored.result()
    results["debias"] = run("debias", debias.debias).result()
    results["report"] = run("report", report.report).result()
    return [path for stage in results.values() for path in stage["paths"]]


def audit_flow_for(dask_address: str | None = None) -> Any:
    """The flow with a Dask task runner when an address is given (or ``SYNTHSCOPE_DASK_ADDRESS`` is set).

    Only the feature shards are heavy enough to be worth spreading; every task is picklable.
    """
    address = dask_address or os.environ.get(DASK_ADDRESS_ENV)
    if not address:
        return audit_flow
    from prefect_dask import DaskTaskRunner

    return audit_flow.with_options(task_runner=DaskTaskRunner(address=address))
