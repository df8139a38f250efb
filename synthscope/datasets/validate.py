"""Validate one file: read it once, hash it, decode it fully, or say why not.

Runs in worker processes, so it imports only Pillow and numpy and returns plain dicts
(:class:`ManifestRow`: picklable, and the manifest table is built from a list of them).
A bad file never raises: it comes back with ``status="quarantined"`` and a reason.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
from pathlib import Path
from typing import Any, TypedDict

from PIL import Image, UnidentifiedImageError

from synthscope.datasets.image import SUPPORTED_FORMATS, decode
from synthscope.datasets.sources import resolve_inside


class ManifestRow(TypedDict, total=False):
    """One manifest row as validation returns it; ingest adds ``role``, ``root`` and ``path_bytes``
    (the columns: ``synthscope.schema.MANIFEST_COLUMNS``)."""

    image_id: str  # sha256 of the bytes; "" when the file could not be read
    label: str
    path: str
    width: int
    height: int
    mode: str
    status: str  # ok | quarantined
    reason: str
    format: str
    bytes: int
    role: str
    root: str
    path_bytes: bytes  # the raw name when it is not valid UTF-8, else b""


def record(rel: str, label: str, **fields: Any) -> ManifestRow:
    """A row quarantined (unless ``fields`` say otherwise) with empty measurements, then ``fields``."""
    base = ManifestRow(image_id="", label=label, path=rel, width=0, height=0, mode="", status="quarantined",
                       reason="", format="", bytes=0)
    base.update(fields)  # type: ignore[typeddict-item]
    return base


def inspect_file(
    root: str,
    rel: str,
    label: str,
    extensions: tuple[str, ...],
    max_bytes: int,
    max_pixels: int,
    min_side: int,
) -> ManifestRow:
    """One manifest row for ``root/rel``; the file is opened read-only and never modified.

    Every component of the path is resolved: a symlinked file or folder anywhere in it must
    lead to a place inside the root, or the row is quarantined without the file being read.
    """
    full = Path(root) / rel
    try:
        real = resolve_inside(full, Path(root))
        if real is None:
            return record(rel, label, reason=_escape_reason(Path(root), rel))
        info = os.stat(real)
    except OSError as exc:
        return record(rel, label, reason=_stat_reason(full, exc))
    except ValueError as exc:  # an embedded NUL byte in a manifest path
        return record(rel, label, reason=f"unusable path: {exc}")
    if not stat.S_ISREG(info.st_mode):
        return record(rel, label, reason="not a regular file")
    size = info.st_size
    if size == 0:
        return record(rel, label, reason="empty file (0 bytes)")
    if size > max_bytes:
        return record(rel, label, bytes=size, reason=f"file is {size / 2**20:.0f} MB, over ingest.max_file_mb")
    suffix = full.suffix.lower()
    if suffix not in extensions:
        return record(rel, label, bytes=size, reason=f"unsupported file type {suffix or '(no extension)'!r}")
    try:
        data = real.read_bytes()
    except OSError as exc:
        return record(rel, label, bytes=size, reason=f"cannot read file: {exc.strerror or exc}")
    digest = hashlib.sha256(data).hexdigest()
    return _inspect_bytes(rel, label, data, digest, max_pixels, min_side)


def _escape_reason(root: Path, rel: str) -> str:
    """Which link takes ``rel`` out of the root: the file itself or a folder on the way."""
    parts = Path(rel).parts
    for i in range(1, len(parts)):
        if (root.joinpath(*parts[:i])).is_symlink():
            return f"symlinked folder {'/'.join(parts[:i])!r} leads outside the dataset root"
    return "symlink points outside the dataset root"


def _stat_reason(full: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop (too many levels of symbolic links)"
    if exc.errno == errno.ENOENT:
        return "dangling symlink (its target does not exist)" if os.path.lexists(full) else "file not found"
    return f"cannot stat file: {exc.strerror or exc}"


# First bytes of the formats ingest accepts: a file that starts like one but does not open is
# a damaged image ("truncated or corrupt"), not "not an image".
MAGIC = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG", b"GIF87a": "GIF", b"GIF89a": "GIF", b"BM": "BMP",
         b"II*\x00": "TIFF", b"MM\x00*": "TIFF"}


def sniff_format(data: bytes) -> str:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((fmt for magic, fmt in MAGIC.items() if data.startswith(magic)), "")


def _inspect_bytes(rel: str, label: str, data: bytes, digest: str, max_pixels: int, min_side: int) -> ManifestRow:
    row = {"image_id": digest, "bytes": len(data)}
    try:
        with Image.open(io.BytesIO(data)) as header:
            fmt, mode, (width, height) = header.format or "", header.mode, header.size
    except Image.DecompressionBombError:
        return record(rel, label, **row, reason="decompression bomb: pixel count exceeds Pillow's hard limit")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        if fmt := sniff_format(data):
            return record(rel, label, **row, format=fmt, reason=f"truncated or corrupt image: a {fmt} header "
                           "that does not open")
        return record(rel, label, **row, reason="not an image (format not recognised)")
    row.update(format=fmt, mode=mode, width=width, height=height)
    if fmt not in SUPPORTED_FORMATS:
        return record(rel, label, **row, reason=f"unsupported image format {fmt!r}")
    if width * height > max_pixels:
        return record(rel, label, **row,
                       reason=f"decompression bomb: {width}x{height} = {width * height} pixels exceeds ingest.max_pixels")
    if min(width, height) < min_side:
        return record(rel, label, **row, reason=f"image is {width}x{height}, below ingest.min_side={min_side}")
    try:
        _stored, rgb = decode(data)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return record(rel, label, **row, reason=f"truncated or corrupt image: {message}")
    row.update(width=rgb.width, height=rgb.height)
    return record(rel, label, **row, status="ok")


def inspect_many(args: list[tuple]) -> list[ManifestRow]:
    """Batch entry point for a process pool: one call per chunk keeps pickling cheap."""
    return [inspect_file(*a) for a in args]
