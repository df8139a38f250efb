"""Load one audit's embeddings from the feature store: the interface the later stages use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from synthscope.documents import FeaturesDocument, read_document
from synthscope.documents.stages import ExtractorInfo
from synthscope.errors import StageInputError
from synthscope.paths import OutputPaths
from synthscope.store import FeatureStore

INDEX_COLUMNS = ("image_id", "role", "label", "path", "root")


@dataclass(frozen=True)
class Embeddings:
    """One row per ok manifest row, in manifest order.

    ``features``: (N, D) float32 (pool3 2048-d for inception-fid, 1280-d for mobilenet-v2);
    ``logits``: (N, C) float32 ImageNet logits (1008 for inception-fid, 1000 for mobilenet-v2);
    ``extractor``: features.json's description of the network (``name``, ``weights``, ``key``, ``dim`` ...).
    """

    index: pd.DataFrame
    features: np.ndarray
    logits: np.ndarray
    extractor: ExtractorInfo


def load_embeddings(paths: OutputPaths, store_dir: Path) -> Embeddings:
    """Read ``features.json`` for the extractor key, then the store rows of the manifest's ok images."""
    if not paths.features_summary.is_file():
        raise StageInputError(f"{paths.features_summary} is missing; run `synthscope stage features` first")
    if not paths.manifest.is_file():
        raise StageInputError(f"{paths.manifest} is missing; run `synthscope stage ingest` first")
    summary = read_document(paths.features_summary, FeaturesDocument)
    assert summary is not None  # checked above
    extractor = summary.extractor
    manifest = pd.read_parquet(paths.manifest)
    index = manifest.loc[manifest["status"] == "ok", list(INDEX_COLUMNS)].reset_index(drop=True)
    ids = index["image_id"].tolist()
    if ids:
        arrays = FeatureStore(store_dir).read(
            ids, extractor.key, columns=["image_id", "features", "logits"]
        )
        features, logits = arrays["features"], arrays["logits"]
    else:
        features = np.empty((0, extractor.dim), dtype=np.float32)
        logits = np.empty((0, extractor.n_logits), dtype=np.float32)
    return Embeddings(
        index, features.astype(np.float32, copy=False), logits.astype(np.float32, copy=False), extractor
    )
