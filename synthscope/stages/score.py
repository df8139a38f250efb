"""Score stage: embeddings (+ images for the CNN) -> ``metrics.json`` and ``realism.parquet``.

Reads the features stage's embeddings through ``synthscope.features.load.load_embeddings``,
its dhashes from ``attributes.parquet`` (CAS leaves out synthetic near copies of real test
images by ``near_copy.mem_*``) and, when the CAS model is the CNN (``score.cas_model``), the images themselves through
``synthscope.datasets.image.load_rgb``. All computation is in ``synthscope.metrics``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from synthscope.config import AuditConfig
from synthscope.datasets.image import load_images as load_image_files
from synthscope.documents import MetricsDocument, write_document
from synthscope.errors import DataError
from synthscope.io import write_parquet
from synthscope.logs import log
from synthscope.paths import OutputPaths
from synthscope.stages.stage import STORE, Stage

if TYPE_CHECKING:
    from synthscope.metrics.suite import RoleData


def load_images(index: pd.DataFrame, size: int) -> np.ndarray:
    """Rows with ``root``/``path`` -> uint8 (N, size, size, 3) (``datasets.image.load_images``)."""
    return load_image_files([Path(r) / p for r, p in zip(index["root"], index["path"], strict=True)], size)


def role_data(
    index: pd.DataFrame, features: np.ndarray, logits: np.ndarray, role: str, dhash: np.ndarray | None = None
) -> RoleData | None:
    """The rows of one role, in index order; None when the role has no ok images.
    ``dhash`` int64 (N,) aligned with ``index`` (None: near copies are found by id and embedding only)."""
    from synthscope.metrics.suite import RoleData

    mask = (index["role"] == role).to_numpy()
    if not mask.any():
        return None
    rows = index[mask]
    return RoleData(
        ids=rows["image_id"].astype(str).to_numpy(),
        labels=rows["label"].astype(str).to_numpy(),
        features=features[mask],
        logits=logits[mask],
        dhash=None if dhash is None else dhash[mask],
    )


def run(config: AuditConfig) -> list[Path]:
    # The metrics are imported here, not at the top: every stage process loads every stage's
    # declaration, and the metrics' dependencies (scikit-learn, torch) cost seconds to import.
    from synthscope.features.dhash import index_dhash
    from synthscope.features.load import load_embeddings
    from synthscope.metrics.fits import FitCache, fits_dir
    from synthscope.metrics.suite import ScoreInputs, score_all

    paths = OutputPaths(config.output_dir)
    params = config.params.score
    emb = load_embeddings(paths, config.store_dir)
    dhash = index_dhash(paths, emb.index)
    synthetic = role_data(emb.index, emb.features, emb.logits, "synthetic", dhash)
    if synthetic is None:
        raise DataError(f"{paths.manifest} has no ok synthetic images; check the synthetic dataset path")
    real = role_data(emb.index, emb.features, emb.logits, "real", dhash)
    if real is None:
        log.warning("score: no real reference, so only the Inception Score is computed")

    def images(role: str) -> np.ndarray:
        return load_images(emb.index[emb.index["role"] == role], params.cas_image_size)

    metrics = score_all(
        ScoreInputs(
            synthetic=synthetic, real=real, extractor=emb.extractor, params=params, images=images,
            copies=config.params.near_copy.memorization, fits=FitCache(fits_dir(config.store_dir)),
        )
    )
    for warning in metrics.fid.warnings if metrics.fid else []:
        log.warning("score: %s", warning)
    table = realism_table(emb.index, emb.features, params.realism_k, params.realism_outlier_below)
    return [write_document(paths.metrics_json, metrics), write_parquet(paths.realism, table)]


def realism_table(index: pd.DataFrame, features: np.ndarray, k: int, outlier_below: float) -> pd.DataFrame:
    """``realism.parquet``: every ok synthetic row against the real rows (scores null without
    enough real rows: the score needs more than ``k``)."""
    from synthscope.metrics.realism import realism, realism_frame

    is_syn = (index["role"] == "synthetic").to_numpy()
    is_real = (index["role"] == "real").to_numpy()
    syn, real = index[is_syn], index[is_real]
    if is_real.sum() <= k:
        if is_real.any():
            log.warning("score: %d real images are too few for the realism score (needs more than "
                        "score.realism_k=%d); realism.parquet has no scores", is_real.sum(), k)
        return realism_frame(syn, real, None, outlier_below)
    return realism_frame(syn, real, realism(features[is_real], features[is_syn], k), outlier_below)


STAGE = Stage(
    name="score",
    run=run,
    reads=("manifest", "attributes", "features_summary", STORE),
    writes=("metrics_json", "realism"),
    # CAS leaves out near copies of real test images: only these keys, so a change to the
    # duplicates criterion does not retrain the CAS classifiers
    params=("score", "near_copy.mem_hamming", "near_copy.mem_cosine"),
    document=MetricsDocument,
    metrics=("metrics_json",),
)
