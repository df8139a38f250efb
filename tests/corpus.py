"""Builders of small test corpora: a tree of every kind of bad file beside good ones."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import numpy as np
from PIL import Image


def png_bytes(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def rgb_image(seed: int, size: tuple[int, int] = (24, 16)) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8))


def exif_rotated_jpeg() -> bytes:
    """A 30x10 JPEG whose EXIF says "rotate 90 degrees": displayed as 10x30."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return png_bytes(rgb_image(5, (30, 10)), "JPEG", exif=exif.tobytes())


# name -> (bytes, expected reason substring or None for ok)
def bad_corpus(root: Path, outside: Path) -> dict[str, str | None]:
    """Write an ImageFolder at ``root`` mixing good and bad files; return expectations.

    Keys are paths relative to ``root``; values are the expected quarantine reason (a
    substring) or None when the file must be kept.
    """
    good = png_bytes(rgb_image(0))
    palette = rgb_image(1).convert("P", palette=Image.Palette.ADAPTIVE)
    palette.info["transparency"] = 0
    la = Image.new("LA", (12, 12), (80, 128))
    gray16 = Image.fromarray((np.arange(16 * 16, dtype=np.uint16).reshape(16, 16) * 200).astype(np.uint16))
    files: dict[str, tuple[bytes, str | None]] = {
        "cat/good.png": (good, None),
        "cat/good_copy.png": (good, None),
        "cat/palette.png": (png_bytes(palette, transparency=0), None),
        "cat/gray_alpha.png": (png_bytes(la), None),
        "cat/gray16.png": (png_bytes(gray16), None),
        "cat/cmyk.jpg": (png_bytes(rgb_image(2).convert("CMYK"), "JPEG"), None),
        "cat/gray.bmp": (png_bytes(rgb_image(3).convert("L"), "BMP"), None),
        "cat/rotated.jpg": (exif_rotated_jpeg(), None),
        "dog/ünïcødé naïve 猫.png": (png_bytes(rgb_image(4)), None),
        "dog/<img src=x onerror=alert(1)>.png": (png_bytes(rgb_image(6)), None),
        "dog/it's \"quoted\".webp": (png_bytes(rgb_image(7), "WEBP"), None),
        "<script>alert(1)<\\script>/x.png": (png_bytes(rgb_image(8)), None),
        "dog/empty.png": (b"", "empty file"),
        "dog/truncated.png": (png_bytes(rgb_image(9, (64, 64)))[:300], "truncated or corrupt"),
        "dog/not_an_image.png": (b"hello, I am text pretending to be a PNG\n" * 4, "not an image"),
        "dog/notes.txt": (b"some notes", "unsupported file type '.txt'"),
        "dog/icon.ico": (png_bytes(rgb_image(10, (16, 16)), "ICO"), "unsupported file type '.ico'"),
        "dog/icon_named_png.png": (png_bytes(rgb_image(10, (16, 16)), "ICO"), "unsupported image format 'ICO'"),
        "dog/bomb.png": (png_bytes(Image.new("L", (3000, 3000))), "decompression bomb"),
        "dog/tiny.png": (png_bytes(rgb_image(11, (2, 2))), "below ingest.min_side"),
        "loose.png": (good, "not inside a class folder"),
    }
    for rel, (data, _reason) in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.png").write_bytes(png_bytes(rgb_image(12)))
    os.symlink(outside / "secret.png", root / "dog" / "escape.png")
    os.symlink(root / "cat" / "good.png", root / "dog" / "inside_link.png")
    os.symlink(outside, root / "linked_dir")
    expected = {rel: reason for rel, (_data, reason) in files.items()}
    expected["dog/escape.png"] = "symlink points outside the dataset root"
    expected["dog/inside_link.png"] = None
    expected["linked_dir"] = "symlinked folder is not followed"
    return expected


def tree_digest(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every entry under ``root`` -> (sha256 or link target, mode, mtime_ns): detects any change."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = os.lstat(path)
            if path.is_symlink():
                content = "link:" + os.readlink(path)
            elif path.is_file():
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                content = "dir"
            out[str(path.relative_to(root))] = (content, st.st_mode, st.st_mtime_ns)
    return out
