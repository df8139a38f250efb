"""The content-addressed feature store: Parquet parts keyed by (image_id, extractor key).

Layout: ``<store_dir>/<key>/part-<time>-<pid>-<random>.parquet``. Each part holds the rows
of one batch group, written atomically (temporary file, then ``os.replace``), so a killed
run leaves only whole parts and a re-run computes only the ids no part holds. Rows are
keyed by the image's sha256, so two datasets sharing an image share its row, and two
writers racing on one id both produce valid parts (readers keep the first).

Integrity: a part that cannot be read (truncated, not Parquet) is moved to
``<store_dir>/quarantine/<key>/`` with a warning naming it, so its rows count as missing and
are recomputed instead of failing every later run. Writers that compute rows take
:meth:`FeatureStore.lock` (a ``filelock`` per key under ``<store_dir>/.locks/``) and ask what
is missing again once they hold it, so concurrent audits on one store compute each row once.

A column is either a scalar per row (1-D array) or a fixed-length vector per row (2-D
array, stored as a Parquet fixed-size list of float32), read back as one (N, D) array.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock

from synthscope.errors import DataError
from synthscope.io import atomic_path
from synthscope.logs import log

ID = "image_id"
QUARANTINE = "quarantine"
LOCKS = ".locks"
# What reading a damaged part raises: pyarrow's errors (ArrowInvalid "magic bytes not found",
# ArrowIOError) plus OSError for an unreadable file.
_UNREADABLE = (pa.ArrowException, OSError)


def _to_arrow(values: np.ndarray) -> pa.Array:
    if values.ndim == 1:
        return pa.array(values)
    if values.ndim == 2:
        flat = pa.array(np.ascontiguousarray(values).reshape(-1))
        return pa.FixedSizeListArray.from_arrays(flat, values.shape[1])
    raise ValueError(f"store columns are 1-D or 2-D arrays, got shape {values.shape}")


def _to_numpy(column: pa.ChunkedArray) -> np.ndarray:
    if pa.types.is_fixed_size_list(column.type):
        arr = column.combine_chunks()
        width = column.type.list_size
        return arr.flatten().to_numpy(zero_copy_only=False).reshape(-1, width)
    return column.to_numpy()


@dataclass
class _KeyIndex:
    parts: set[str] = field(default_factory=set)
    rows: dict[str, tuple[Path, int]] = field(default_factory=dict)  # image_id -> (part, row)


class FeatureStore:
    """Incremental store of per-image arrays; see the module docstring for the layout."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._indexes: dict[str, _KeyIndex] = {}

    def key_dir(self, key: str) -> Path:
        if not key or "/" in key or key.startswith(".") or key == QUARANTINE:
            raise ValueError(f"bad store key {key!r}")
        return self.root / key

    @contextmanager
    def lock(self, *keys: str) -> Iterator[None]:
        """Hold an exclusive inter-process lock on each key (taken in sorted order, so two
        writers asking for the same keys cannot deadlock). ``flock`` based: a killed holder
        releases it with its file descriptors."""
        with ExitStack() as stack:
            for key in sorted(set(keys)):
                self.key_dir(key)  # validates the name
                path = self.root / LOCKS / f"{key}.lock"
                path.parent.mkdir(parents=True, exist_ok=True)
                stack.enter_context(FileLock(path))
            yield

    def quarantine(self, key: str, part: Path, error: Exception) -> None:
        """Move an unreadable part out of the key's folder and forget its rows (they will be recomputed)."""
        dest = self.root / QUARANTINE / key / part.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.move(part, dest)
        except FileNotFoundError:
            pass  # another process quarantined it first
        else:
            log.warning("feature store: unreadable part %s (%s) moved to %s; its rows will be recomputed",
                        part, str(error).splitlines()[0][:200], dest)
        self._indexes.pop(key, None)  # rows pointing into the part are gone; rebuild from disk

    def parts(self, key: str) -> list[Path]:
        directory = self.key_dir(key)
        return sorted(directory.glob("part-*.parquet")) if directory.is_dir() else []

    def _index(self, key: str) -> _KeyIndex:
        """Index of ``key``'s rows, reading only the id column of parts not seen yet."""
        index = self._indexes.setdefault(key, _KeyIndex())
        for part in self.parts(key):
            if part.name in index.parts:
                continue
            try:
                ids = pq.read_table(part, columns=[ID]).column(ID).to_pylist()
            except FileNotFoundError:
                continue  # quarantined by another process since the listing
            except _UNREADABLE as exc:
                self.quarantine(key, part, exc)
                return self._index(key)
            for row, image_id in enumerate(ids):
                index.rows.setdefault(image_id, (part, row))
            index.parts.add(part.name)
        return index

    def has(self, key: str) -> int:
        """Number of distinct images stored under ``key``."""
        return len(self._index(key).rows)

    def missing(self, image_ids: Iterable[str], key: str) -> list[str]:
        """The ids (deduplicated, first-seen order) with no row under ``key``."""
        rows = self._index(key).rows
        return [i for i in dict.fromkeys(image_ids) if i not in rows]

    def write(self, key: str, image_ids: Sequence[str], columns: Mapping[str, np.ndarray]) -> Path:
        """Write one part atomically: ``image_ids`` (N,) and arrays whose first axis is N."""
        n = len(image_ids)
        if n == 0:
            raise ValueError("write needs at least one row")
        arrays = {ID: pa.array(list(image_ids), type=pa.string())}
        for name, values in columns.items():
            values = np.asarray(values)
            if name == ID or values.shape[0] != n:
                raise ValueError(f"column {name!r}: expected {n} rows, got shape {values.shape}")
            arrays[name] = _to_arrow(values)
        name = f"part-{time.time_ns()}-{os.getpid()}-{uuid.uuid4().hex[:8]}.parquet"
        path = self.key_dir(key) / name
        with atomic_path(path, suffix=".parquet") as tmp:
            pq.write_table(pa.table(arrays), tmp, compression="zstd")
        return path

    def read(
        self, image_ids: Sequence[str], key: str, columns: Sequence[str] | None = None
    ) -> dict[str, np.ndarray]:
        """Arrays for ``image_ids`` in that order (repeats allowed): name -> (N,) or (N, D).

        Each part holding a requested row is read once (only the asked-for columns); an
        empty request gives an empty dict. Raises ``DataError`` naming the fix if any id is absent.
        """
        index = self._index(key)
        absent = [i for i in image_ids if i not in index.rows]
        if absent:
            raise DataError(
                f"feature store {self.key_dir(key)} lacks {len(absent)} images "
                f"(first {absent[0][:12]}); run the features stage first"
            )
        by_part: dict[Path, tuple[list[int], list[int]]] = {}
        for pos, image_id in enumerate(image_ids):
            part, row = index.rows[image_id]
            out_pos, rows = by_part.setdefault(part, ([], []))
            out_pos.append(pos)
            rows.append(row)
        out: dict[str, np.ndarray] = {}
        for part, (out_pos, rows) in by_part.items():
            table = self._read_part(key, part, columns).take(pa.array(rows))
            for name in table.column_names:
                if name == ID:
                    continue
                values = _to_numpy(table.column(name))
                if name not in out:
                    out[name] = np.empty((len(image_ids), *values.shape[1:]), dtype=values.dtype)
                out[name][out_pos] = values
        return out

    def _read_part(self, key: str, part: Path, columns: Sequence[str] | None) -> pa.Table:
        """One part's columns; a part whose footer read but whose data does not is quarantined."""
        try:
            return pq.read_table(part, columns=None if columns is None else list(columns))
        except _UNREADABLE as exc:
            self.quarantine(key, part, exc)
            raise DataError(
                f"feature store part {part} was unreadable and has been quarantined; "
                "re-run `synthscope stage features` to recompute its rows"
            ) from exc
