"""Find a network's weights file and say whether it is the official one.

Lookup order (docs/design.md): explicit path (``features.weights``), the extractor's
environment variable, the torch hub checkpoint cache under the standard file name, an
installed package that ships the file (MobileNetV2 only), then a download verified against
the published checksum. A file counts as ``official`` only when its sha256 matches the
published one; anything else is ``custom``. Nothing here ever falls back to random weights.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import torch

from synthscope import fingerprint
from synthscope.errors import WeightsError
from synthscope.io import atomic_path
from synthscope.logs import log

DOWNLOAD_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class WeightSource:
    """Where one network's weights may come from and how to recognise the official file.

    ``sha256`` is the published digest: the full one where we know it, else the prefix
    that torchvision/pytorch-fid put in the file name (torch hub checks that prefix too).
    """

    file_name: str
    sha256: str
    url: str
    env_var: str
    package: str | None = None  # importable package holding ``weights/<file_name>``


@dataclass(frozen=True)
class ResolvedWeights:
    path: Path
    sha256: str  # full hex digest of the file
    official: bool
    source: str  # explicit | env | hub-cache | package | download

    @property
    def label(self) -> str:
        return "official" if self.official else "custom"


_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, memoised per (path, size, mtime) within the process."""
    stat = path.stat()
    memo_key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if memo_key not in _DIGESTS:
        _DIGESTS[memo_key] = fingerprint.file_sha256(path)
    return _DIGESTS[memo_key]


def hub_checkpoint(source: WeightSource) -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / source.file_name


def package_file(source: WeightSource) -> Path | None:
    if source.package is None:
        return None
    try:
        root = importlib.resources.files(source.package)
    except ModuleNotFoundError:
        return None
    path = Path(str(root / "weights" / source.file_name))
    return path if path.is_file() else None


def download(source: WeightSource, dest: Path) -> Path:
    """Download ``source.url`` to ``dest`` atomically; the digest must match the published one."""
    try:
        with urllib.request.urlopen(source.url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            with atomic_path(dest) as tmp:
                digest = hashlib.sha256()
                with open(tmp, "wb") as fh:
                    for chunk in iter(lambda: response.read(1 << 20), b""):
                        digest.update(chunk)
                        fh.write(chunk)
                if not digest.hexdigest().startswith(source.sha256):
                    raise WeightsError(
                        f"download of {source.url} has the wrong sha256; retry or set {source.env_var}"
                    )
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise WeightsError(
            f"no weights file {source.file_name} found and download failed ({exc}); "
            f"set {source.env_var}=/path/to/{source.file_name} or features.weights"
        ) from exc
    return dest


def resolve(
    source: WeightSource, explicit: str | Path | None = None, allow_download: bool = True
) -> ResolvedWeights:
    """Return the first weights file found in the lookup order, with its digest and label."""
    candidates: list[tuple[str, Path | None]] = []
    if explicit is not None:
        candidates.append(("explicit", Path(explicit)))
    elif os.environ.get(source.env_var):
        candidates.append(("env", Path(os.environ[source.env_var])))
    else:
        candidates += [("hub-cache", hub_checkpoint(source)), ("package", package_file(source))]
    for origin, path in candidates:
        if path is None:
            continue
        if path.is_file():
            digest = file_sha256(path)
            return ResolvedWeights(path, digest, digest.startswith(source.sha256), origin)
        if origin in ("explicit", "env"):  # the user named a file: a typo must not fall through
            what = "features.weights" if origin == "explicit" else source.env_var
            raise WeightsError(f"{what}: weights file {path} does not exist; point it at an existing file")
    if not allow_download:
        raise WeightsError(
            f"no weights file {source.file_name} found (downloads disabled); "
            f"set {source.env_var}=/path/to/{source.file_name} or features.weights"
        )
    dest = hub_checkpoint(source)
    log.info("downloading %s to %s", source.url, dest)
    path = download(source, dest)
    return ResolvedWeights(path, file_sha256(path), True, "download")


def load_state_dict(path: Path, what: str) -> dict[str, torch.Tensor]:
    """Load a checkpoint as a plain tensor dict (``weights_only``: no pickled code runs)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, OSError, EOFError, ValueError) as exc:
        raise WeightsError(
            f"{path} is not a readable PyTorch checkpoint for {what}; pass a .pth state_dict"
        ) from exc
    if not isinstance(state, dict):
        raise WeightsError(f"{path} does not hold a state_dict for {what}; pass a .pth state_dict")
    return state
