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
    """``features`` float32 (N, dim) in ``files`` order; ``extractor`` the network's description (ExtractorInfo)."""

    files: list[Path]
    features: np.ndarray
    extractor: ExtractorInfo


def list_images(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursive, hidden files and folders below it skipped), sorted;
    >= 2 or DataError. Only the parts below ``folder`` are checked: ``../gen`` is not hidden."""
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder; pass an image folder or an .npz of mu/sigma statistics")
    files = sorted(
        p for p in folder.rglob("*")
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
        and not any(s.startswith(".") for s in p.relative_to(folder).parts)
    )
    if len(files) < 2:
        kinds = ", ".join(sorted(IMAGE_SUFFIXES))
        raise DataError(f"{folder} holds {len(files)} image file(s) ({kinds}); a Fréchet distance needs at least 2 "
                        "per side: put images in it, flat or in subfolders")
    return files


class _Files(torch.utils.data.Dataset):
    """Model inputs of ``files``, for a DataLoader with ``num_workers`` processes (as pytorch-fid)."""

    def __init__(self, files: list[Path], preprocess) -> None:
        self.files, self.preprocess = files, preprocess

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        return _model_input(self.files[i], self.preprocess)


def _model_input(path: Path, preprocess) -> torch.Tensor:
    try:
        rgb = load_rgb(path)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"{path}: cannot read image ({exc}); remove it from the folder") from exc
    return preprocess(torch.from_numpy(np.array(rgb, copy=True)).permute(2, 0, 1))


def embed_folder(
    folder: Path, extractor: str = "auto", weights: Path | None = None, batch_size: int = 50,
    num_workers: int = 0, device: str = "cpu",
) -> EmbeddedFolder:
    """Embed every image of ``folder`` with the named extractor (weights resolved as the pipeline does).

    ``batch_size``, ``num_workers`` (decode processes) and ``device`` mean what they mean in
    pytorch-fid; none of them changes the features beyond float rounding.
    """
    files = list_images(Path(folder))  # first: a bad folder should not wait for a model to load
    resolved = resolve_extractor(extractor, weights)
    spec, model = resolved.spec, resolved.model().to(device)
    loader = torch.utils.data.DataLoader(_Files(files, spec.preprocess), batch_size=batch_size,
                                         shuffle=False, drop_last=False, num_workers=num_workers)
    chunks = []
    with torch.inference_mode():
        for batch in progress(loader, f"embed {folder}", total=len(loader)):
            features, _ = model(batch.to(device).contiguous(memory_format=torch.channels_last))
            chunks.append(features.float().cpu().numpy())
    return EmbeddedFolder(files, np.concatenate(chunks), resolved.info())
