"""Score stage: embeddings (+ images for the CNN) -> ``metrics.json`` and ``realism.parquet``.

Reads the features stage's embeddings through ``synthscope.features.load.load_embeddings``
and, when ``score.cas_model`` is ``cnn``, the images themselves through
``synthscope.datasets.image.load_rgb``. All computation is in ``synthscope.metrics``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from synthscope.config import AuditConfig
from synthscope.errors import DataError
from synthscope.io import write_json, write_parquet
from synthscope.logs import log, progress
from synthscope.metrics.realism import realism, realism_frame
from synthscope.metrics.suite import RoleData, ScoreInputs, score_all
from synthscope.paths import OutputPaths


def load_images(index: pd.DataFrame, size: int) -> np.ndarray:
    """Rows with ``root``/``path`` -> uint8 (N, size, size, 3), EXIF-transposed RGB, bilinear-resized."""
    from synthscope.datasets.image import load_rgb

    out = np.empty((len(index), size, size, 3), dtype=np.uint8)
    rows = zip(index["root"], index["path"], strict=True)
    for i, (root, rel) in enumerate(progress(rows, "load images", total=len(index))):
        rgb = load_rgb(Path(root) / rel)
        if rgb.shape[:2] != (size, size):
            rgb = np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.BILINEAR))
        out[i] = rgb
    return out


def role_data(index: pd.DataFrame, features: np.ndarray, logits: np.ndarray, role: str) -> RoleData | None:
    """The rows of one role, in index order; None when the role has no ok images."""
    mask = (index["role"] == role).to_numpy()
    if not mask.any():
        return None
    rows = index[mask]
    return RoleData(
        ids=rows["image_id"].astype(str).to_numpy(),
        labels=rows["label"].astype(str).to_numpy(),
        features=features[mask],
        logits=logits[mask],
    )


def run(config: AuditConfig) -> list[Path]:
    from synthscope.features.load import load_embeddings

    paths = OutputPaths(config.output_dir)
    params = config.params.score
    emb = load_embeddings(paths, config.store_dir)
    synthetic = role_data(emb.index, emb.features, emb.logits, "synthetic")
    if synthetic is None:
        raise DataError(f"{paths.manifest} has no ok synthetic images; check the synthetic dataset path")
    real = role_data(emb.index, emb.features, emb.logits, "real")
    if real is None:
        log.warning("score: no real reference, so only the Inception Score is computed")

    def images(role: str) -> np.ndarray:
        return load_images(emb.index[emb.index["role"] == role], params.cas_image_size)

    metrics = score_all(
        ScoreInputs(
            synthetic=synthetic, real=real, extractor=dict(emb.extractor), params=params, images=images
        )
    )
    for warning in metrics.get("fid", {}).get("warnings", []):
        log.warning("score: %s", warning)
    table = realism_table(emb.index, emb.features, params.realism_k, params.realism_outlier_below)
    return [write_json(paths.metrics_json, metrics), write_parquet(paths.realism, table)]


def realism_table(index: pd.DataFrame, features: np.ndarray, k: int, outlier_below: float) -> pd.DataFrame:
    """``realism.parquet``: every ok synthetic row against the real rows (scores null without
    enough real rows: the score needs more than ``k``)."""
    is_syn = (index["role"] == "synthetic").to_numpy()
    is_real = (index["role"] == "real").to_numpy()
    syn, real = index[is_syn], index[is_real]
    if is_real.sum() <= k:
        if is_real.any():
            log.warning("score: %d real images are too few for the realism score (needs more than "
                        "score.realism_k=%d); realism.parquet has no scores", is_real.sum(), k)
        return realism_frame(syn, real, None, outlier_below)
    return realism_frame(syn, real, realism(features[is_real], features[is_syn], k), outlier_below)
