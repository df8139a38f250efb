"""Features stage: manifest -> attributes and embeddings in the feature store -> attributes.parquet.

Only images whose rows are missing from the store are decoded. The work is split into shards
(``features.shards``) so that a Dask cluster can map ``features.extract.compute_shard`` over them;
:func:`run` calls :func:`plan`, then :func:`compute` for each shard, then :func:`complete`.
The torch side lives in ``features.extract`` and is imported when a shard is computed: every
stage process loads this module for the stage's declaration.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from synthscope.config import AuditConfig
from synthscope.datasets.manifest import unusable
from synthscope.documents import FeaturesDocument, write_document
from synthscope.documents.stages import RowCounts
from synthscope.errors import DataError, StageInputError
from synthscope.features.attributes import ATTRIBUTE_COLUMNS
from synthscope.features.shards import ATTRIBUTES_KEY, Shard, plan_shards
from synthscope.io import write_parquet
from synthscope.logs import log
from synthscope.paths import OutputPaths
from synthscope.schema import ATTRIBUTE_KEYS
from synthscope.stages.stage import STORE, Stage
from synthscope.store import FeatureStore

if TYPE_CHECKING:
    from synthscope.features.extractors import Extractor

__all__ = ["ATTRIBUTES_KEY", "STAGE", "Shard", "complete", "compute", "plan", "run"]


def read_manifest(paths: OutputPaths) -> pd.DataFrame:
    """The ok rows of ``manifest.parquet`` in manifest order, with an absolute ``file`` column."""
    if not paths.manifest.is_file():
        raise StageInputError(f"{paths.manifest} is missing; run `synthscope stage ingest` first")
    manifest = pd.read_parquet(paths.manifest)
    ok = manifest[manifest["status"] == "ok"].reset_index(drop=True)
    ok["file"] = [str(Path(r) / p) for r, p in zip(ok["root"], ok["path"], strict=True)]
    return ok


def finalize(
    ok: pd.DataFrame, store: FeatureStore, extractor: Extractor, counts: dict[str, int], paths: OutputPaths
) -> list[Path]:
    """Write ``attributes.parquet`` (one row per ok manifest row) and ``features.json``."""
    ids = ok["image_id"].tolist()
    attrs = store.read(ids, ATTRIBUTES_KEY)
    frame = ok[list(ATTRIBUTE_KEYS)].copy()
    for column in (*ATTRIBUTE_COLUMNS, "dhash"):
        frame[column] = attrs[column] if ids else np.empty(0)
    write_parquet(paths.attributes, frame)
    unique = len(set(ids))
    summary = FeaturesDocument(
        extractor=extractor.info(),
        attributes_key=ATTRIBUTES_KEY,
        store_dir=str(store.root),
        images=len(ids),
        unique_images=unique,
        embeddings=RowCounts(computed=counts["embeddings"], cached=unique - counts["embeddings"]),
        attributes=RowCounts(computed=counts["attributes"], cached=unique - counts["attributes"]),
    )
    write_document(paths.features_summary, summary)
    return [paths.attributes, paths.features_summary]


def plan(config: AuditConfig) -> tuple[Extractor, list[Shard]]:
    """The extractor to use and the shards of images whose rows are missing from the store."""
    params = config.params.features
    paths = OutputPaths(config.output_dir)
    ok = read_manifest(paths)
    manifest = pd.read_parquet(paths.manifest, columns=["role", "status", "reason"])
    for role, source in config.datasets().items():
        if (why := unusable(manifest, role, str(source))) is not None:
            raise DataError(why)
    from synthscope.features.extractors import resolve_extractor

    extractor = resolve_extractor(params.extractor, params.weights, params.download)
    shards = plan_shards(
        ok["image_id"].tolist(), ok["file"].tolist(), FeatureStore(config.store_dir), extractor.key, params.shard_size
    )
    return extractor, shards


def compute(config: AuditConfig, extractor: Extractor, shard: Shard) -> dict[str, int]:
    """One shard into the store (what a Dask worker runs); returns rows written."""
    from synthscope.features.extract import compute_shard, spare_workers

    params = config.params.features
    return compute_shard(
        shard, extractor, str(config.store_dir), params.batch_size, spare_workers(params.workers), params.part_rows
    )


def complete(config: AuditConfig, extractor: Extractor, counts: dict[str, int]) -> list[Path]:
    """After every shard: log what was computed versus served from cache, write the outputs."""
    paths = OutputPaths(config.output_dir)
    ok = read_manifest(paths)
    unique = ok["image_id"].nunique()
    log.info(
        "features: %s (%s weights); embeddings computed %d, served from cache %d; "
        "attributes computed %d, served from cache %d",
        extractor.spec_name,
        extractor.weights.label,
        counts["embeddings"],
        unique - counts["embeddings"],
        counts["attributes"],
        unique - counts["attributes"],
    )
    return finalize(ok, FeatureStore(config.store_dir), extractor, counts, paths)


def run(config: AuditConfig) -> list[Path]:
    extractor, shards = plan(config)
    counts = {"embeddings": 0, "attributes": 0}
    for shard in shards:
        done = compute(config, extractor, shard)
        counts = {k: counts[k] + done[k] for k in counts}
    return complete(config, extractor, counts)


STAGE = Stage(
    name="features",
    run=run,
    reads=("manifest", STORE),
    writes=("attributes", "features_summary", STORE),
    params=("features",),
    document=FeaturesDocument,
)
