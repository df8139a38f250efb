"""What the features stage computes, in units of work: shards of unique images missing rows.

Light on purpose (no torch): the stage plans here, and every stage process loads the stage's
declaration; the network and the loop that feeds it are in ``features.extract``.
"""

from __future__ import annotations

from dataclasses import dataclass

from synthscope.features.attributes import ATTRIBUTES_VERSION
from synthscope.store import FeatureStore

ATTRIBUTES_KEY = f"attributes-v{ATTRIBUTES_VERSION}"


@dataclass(frozen=True)
class Shard:
    """Unique images to process together; ``embed`` False means attributes only (no model)."""

    index: int
    image_ids: tuple[str, ...]
    paths: tuple[str, ...]  # absolute file paths, same order
    embed: bool


def plan_shards(
    image_ids: list[str], paths: list[str], store: FeatureStore, key: str, shard_size: int
) -> list[Shard]:
    """Shards of the unique images missing embeddings (``embed``), then of those missing only attributes."""
    first_path: dict[str, str] = {}
    for image_id, path in zip(image_ids, paths, strict=True):
        first_path.setdefault(image_id, path)  # identical bytes: any copy will do, take the first
    unique = list(first_path)
    need_embed = store.missing(unique, key)
    embed_set = set(need_embed)
    need_attr = [i for i in store.missing(unique, ATTRIBUTES_KEY) if i not in embed_set]
    shards: list[Shard] = []
    for ids, embed in ((need_embed, True), (need_attr, False)):
        for start in range(0, len(ids), shard_size):
            chunk = tuple(ids[start : start + shard_size])
            shards.append(Shard(len(shards), chunk, tuple(first_path[i] for i in chunk), embed))
    return shards
