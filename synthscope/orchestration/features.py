"""The features stage as three kinds of task, so a Dask task runner can spread the shards.

``plan`` (uncached: it asks the store what is missing) -> one ``shard`` task per shard of
missing images (the store is their cache) -> ``features`` (cached like every stage: the
attributes table and ``features.json`` for the manifest's images).
"""

from __future__ import annotations

from prefect import task, unmapped
from prefect.cache_policies import NO_CACHE

from synthscope.completion import recorded
from synthscope.config import AuditConfig
from synthscope.features.extractors import Extractor
from synthscope.io import JSONObject
from synthscope.orchestration.common import CACHE_POLICY, RETRIES, config_from_dict, stage_result, transient
from synthscope.stages import features as stage
from synthscope.stages.features import Shard


@task(name="features-plan", task_run_name="features-plan", cache_policy=NO_CACHE)
def plan(config: JSONObject) -> tuple[Extractor, list[Shard]]:
    return stage.plan(config_from_dict(config))


@task(
    name="features-shard",
    task_run_name="features-shard-{shard.index}",
    cache_policy=NO_CACHE,
    retries=RETRIES,
    retry_delay_seconds=2,
    retry_condition_fn=transient,
)
def shard(config: JSONObject, extractor: Extractor, shard: Shard) -> dict[str, int]:
    return stage.compute(config_from_dict(config), extractor, shard)


@task(
    name="features",
    task_run_name="features",
    cache_policy=CACHE_POLICY - "extractor" - "counts",
    persist_result=True,
    retries=RETRIES,
    retry_delay_seconds=2,
    retry_condition_fn=transient,
)
def finalize(config: JSONObject, key: JSONObject, extractor: Extractor, counts: list[dict[str, int]]) -> dict:
    """``key`` names the extractor (its weights' sha256) through the params; ``counts`` only feed the log."""
    total = {"embeddings": sum(c["embeddings"] for c in counts), "attributes": sum(c["attributes"] for c in counts)}
    cfg = config_from_dict(config)
    return stage_result(recorded("features", cfg, lambda: stage.complete(cfg, extractor, total)), salt=extractor.key)


def run(cfg: AuditConfig, key: JSONObject, name: str, refresh: bool | None) -> JSONObject:
    """plan -> one task per shard of missing rows -> the cached ``features`` task; returns its result."""
    data = cfg.to_dict()
    plan_name = "features-plan" + name.removeprefix("features")  # features-plan, features-plan-after
    extractor, shards = plan.with_options(task_run_name=plan_name)(data)
    counts = shard.map(unmapped(data), unmapped(extractor), shards).result()
    return finalize.with_options(name=name, task_run_name=name, refresh_cache=refresh)(
        data, key | {"extractor": extractor.key}, extractor, counts)
