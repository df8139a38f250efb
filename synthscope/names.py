"""Names from datasets are data, never paths: safe folder names for labels, text forms of file names.

A class label comes from a folder name or a manifest cell, so it may be ``..``, ``/tmp/x``,
``CON``, 300 characters or a string with a NUL in it. Wherever synthscope builds a path
from a label (the debias stage's ``augmented/<class>/``) it uses :func:`folder_name`, which
keeps an ordinary label as it is and turns any other into a slug plus a short hash of the
true name; the true label is kept in the manifests beside the files.

A file name on a POSIX disk is bytes and need not be UTF-8; Python hands it over with
surrogate escapes, which Parquet, JSON and HTML cannot hold. :func:`text_form` gives the
display form (undecodable bytes as ``\\xNN``) and the raw bytes, so a manifest row names
such a file losslessly.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata

# Folder names every filesystem synthscope may write to (ext4, APFS, NTFS, SMB shares) accepts
# and no shell or tool misreads: ASCII letters, digits, '_', '-', '.' inside, nothing hidden.
_SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
# Windows device names, reserved with any extension (CON.txt) and in any case.
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
HASH_CHARS = 8
SLUG_CHARS = 40


def _is_safe(name: str) -> bool:
    return bool(_SAFE.fullmatch(name)) and not name.endswith(".") and name.split(".")[0].upper() not in _RESERVED


def folder_name(label: str, taken: frozenset[str] = frozenset()) -> str:
    """One path component for ``label``: the label itself when already safe (and not one of the
    ``taken`` names beside the folders), else ``<slug>-<hash8>``.

    The hash is of the label's exact text, so two labels with the same slug (``a/b`` and ``a``
    backslash ``b``) still get different folders; the slug keeps the folder recognisable.
    """
    if _is_safe(label) and label not in taken:
        return label
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_text).strip("._-")[:SLUG_CHARS].rstrip("._-") or "class"
    if slug.split(".")[0].upper() in _RESERVED:  # "COM1.txt" would still open the device on Windows
        slug = f"_{slug}"
    digest = hashlib.sha256(label.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    return f"{slug}-{digest}"


def is_text(name: str) -> bool:
    """False when ``name`` holds surrogate escapes (bytes that were not UTF-8) or cannot be encoded."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text_form(name: str) -> tuple[str, bytes]:
    """(display text, raw bytes) of a file system name as ``os.walk`` returns it.

    The display text is the name with each undecodable byte written ``\\xNN``; the raw bytes
    (``os.fsencode``) are what the disk holds, for a lossless record.
    """
    raw = os.fsencode(name)
    return raw.decode("utf-8", "backslashreplace"), raw
