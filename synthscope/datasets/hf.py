"""Hugging Face ``datasets`` inputs: a ``save_to_disk`` folder, or an Arrow/Parquet file with
an ``Image`` column and an optional label column.

Such images are bytes inside a table, while every later stage opens ``root/path``. So the
listing writes each row's bytes, unchanged, to a file under the audit's output folder and
lists that file: the bytes are the same, hence the same sha256 (``image_id``), the same
quarantine rules and the same feature-store rows as the original files. The source table is
only read. ``datasets`` is imported only when such an input is given (the ``hf`` extra).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from synthscope.errors import DataError
from synthscope.io import write_bytes

SUFFIX_OF_FORMAT = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "BMP": ".bmp", "TIFF": ".tiff", "WEBP": ".webp"}
ROWS_PER_BATCH = 256


def hf_kind(path: Path) -> str | None:
    """``hf-save-to-disk``, ``hf-arrow`` or ``hf-parquet`` when ``path`` is such a dataset, else None.

    A Parquet file with ``path`` and ``label`` columns is a manifest, not a dataset of images.
    """
    if path.is_dir():
        if (path / "dataset_dict.json").is_file() or ((path / "state.json").is_file() and any(path.glob("*.arrow"))):
            return "hf-save-to-disk"
        return None
    suffix = path.suffix.lower()
    if suffix == ".arrow":
        return "hf-arrow"
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            names = set(pq.read_schema(path).names)
        except (OSError, ValueError):
            return None  # read as a manifest, which names the problem
        return None if {"path", "label"} <= names or "path" in names and "image" not in names else "hf-parquet"
    return None


def _import_datasets() -> Any:
    try:
        import datasets
    except ImportError as exc:
        raise DataError("reading a Hugging Face dataset needs the `datasets` library; "
                        "pip install 'synthscope[hf]'") from exc
    return datasets


def load_table(path: Path, kind: str) -> tuple[Any, Any]:
    """(pyarrow Table, ``datasets.Features``) of the dataset at ``path``; nothing is decoded."""
    datasets = _import_datasets()
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if kind == "hf-save-to-disk":
            loaded = datasets.load_from_disk(str(path))
            if isinstance(loaded, datasets.DatasetDict):
                splits = list(loaded)
                if len(splits) != 1:
                    raise DataError(f"{path} holds splits {', '.join(splits)}; pass one split's folder, "
                                    f"for example {path / splits[0]}")
                loaded = loaded[splits[0]]
            return loaded.data.table, loaded.features
        if kind == "hf-arrow":
            loaded = datasets.Dataset.from_file(str(path))
            return loaded.data.table, loaded.features
        table = pq.read_table(path)
    except (OSError, ValueError, pa.ArrowException, FileNotFoundError) as exc:
        raise DataError(f"cannot read {path} as a Hugging Face dataset ({exc}); check the file") from exc
    return table, datasets.Features.from_arrow_schema(table.schema)


def image_column(features: Any, wanted: str | None, where: Path) -> str:
    """The ``Image`` column: the one named, else ``image``, else the only one."""
    datasets = _import_datasets()
    images = [name for name, f in features.items() if isinstance(f, datasets.Image)]
    if wanted is not None:
        if wanted not in features:
            raise DataError(f"{where} has no column {wanted!r} (columns: {', '.join(features)}); "
                            "pass --image-column NAME")
        return wanted
    if "image" in images or len(images) == 1:
        return "image" if "image" in images else images[0]
    if not images:
        raise DataError(f"{where} has no Image column (columns: {', '.join(features)}); "
                        "pass --image-column NAME")
    raise DataError(f"{where} has several Image columns ({', '.join(images)}); pass --image-column NAME")


def label_column(features: Any, wanted: str | None, rule: str, where: Path) -> str | None:
    """The label column, or None for an unlabelled set (``rule`` none, or no such column under auto)."""
    if rule == "none":
        return None
    if rule == "folder":
        raise DataError(f"{where} is a Hugging Face dataset, not class folders; "
                        "use --labels auto, manifest (its label column) or none")
    name = wanted or "label"
    if name in features:
        return name
    if wanted is not None or rule == "manifest":
        raise DataError(f"{where} has no label column {name!r} (columns: {', '.join(features)}); "
                        "pass --label-column NAME, or --labels none to audit it unlabelled")
    return None


def _label_text(feature: Any, value: Any) -> str:
    """ClassLabel ints -> their names; strings as they are; a missing label -> ""."""
    if value is None:
        return ""
    names = getattr(feature, "names", None)
    if names is not None and isinstance(value, int) and 0 <= value < len(names):
        return str(names[value])
    return str(value)


def _suffix(original: str | None, data: bytes) -> str:
    from synthscope.datasets.validate import sniff_format

    if original and PurePosixPath(original).suffix:
        return PurePosixPath(original).suffix.lower()
    return SUFFIX_OF_FORMAT.get(sniff_format(data), ".png")


def rows(table: Any, image: str, label: str | None, features: Any) -> Iterator[tuple[dict | None, str]]:
    """(the image cell ``{"bytes", "path"}`` or None, label text) per row, in row order."""
    columns = [image] if label is None else [image, label]
    for batch in table.select(columns).to_batches(ROWS_PER_BATCH):
        cells = batch.column(0).to_pylist()
        labels = batch.column(1).to_pylist() if label is not None else [None] * len(cells)
        for cell, value in zip(cells, labels, strict=True):
            yield cell, ("" if label is None else _label_text(features[label], value))


def extract_rows(source: Path, kind: str, image_col: str | None, label_col: str | None, rule: str,
                 out_dir: Path) -> tuple[list[tuple[str, str, str]], dict[str, Any]]:
    """Write each row's image bytes to ``out_dir/<row>.<ext>``; (rel, label, problem) per row, and
    what was read (for ingest.json's layout)."""
    table, features = load_table(source, kind)
    image = image_column(features, image_col, source)
    label = label_column(features, label_col, rule, source)
    base = source if source.is_dir() else source.parent
    listed: list[tuple[str, str, str]] = []
    for i, (cell, text) in enumerate(rows(table, image, label, features)):
        data, original = (cell or {}).get("bytes"), (cell or {}).get("path")
        if data is None and original:  # an Image stored as a path only: read that file
            candidate = Path(original) if Path(original).is_absolute() else base / original
            data = candidate.read_bytes() if candidate.is_file() else None
        if data is None:
            listed.append((f"row-{i:06d}", text, "row has no image bytes (null, or a path that does not exist)"))
            continue
        rel = f"row-{i:06d}{_suffix(original, data)}"
        write_bytes(out_dir / rel, data)
        listed.append((rel, text, ""))
    return listed, {"image_column": image, "label_column": label, "rows": len(listed),
                    "columns": json.loads(json.dumps(list(features)))}
