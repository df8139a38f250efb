"""What every stage task shares: rebuilding the config, cache keys, retries, the task factory."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prefect import Task, task
from prefect.cache_policies import INPUTS, TASK_SOURCE

from synthscope.codedeps import files_digest
from synthscope.config import AuditConfig
from synthscope.errors import SynthscopeError
from synthscope.fingerprint import dataset_fingerprint, outputs_digest
from synthscope.io import JSONObject
from synthscope.params import build_params
from synthscope.pipeline import Node, Pipeline
from synthscope.stages import run_stage
from synthscope.stages.stage import DATASETS

# ``config`` is the full config as a plain dict (to rebuild it in the worker); it is left out
# of the cache key, which is ``key``: exactly what the stage reads (see ``cache_key``).
CACHE_POLICY = (INPUTS - "config") + TASK_SOURCE
RETRIES = 2


def config_from_dict(data: JSONObject) -> AuditConfig:
    """The inverse of ``AuditConfig.to_dict`` (params re-validated by ``build_params``)."""
    return AuditConfig(
        name=data["name"],
        synthetic=Path(data["synthetic"]),
        real=None if data["real"] is None else Path(data["real"]),
        output_dir=Path(data["output_dir"]),
        store_dir=Path(data["store_dir"]),
        params=build_params(data["params"]),
        stands_in_for=Path(data["stands_in_for"]) if data.get("stands_in_for") else None,
    )


def cache_key(config: AuditConfig, node: Node, upstream: list[str], pipe: Pipeline) -> JSONObject:
    """Everything a run's outputs depend on: its params keys, its input digests, its code, where it writes.

    ``upstream`` are the digests returned by the runs it reads from; a stage that reads the
    datasets also keys on their listing. ``code`` is the digest of the stage module and every
    synthscope module it imports (``synthscope.codedeps``), which TASK_SOURCE (the wrapper's
    body) does not cover: editing the report's template re-runs the report only.
    """
    stage = pipe.stages[node.stage]
    key: JSONObject = {
        "stage": node.name,
        "params": {name: param_value(config, name) for name in stage.params},
        "output_dir": str(Path(config.output_dir).resolve()),
        "store_dir": str(Path(config.store_dir).resolve()),
        "upstream": list(upstream),
        "code": files_digest(pipe.code(node)),
    }
    if DATASETS in stage.reads:
        key["datasets"] = {role: dataset_fingerprint(path) for role, path in config.datasets().items()}
    return key


def param_value(config: AuditConfig, name: str) -> Any:
    """A params section (``"scan"``) or one key of it (``"scan.mem_cosine"``), as plain data."""
    section, _, key = name.partition(".")
    value = config.params.to_dict()[section]
    return value[key] if key else value


def transient(_task: Task, _run: Any, state: Any) -> bool:
    """Retry only what may pass on a second try (I/O hiccups); a user error fails at once."""
    exc = state.result(raise_on_failure=False)
    return isinstance(exc, OSError) and not isinstance(exc, SynthscopeError)


def stage_result(paths: list[Path], salt: str = "") -> JSONObject:
    """What a task returns: its output paths (strings) and a digest that keys the next stages.

    Only the first path, the stage's primary table, is digested: the summaries beside it
    (``ingest.json``, ``features.json``) carry timings and cache-hit counts that change on
    every run and would re-run everything downstream for identical data. ``salt`` adds what
    the table does not show (the features stage's extractor key).
    """
    primary = [p for p in paths[:1] if Path(p).exists()]
    return {"paths": [str(p) for p in paths], "digest": outputs_digest(primary) + salt}


@functools.cache
def stage_task(stage: str, after: Callable[[AuditConfig, JSONObject], None] | None = None) -> Task:
    """A cached, retried Prefect task running the stage's ``run`` (one task object per stage)."""

    def body(config: JSONObject, key: JSONObject) -> JSONObject:
        cfg = config_from_dict(config)
        result = stage_result(run_stage(stage, cfg))
        if after is not None:
            after(cfg, result)
        return result

    body.__name__ = body.__qualname__ = f"{stage}_stage"
    return task(
        body,
        name=stage,
        task_run_name=f"{stage}",
        cache_policy=CACHE_POLICY,
        persist_result=True,
        retries=RETRIES,
        retry_delay_seconds=2,
        retry_condition_fn=transient,
    )
