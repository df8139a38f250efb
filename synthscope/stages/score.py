"""Score stage: embeddings (+ images for the CNN) -> ``metrics.json``.

Reads the features stage's embeddings through ``synthscope.features.load.load_embeddings``,
its dhashes from ``attributes.parquet`` (CAS leaves out synthetic near copies of real test
images by the scan's ``mem_*`` criterion) and, when ``score.cas_model`` is ``cnn``, the images themselves through
``synthscope.datasets.image.load_rgb``. All computation is in ``synthscope.metrics``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from synthscope.config import AuditConfig
from synthscope.errors import DataError, StageInputError
from synthscope.io import write_json
from synthscope.logs import log, progress
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


def role_data(
    index: pd.DataFrame, features: np.ndarray, logits: np.ndarray, role: str, dhash: np.ndarray | None = None
) -> RoleData | None:
    """The rows of one role, in index order; None when the role has no ok images.
    ``dhash`` int64 (N,) aligned with ``index`` (None: near copies are found by id and embedding only)."""
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


def index_dhash(paths: OutputPaths, index: pd.DataFrame) -> np.ndarray:
    """The features stage's dhash of each ``index`` row (attributes.parquet, keyed by image_id)."""
    if not paths.attributes.is_file():
        raise StageInputError(f"{paths.attributes} is missing; run `synthscope stage features` first")
    attrs = pd.read_parquet(paths.attributes, columns=["image_id", "dhash"]).drop_duplicates("image_id")
    dhash = index["image_id"].map(attrs.set_index("image_id")["dhash"])
    if dhash.isna().any():
        raise StageInputError(f"{paths.attributes} lacks rows of the manifest; re-run `synthscope stage features`")
    return dhash.to_numpy().astype(np.int64)


def run(config: AuditConfig) -> list[Path]:
    from synthscope.features.load import load_embeddings

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
            synthetic=synthetic, real=real, extractor=dict(emb.extractor), params=params, images=images,
            scan=config.params.scan,
        )
    )
    for warning in metrics.get("fid", {}).get("warnings", []):
        log.warning("score: %s", warning)
    return [write_json(paths.metrics_json, metrics)]
