"""Which layout a dataset path has, and where its labels come from (the rule in docs/data.md).

``--labels`` (``ingest.labels``) is ``auto``, ``folder``, ``none`` or ``manifest``. Under ``auto``:
- a ``.csv``/``.parquet`` manifest with ``path,label`` columns: labels from its label column;
- a Hugging Face dataset (``save_to_disk`` folder, ``.arrow``, ``.parquet`` with an Image
  column) or an ``imagefolder`` with ``metadata.csv``/``metadata.jsonl``: labels from the label
  column when it has one, else unlabelled;
- a folder: class folders (``<class>/<image>``) when its images sit in two or more subfolders
  (an image directly in the folder is then quarantined); otherwise (flat, or all in one
  subfolder) unlabelled. Pass ``--labels none`` when the subfolders are not classes.
An unlabelled set has the label "" on every row; checks that need labels then say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from synthscope.datasets import hf
from synthscope.datasets.sources import (
    HIDDEN_FILE,
    MANIFEST_SUFFIXES,
    Entry,
    list_image_folder,
    list_manifest,
    manifest_rows,
)
from synthscope.documents.stages import Layout
from synthscope.errors import DataError
from synthscope.names import is_text, text_form

METADATA_FILES = ("metadata.csv", "metadata.jsonl")
NOT_IN_CLASS_FOLDER = "file is not inside a class folder (<class>/<image>)"


@dataclass(frozen=True)
class LabelRule:
    """``ingest.labels`` and the column names of manifests and Hugging Face datasets."""

    labels: str = "auto"
    image_column: str | None = None
    label_column: str | None = None
    extensions: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


@dataclass(frozen=True)
class Listing:
    """The absolute root every entry is relative to, the entries, and what was read (ingest.json)."""

    root: Path
    entries: list[Entry]
    layout: Layout


def _images(entries: list[Entry], extensions: tuple[str, ...]) -> list[Entry]:
    """Entries named like images (also those quarantined for their name: they still sit in a folder)."""
    return [e for e in entries if PurePosixPath(e.rel).suffix.lower() in extensions and e.problem != HIDDEN_FILE]


def _unlabelled(entries: list[Entry]) -> list[Entry]:
    return [Entry(e.rel, "", "" if e.problem == NOT_IN_CLASS_FOLDER else e.problem, e.raw) for e in entries]


def _folder(path: Path, rule: LabelRule) -> Listing:
    entries = list_image_folder(path)
    images = _images(entries, rule.extensions)
    top = sum(1 for e in images if len(PurePosixPath(e.rel).parts) == 1)
    classes = sorted({PurePosixPath(e.rel).parts[0] for e in images if len(PurePosixPath(e.rel).parts) > 1})
    if not entries:
        raise DataError(f"{path} is empty; put images in it (flat, or one folder per class: <class>/<image>)")
    kind = "flat-folder" if not classes else "image-folder" if len(classes) >= 2 else "nested-folder"
    labelled = rule.labels == "folder" or (rule.labels == "auto" and kind == "image-folder")
    if rule.labels == "manifest":
        raise DataError(f"--labels manifest: {path} is a folder without metadata.csv/metadata.jsonl; "
                        "pass a .csv/.parquet manifest, or use --labels folder or none")
    if labelled:
        shown = ", ".join(classes[:5]) + (", ..." if len(classes) > 5 else "")
        line = f"{kind} {path}: labels from {len(classes)} class folder(s) ({shown}); --labels none if they are not classes"
        if top:
            line += f"; {top} image(s) directly in the folder are quarantined"
        return Listing(path.resolve(), entries, Layout(kind=kind, labels="folder", line=line))
    why = "--labels none" if rule.labels == "none" else (
        "no class folders" if kind == "flat-folder" else "one subfolder: no class meaning; --labels folder reads it as a class")
    line = f"{kind} {path}: {len(images)} image file(s), unlabelled ({why})"
    return Listing(path.resolve(), _unlabelled(entries), Layout(kind=kind, labels="none", line=line))


def _metadata(path: Path, meta: Path, rule: LabelRule) -> Listing:
    """An ``imagefolder`` with ``metadata.csv``/``.jsonl``: its ``file_name`` column lists the images."""
    try:
        table = (pd.read_csv(meta, dtype=str, keep_default_na=False) if meta.suffix == ".csv"
                 else pd.read_json(meta, lines=True, dtype=False))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {meta}: {exc}; check it is valid {meta.suffix[1:]}") from exc
    if "file_name" not in table.columns:
        raise DataError(f"{meta} has no file_name column (columns: {', '.join(map(str, table.columns))}); "
                        "add it, as Hugging Face's imagefolder needs")
    name = rule.label_column or "label"
    labelled = rule.labels != "none" and name in table.columns
    if not labelled and rule.labels == "manifest" or rule.label_column and rule.labels != "none" and not labelled:
        raise DataError(f"{meta} has no label column {name!r} (columns: {', '.join(map(str, table.columns))}); "
                        "pass --label-column NAME, or --labels none to audit it unlabelled")
    labels = table[name].astype(str).tolist() if labelled else [""] * len(table)
    entries = manifest_rows(path, list(zip(table["file_name"].astype(str), labels, strict=True)), labelled)
    listed = {e.rel for e in entries}
    for extra in list_image_folder(path):  # files beside the metadata that it does not list
        if extra.rel not in listed and PurePosixPath(extra.rel).name not in METADATA_FILES:
            problem = "" if extra.problem == NOT_IN_CLASS_FOLDER else extra.problem
            entries.append(Entry(extra.rel, "", problem or f"not listed in {meta.name}", extra.raw))
    how = f"labels from column {name!r}" if labelled else "unlabelled (no label column)"
    line = f"hf-imagefolder {path}: {len(table)} row(s) in {meta.name}, {how}"
    return Listing(path.resolve(), entries, Layout(kind="hf-imagefolder", labels="column" if labelled else "none",
                                                   label_column=name if labelled else None, line=line))


def _hf(path: Path, kind: str, rule: LabelRule, extract_dir: Path) -> Listing:
    rows, info = hf.extract_rows(path, kind, rule.image_column, rule.label_column, rule.labels, extract_dir)
    labelled = info["label_column"] is not None
    entries = [Entry(rel, label, problem) for rel, label, problem in rows]
    if labelled:
        entries = [e if e.problem or e.label.strip() else Entry(e.rel, "", "row has an empty label") for e in entries]
    how = f"labels from column {info['label_column']!r}" if labelled else "unlabelled (no label column)"
    line = f"{kind} {path}: {info['rows']} row(s), images from column {info['image_column']!r}, {how}"
    return Listing(extract_dir.resolve(), entries, Layout(
        kind=kind, labels="column" if labelled else "none", label_column=info["label_column"],
        image_column=info["image_column"], line=line))


def list_dataset(path: Path, rule: LabelRule | None = None, extract_dir: Path | None = None) -> Listing:
    """The listing of an ImageFolder, a plain folder, a manifest, an imagefolder with metadata or a
    Hugging Face dataset (whose embedded images are written under ``extract_dir``)."""
    rule = rule or LabelRule()
    if not path.exists():
        raise DataError(f"dataset {path} does not exist; pass an image folder, a .csv/.parquet manifest "
                        "or a Hugging Face dataset")
    if not is_text(str(path.resolve())):
        raise DataError(f"dataset path {text_form(str(path.resolve()))[0]} is not valid UTF-8; rename the folder")
    if (kind := hf.hf_kind(path)) is not None:
        if extract_dir is None:
            raise DataError(f"{path} is a Hugging Face dataset; audit it with `synthscope stage ingest` or `audit`")
        return _hf(path, kind, rule, extract_dir)
    if path.is_dir():
        meta = next((path / m for m in METADATA_FILES if (path / m).is_file()), None)
        if meta is not None and rule.labels != "folder":
            return _metadata(path, meta, rule)
        return _folder(path, rule)
    if path.suffix.lower() in MANIFEST_SUFFIXES:
        labelled = rule.labels != "none"
        if rule.labels == "folder":
            raise DataError(f"--labels folder: {path} is a manifest; use --labels auto, manifest or none")
        column = rule.label_column or "label"
        entries = list_manifest(path, column, labelled)
        how = f"labels from column {column!r}" if labelled else "unlabelled (--labels none)"
        return Listing(path.parent.resolve(), entries, Layout(
            kind="manifest", labels="column" if labelled else "none",
            label_column=column if labelled else None, line=f"manifest {path}: {len(entries)} row(s), {how}"))
    raise DataError(f"dataset {path} is neither a folder, a .csv/.parquet manifest nor a Hugging Face dataset")
