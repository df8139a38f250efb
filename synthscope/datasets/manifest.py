"""Pure assembly of the manifest table from validated rows."""

from __future__ import annotations

import pandas as pd

from synthscope.datasets.validate import ManifestRow
from synthscope.documents.stages import RoleCounts
from synthscope.schema import MANIFEST_COLUMNS


def mark_duplicates(frame: pd.DataFrame) -> pd.Series:
    """Per role, the path of the first file (in path order) with the same sha256, else "".

    Exact copies stay ``ok``: they are real files of the dataset, and the scan reports them
    as duplicates; only their ``duplicate_of`` says which file they repeat.
    """
    out = pd.Series("", index=frame.index, dtype=object)
    ok = frame[(frame["status"] == "ok") & (frame["image_id"] != "")]
    for (_role, _digest), group in ok.groupby(["role", "image_id"], sort=False):
        if len(group) > 1:
            ordered = group.sort_values("path")
            out.loc[ordered.index[1:]] = ordered["path"].iloc[0]
    return out


def build_manifest(rows: list[ManifestRow]) -> pd.DataFrame:
    """Rows from ``inspect_file`` (plus ``role`` and ``root``) -> the manifest contract."""
    frame = pd.DataFrame(rows, columns=[c for c in MANIFEST_COLUMNS if c != "duplicate_of"])
    frame = frame.astype({"width": "int64", "height": "int64", "bytes": "int64"})
    frame["path_bytes"] = [b if isinstance(b, bytes) else b"" for b in frame["path_bytes"]]
    for column in ("image_id", "role", "label", "path", "mode", "status", "reason", "root", "format"):
        frame[column] = frame[column].fillna("").astype(str)
    frame["duplicate_of"] = mark_duplicates(frame)
    return frame.loc[:, list(MANIFEST_COLUMNS)].reset_index(drop=True)


def summarize(frame: pd.DataFrame) -> dict[str, RoleCounts]:
    """Counts a person checks first (ingest.json ``roles``): per role ok/quarantined, reasons, classes."""
    roles = {}
    for role, group in frame.groupby("role", sort=False):
        ok = group[group["status"] == "ok"]
        bad = group[group["status"] == "quarantined"]
        roles[str(role)] = RoleCounts(
            files=int(len(group)),
            ok=int(len(ok)),
            quarantined=int(len(bad)),
            exact_duplicates=int((ok["duplicate_of"] != "").sum()),
            classes={str(k): int(v) for k, v in ok["label"].value_counts().sort_index().items()},
            reasons={str(k): int(v) for k, v in bad["reason"].value_counts().items()},
        )
    return roles


def unusable(manifest: pd.DataFrame, role: str, source: str) -> str | None:
    """One line naming the fix when ``role`` has files but none usable (how many, top reasons), else None."""
    rows = manifest[manifest["role"] == role]
    if rows.empty or (rows["status"] == "ok").any():
        return None
    counts = rows["reason"].value_counts()
    top = "; ".join(f"{n} x {reason}" for reason, n in counts.head(3).items())
    return (f"{role} dataset {source}: all {len(rows)} file(s) quarantined ({top}); fix or replace them "
            "(manifest.parquet gives each file's reason)")
