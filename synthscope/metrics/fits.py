"""A content-addressed cache of classifier fits, so one audit never trains the same model twice.

CAS, the augmentation comparison, the learning curves and the debias comparison all train
classifiers on some training set and test them on the same real test split. Many of those
fits coincide (the curves' synthetic-only model is CAS's synthetic->real model, their point at
the whole real split is CAS's real->real model; the compare stage's "before" is the score
stage's synthetic->real model). A fit is keyed by the sha256 of everything its result depends
on: the model settings, the training inputs and labels, the test inputs and labels, the class
list. Equal keys give equal results (training is seeded and deterministic), so a hit is exact.

Results live in memory for the process (with the predictor, which scores other images) and,
when a directory is given (``<store_dir>/fits/``), as small ``.npz`` files written atomically,
for the next stage or the next audit (without the predictor).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from synthscope.io import JSONObject, write_bytes


def fits_dir(store_dir: Path | str) -> Path:
    """Where an audit's fits are cached: beside the feature store, content-addressed like it."""
    return Path(store_dir) / "fits"


def digest(*parts: Any) -> str:
    """sha256 over arrays (dtype, shape and bytes) and JSON-able values, in order."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            arr = np.ascontiguousarray(part)
            if arr.dtype.kind in "OUS":
                arr = np.asarray([str(v) for v in arr.tolist()])
                h.update(json.dumps(arr.tolist()).encode())
            else:
                h.update(f"{arr.dtype.str}{arr.shape}".encode())
                h.update(arr.data)
        else:
            h.update(json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\x00")
    return h.hexdigest()


class FitCache:
    """``get_or_compute(key, compute)``: memory first, then ``directory/<key>.npz``, else compute and keep.

    ``compute`` returns ``(arrays, extra)``: a dict of numpy arrays and floats (saved to disk) and
    an in-memory-only object (a predictor) that callers needing it ask for with ``need_extra``.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._memo: dict[str, tuple[JSONObject, Any]] = {}
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / f"{key}.npz"

    def _load(self, key: str) -> JSONObject | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return {k: (data[k].item() if data[k].ndim == 0 else data[k]) for k in data.files}
        except (OSError, ValueError, EOFError):  # a damaged cache file is recomputed and rewritten
            return None

    def get_or_compute(self, key: str, compute: Callable[[], tuple[JSONObject, Any]],
                       need_extra: bool = False) -> tuple[JSONObject, Any]:
        if key in self._memo and (self._memo[key][1] is not None or not need_extra):
            self.hits += 1
            return self._memo[key]
        if not need_extra and (loaded := self._load(key)) is not None:
            self.hits += 1
            self._memo[key] = (loaded, None)
            return loaded, None
        self.misses += 1
        arrays, extra = compute()
        self._memo[key] = (arrays, extra)
        if (path := self._path(key)) is not None:
            buf = io.BytesIO()
            np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
            write_bytes(path, buf.getvalue())
        return arrays, extra
