"""List the files of a dataset: a folder tree or a CSV/Parquet manifest (``layout`` decides which).

Listing never opens an image; it only decides which (root, relative path, label) to
inspect and flags entries that must not be read at all (outside the root, no class, hidden,
a name that is not UTF-8). Every file and every folder not entered is one entry: the
manifest lists it, with the reason when it is not read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from synthscope.errors import DataError
from synthscope.names import text_form

MANIFEST_SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class Entry:
    rel: str  # POSIX path relative to the dataset root (as given, for quarantined entries); always valid text
    label: str
    problem: str = ""  # non-empty: quarantine without reading the file
    raw: bytes = b""  # the name's bytes when it is not valid UTF-8 (``rel`` is then its display form)


HIDDEN_FILE = "hidden file (name starts with '.') is not read; rename it to include it"
HIDDEN_FOLDER = "hidden folder (name starts with '.') is not read; rename it to include its files"
NOT_UTF8 = "file name is not valid UTF-8 (shown with \\x escapes); rename it"


def resolve_inside(path: Path, root: Path) -> Path | None:
    """``path`` with every symlink of every component resolved, if it exists and lies under
    ``root``; None if it leaves the root. Raises ``OSError`` (missing, loop) like ``os.stat``."""
    real = Path(os.path.realpath(path, strict=True))
    return real if real.is_relative_to(os.path.realpath(root)) else None


def is_inside(path: Path, root: Path) -> bool:
    """True if ``path`` (symlinks resolved, also a loop or a missing file) lies under ``root``."""
    real = os.path.realpath(path)  # non-strict: never raises; a loop stays unresolved, then checked as is
    return Path(real).is_relative_to(os.path.realpath(root))


def _entry(root: Path, full: Path, problem: str = "", unlabelled_ok: bool = False) -> Entry:
    """An entry for ``full``; the label is the first folder below the root ("" for a top-level name)."""
    display, raw = text_form(full.relative_to(root).as_posix())
    parts = PurePosixPath(display).parts
    label = parts[0] if len(parts) > 1 else ""
    if not problem and raw != display.encode("utf-8"):
        problem = NOT_UTF8
    if not problem and len(parts) < 2 and not unlabelled_ok:
        problem = "file is not inside a class folder (<class>/<image>)"
    return Entry(display, label, problem, raw if raw != display.encode("utf-8") else b"")


def list_image_folder(root: Path, unlabelled_ok: bool = False) -> list[Entry]:
    """Every file under ``root``, one entry each; the label is the first folder below the root.

    ``unlabelled_ok``: files directly in ``root`` are read, with the label "" (an incoming
    batch for ``synthscope monitor`` is usually unlabelled); otherwise they are quarantined.

    Hidden files, and hidden or symlinked folders (one entry per folder), are listed with the
    reason they are not read; symlinked files are kept only if they resolve inside the root
    (checked when the file is opened). A folder that cannot be listed is one entry too.
    """
    entries: list[Entry] = []

    def unreadable(exc: OSError) -> None:
        entries.append(_entry(root, Path(exc.filename), f"cannot list folder: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=unreadable):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            if (here / d).is_symlink():
                entries.append(_entry(root, here / d, "symlinked folder is not followed"))
            elif d.startswith("."):
                entries.append(_entry(root, here / d, HIDDEN_FOLDER))
            else:
                keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            entries.append(_entry(root, here / name, HIDDEN_FILE if name.startswith(".") else "", unlabelled_ok))
    return entries


def read_manifest_table(path: Path, label_column: str = "label", need_label: bool = True) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False) if path.suffix == ".csv" else pd.read_parquet(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read manifest {path}: {exc}; check it is a valid {path.suffix[1:]} file") from exc
    if "path" not in frame.columns:
        raise DataError(f"manifest {path} lacks column path; it needs path,label (columns: {', '.join(map(str, frame.columns))})")
    if need_label and label_column not in frame.columns:
        raise DataError(f"manifest {path} has no label column {label_column!r} (columns: "
                        f"{', '.join(map(str, frame.columns))}); add it, pass --label-column NAME, "
                        "or --labels none to audit it unlabelled")
    return frame


def manifest_entry(root: Path, rel: str, label: str, labelled: bool = True) -> Entry:
    """One manifest row -> an entry. The label is data: any text but empty or NUL-bearing
    (a NUL ends a string in C, so every tool downstream would read a different label)."""
    if labelled and not label.strip():
        return Entry(rel, "", "manifest row has an empty label")
    if "\0" in label or "\0" in rel:
        return Entry(rel.replace("\0", "\\0"), label.replace("\0", "\\0"),
                     "manifest row holds a NUL character; remove it")
    if not rel.strip():
        return Entry(rel, label, "manifest row has an empty path")
    if PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts:
        candidate = Path(rel) if PurePosixPath(rel).is_absolute() else root / rel
        if is_inside(candidate, root):
            return Entry(Path(os.path.relpath(os.path.realpath(candidate), os.path.realpath(root))).as_posix(), label)
        return Entry(rel, label, "path is outside the dataset root")
    return Entry(PurePosixPath(rel).as_posix(), label)


def manifest_rows(root: Path, pairs: list[tuple[str, str]], labelled: bool) -> list[Entry]:
    """Entries of (path, label) rows relative to ``root``; a path listed twice is quarantined after its first row."""
    entries, seen = [], set()
    for raw_path, raw_label in pairs:
        entry = manifest_entry(root, str(raw_path), str(raw_label) if labelled else "", labelled)
        if not entry.problem and entry.rel in seen:  # later stages key rows on (role, path)
            entry = Entry(entry.rel, entry.label, "manifest lists this path more than once; its first usable row is kept")
        elif not entry.problem:
            seen.add(entry.rel)
        entries.append(entry)
    return entries


def list_manifest(path: Path, label_column: str = "label", labelled: bool = True) -> list[Entry]:
    """Entries of a ``path,label`` manifest; paths are relative to the manifest's folder.

    Only the text is checked here; whether every component of a path stays inside the root
    (a symlinked folder in the middle) is checked when the file is opened (``validate``).
    """
    table = read_manifest_table(path, label_column, need_label=labelled)
    labels = table[label_column] if labelled else [""] * len(table)
    return manifest_rows(path.parent, list(zip(table["path"], labels, strict=True)), labelled)
