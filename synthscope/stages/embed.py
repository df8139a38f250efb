"""Image folder -> embeddings with a registered extractor: the I/O side of ``synthscope fid``.

Unlike the features stage this needs no manifest, store or attributes: ``synthscope fid A B``
is the ad-hoc command of the peers (pytorch-fid, clean-fid), so it embeds the folder's images
directly, with the same extractor code (``features.extractors``: same preprocessing, same
network, so the same numbers as the pipeline). Images are listed recursively in sorted path
order; pytorch-fid only reads a folder's top level, so for a flat folder both read the same
files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import UnidentifiedImageError

from synthscope.datasets.image import load_rgb
from synthscope.documents.stages import ExtractorInfo
from synthscope.errors import DataError
from synthscope.features.extractors import resolve_extractor
from synthscope.logs import progress

# pytorch-fid's IMAGE_EXTENSIONS, plus gif (Pillow reads it and the pipeline accepts it).
IMAGE_SUFFIXES = frozenset({".bmp", ".jpg", ".jpeg", ".pgm", ".png", ".ppm", ".tif", ".tiff", ".webp", ".gif"})


@dataclass(frozen=True)
class EmbeddedFolder:
    """``features`` float32 (N, dim) in ``files`` order; ``extractor`` the network's info dict."""

    files: list[Path]
    features: np.ndarray
    extractor: ExtractorInfo


def list_images(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursive, hidden files skipped), sorted; >= 2 or DataError."""
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder; pass an image folder or an .npz of mu/sigma statistics")
    files = sorted(
        p for p in folder.rglob("*")
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() and not any(s.startswith(".") for s in p.parts)
    )
    if len(files) < 2:
        raise DataError(f"{folder} holds {len(files)} image(s); a Fréchet distance needs at least 2 per side")
    return files


def _model_input(path: Path, preprocess) -> torch.Tensor:
    try:
        rgb = load_rgb(path)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"{path}: cannot read image ({exc}); remove it from the folder") from exc
    return preprocess(torch.from_numpy(np.array(rgb, copy=True)).permute(2, 0, 1))


def embed_folder(
    folder: Path, extractor: str = "auto", weights: Path | None = None, batch_size: int = 32
) -> EmbeddedFolder:
    """Embed every image of ``folder`` with the named extractor (weights resolved as the pipeline does)."""
    files = list_images(Path(folder))  # first: a bad folder should not wait for a model to load
    resolved = resolve_extractor(extractor, weights)
    spec, model = resolved.spec, resolved.model()
    chunks = []
    with torch.inference_mode():
        starts = range(0, len(files), batch_size)
        for start in progress(starts, f"embed {folder}", total=len(starts)):
            batch = torch.stack([_model_input(p, spec.preprocess) for p in files[start : start + batch_size]])
            features, _ = model(batch.contiguous(memory_format=torch.channels_last))
            chunks.append(features.float().numpy())
    return EmbeddedFolder(files, np.concatenate(chunks), resolved.info())
