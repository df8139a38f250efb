"""List the files of a dataset: an ImageFolder tree or a CSV/Parquet manifest.

Listing never opens an image; it only decides which (root, relative path, label) to
inspect and flags entries that must not be read at all (outside the root, no class).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from synthscope.errors import DataError

MANIFEST_SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class Entry:
    rel: str  # POSIX path relative to the dataset root (as given, for quarantined entries)
    label: str
    problem: str = ""  # non-empty: quarantine without reading the file


def is_inside(path: Path, root: Path) -> bool:
    """True if ``path`` (symlinks resolved) lies under ``root`` (symlinks resolved)."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def list_image_folder(root: Path) -> list[Entry]:
    """Every non-hidden file under ``root``; the label is the first folder below the root.

    Symlinked folders are not followed; a symlinked file is kept only if it resolves inside
    the root (checked again when the file is opened).
    """
    entries: list[Entry] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink():
                rel = (here / d).relative_to(root).as_posix()
                entries.append(Entry(rel, PurePosixPath(rel).parts[0], "symlinked folder is not followed"))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            rel = (here / name).relative_to(root).as_posix()
            parts = PurePosixPath(rel).parts
            if len(parts) < 2:
                entries.append(Entry(rel, "", "file is not inside a class folder (<class>/<image>)"))
            else:
                entries.append(Entry(rel, parts[0]))
    return entries


def read_manifest_table(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False) if path.suffix == ".csv" else pd.read_parquet(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read manifest {path}: {exc}; check it is a valid {path.suffix[1:]} file") from exc
    missing = {"path", "label"} - set(frame.columns)
    if missing:
        raise DataError(f"manifest {path} lacks column(s) {', '.join(sorted(missing))}; it needs path,label")
    return frame


def list_manifest(path: Path) -> list[Entry]:
    """Entries of a ``path,label`` manifest; paths are relative to the manifest's folder."""
    root = path.parent
    table = read_manifest_table(path)
    entries: list[Entry] = []
    for raw_path, raw_label in zip(table["path"], table["label"], strict=True):
        rel, label = str(raw_path), str(raw_label)
        if not label.strip():
            entries.append(Entry(rel, "", "manifest row has an empty label"))
        elif PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts:
            candidate = Path(rel) if PurePosixPath(rel).is_absolute() else root / rel
            if is_inside(candidate, root):
                entries.append(Entry(Path(os.path.relpath(candidate.resolve(), root.resolve())).as_posix(), label))
            else:
                entries.append(Entry(rel, label, "path is outside the dataset root"))
        else:
            entries.append(Entry(PurePosixPath(rel).as_posix(), label))
    return entries


def list_dataset(path: Path) -> tuple[Path, list[Entry]]:
    """(absolute root, entries) of an ImageFolder directory or a manifest file."""
    if not path.exists():
        raise DataError(f"dataset {path} does not exist; pass an ImageFolder directory or a .csv/.parquet manifest")
    if path.is_dir():
        return path.resolve(), list_image_folder(path)
    if path.suffix.lower() in MANIFEST_SUFFIXES:
        return path.parent.resolve(), list_manifest(path)
    raise DataError(f"dataset {path} is neither a folder nor a .csv/.parquet manifest")
