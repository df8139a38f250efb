"""Which files of a watched folder are new since the last run (the scheduled monitor's state).

The state is a table of every file already taken into a batch (relative path, size, mtime
in ns, batch id). A run takes the listed files that are not in it, except files modified in
the last ``settle_seconds`` (possibly still being copied in: they wait for the next run, so
none is read half-written and none is skipped). The state is saved only after the batch's
outputs are written: a run killed in between takes the same files again, into the same
content-keyed batch id, whose history row is then replaced, not added.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from synthscope.datasets.sources import list_image_folder

STATE_COLUMNS = ("path", "bytes", "mtime_ns", "batch_id")


def empty_state() -> pd.DataFrame:
    return pd.DataFrame({"path": pd.Series(dtype=object), "bytes": pd.Series(dtype="int64"),
                         "mtime_ns": pd.Series(dtype="int64"), "batch_id": pd.Series(dtype=object)})


def new_files(folder: Path, state: pd.DataFrame, settle_seconds: float = 2.0, now: float | None = None) -> pd.DataFrame:
    """``path, bytes, mtime_ns`` of the readable files under ``folder`` not in ``state``, settled, sorted."""
    seen = set(state["path"].astype(str))
    cutoff = (time.time() if now is None else now) - settle_seconds
    rows = []
    for entry in list_image_folder(Path(folder), unlabelled_ok=True):
        if entry.problem or entry.rel in seen:
            continue
        try:
            st = (Path(folder) / entry.rel).stat()
        except OSError:
            continue  # gone since the listing: nothing to take
        if st.st_mtime > cutoff:
            continue
        rows.append({"path": entry.rel, "bytes": st.st_size, "mtime_ns": st.st_mtime_ns})
    frame = pd.DataFrame(rows, columns=["path", "bytes", "mtime_ns"])
    return frame.sort_values("path", kind="stable").reset_index(drop=True)


def taken(state: pd.DataFrame, batch: pd.DataFrame, batch_id: str) -> pd.DataFrame:
    """``state`` with ``batch``'s files recorded under ``batch_id``."""
    add = batch.assign(batch_id=batch_id)[list(STATE_COLUMNS)]
    return pd.concat([f for f in (state, add) if len(f)], ignore_index=True) if len(add) else state
