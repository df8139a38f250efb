"""The report's per-section tables, computed from the manifest and attribute frames.

Every function takes frames/arrays and returns the parts of ``documents.ReportDocument``
they fill (what goes into ``report.json`` and the ``plots/*.csv`` files); no paths are opened here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthscope.documents.bias import BiasDocument, Finding
from synthscope.documents.report import (
    AttributeStats,
    DatasetCounts,
    DriftPair,
    Heatmap,
    HistogramBin,
    MemorizedPair,
    PairImage,
    SampleGroup,
    ShownImage,
)
from synthscope.schema import ATTRIBUTE_GROUPS

# Per attribute group, the columns the report plots (others stay in the summary table).
DISPLAY_COLUMNS: dict[str, tuple[str, ...]] = {
    "color": ("obj_hue", "obj_saturation"),
    "size": ("fg_area",),
    "background": ("bg_clutter",),
}
# Fixed ranges for bounded columns, so runs share bins; other columns use the range of both roles pooled.
COLUMN_RANGES: dict[str, tuple[float, float]] = {
    "obj_hue": (0.0, 360.0),
    "hue": (0.0, 360.0),
    "obj_saturation": (0.0, 1.0),
    "centroid_x": (0.0, 1.0),
    "centroid_y": (0.0, 1.0),
}


def dataset_summary(manifest: pd.DataFrame) -> dict[str, DatasetCounts]:
    """Per role: files, ok, quarantined (with reasons), exact duplicates, class count."""
    out: dict[str, DatasetCounts] = {}
    for role, rows in manifest.groupby("role", sort=False):
        ok = rows[rows["status"] == "ok"]
        bad = rows[rows["status"] != "ok"]
        dup = ok["duplicate_of"].fillna("").astype(str) if "duplicate_of" in ok else pd.Series([], dtype=str)
        out[str(role)] = DatasetCounts(
            n_files=int(len(rows)),
            n_ok=int(len(ok)),
            n_quarantined=int(len(bad)),
            quarantine_reasons={str(k): int(v) for k, v in bad["reason"].value_counts().items()},
            n_exact_duplicates=int((dup != "").sum()),
            n_classes=int(ok["label"].nunique()),
        )
    return out


def class_balance(manifest: pd.DataFrame) -> list[dict[str, str | int | float]]:
    """One row per class: image count and fraction for each role (ok images only)."""
    ok = manifest[manifest["status"] == "ok"]
    counts = ok.groupby(["label", "role"]).size().unstack("role", fill_value=0)
    rows = []
    for label in sorted(counts.index, key=str):
        row: dict[str, str | int | float] = {"label": str(label)}
        for role in counts.columns:
            total = int(counts[role].sum())
            n = int(counts.loc[label, role])
            row[str(role)] = n
            row[f"{role}_fraction"] = n / total if total else 0.0
        rows.append(row)
    return rows


def attribute_summary(attributes: pd.DataFrame) -> list[AttributeStats]:
    """Per role, class and attribute column present: n, mean, std and the 10/50/90th percentiles."""
    columns = [c for group in ATTRIBUTE_GROUPS.values() for c in group if c in attributes.columns]
    columns += [c for cols in DISPLAY_COLUMNS.values() for c in cols if c in attributes and c not in columns]
    rows = []
    for (role, label), part in attributes.groupby(["role", "label"], sort=True):
        for col in columns:
            x = part[col].to_numpy(dtype=np.float64)
            x = x[np.isfinite(x)]
            if not len(x):
                continue
            p10, p50, p90 = np.percentile(x, [10, 50, 90])
            group = next((g for g, cols in ATTRIBUTE_GROUPS.items() if col in cols), "other")
            rows.append(AttributeStats(
                role=str(role), label=str(label), attribute=group, column=col, n=int(len(x)),
                mean=float(x.mean()), std=float(x.std()), p10=float(p10), p50=float(p50), p90=float(p90),
            ))
    return rows


def attribute_histograms(attributes: pd.DataFrame, column: str, bins: int = 24) -> list[HistogramBin]:
    """Long table (role, label, bin_lo, bin_hi, fraction) of one column's per-class histogram.

    Fractions sum to 1 within each (role, label) so different-sized datasets compare.
    """
    values = attributes[column].to_numpy(dtype=np.float64)
    finite = values[np.isfinite(values)]
    if not len(finite):
        return []
    lo, hi = COLUMN_RANGES.get(column, (float(finite.min()), float(finite.max())))
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    rows = []
    for (role, label), part in attributes.groupby(["role", "label"], sort=True):
        x = part[column].to_numpy(dtype=np.float64)
        x = np.clip(x[np.isfinite(x)], lo, hi)
        counts, _ = np.histogram(x, bins=edges)
        total = max(int(counts.sum()), 1)
        for i, c in enumerate(counts):
            rows.append(HistogramBin(role=str(role), label=str(label), column=column, bin_lo=float(edges[i]),
                                     bin_hi=float(edges[i + 1]), fraction=c / total))
    return rows


def location_heatmaps(attributes: pd.DataFrame, bins: int) -> list[Heatmap]:
    """Per role and class, the fraction of object centroids in each cell of a bins x bins grid.

    ``grid[row][col]``: row 0 is the top of the image (centroid_y in [0, 1/bins)).
    """
    if not {"centroid_x", "centroid_y"} <= set(attributes.columns):
        return []
    out = []
    edges = np.linspace(0.0, 1.0, bins + 1)
    for (role, label), part in attributes.groupby(["role", "label"], sort=True):
        xy = part[["centroid_x", "centroid_y"]].to_numpy(dtype=np.float64)
        xy = np.clip(xy[np.isfinite(xy).all(axis=1)], 0.0, 1.0)
        grid, _, _ = np.histogram2d(xy[:, 1], xy[:, 0], bins=[edges, edges])
        grid = grid / max(len(xy), 1)
        out.append(Heatmap(role=str(role), label=str(label), n=int(len(xy)),
                           grid=[[float(v) for v in row] for row in grid]))
    return out


def select_samples(index: pd.DataFrame, per_class: int) -> list[SampleGroup]:
    """Up to ``per_class`` images per (role, class), chosen by sorted image_id (stable, unbiased
    by file order since ids are content hashes)."""
    out = []
    for (role, label), part in index.groupby(["role", "label"], sort=True):
        part = part.sort_values("image_id").head(per_class)
        images = [ShownImage(image_id=r.image_id, path=r.path, root=r.root) for r in part.itertuples()]
        out.append(SampleGroup(role=str(role), label=str(label), images=images))
    return out


def memorized_pairs(findings: list[Finding], index: pd.DataFrame, limit: int) -> list[MemorizedPair]:
    """Suspected copies with their nearest real image, from the memorisation finding's ``examples``.

    The scan lists them most certain first (``documents.MemorizedExample``); the overall
    finding (no class) is read first, then per-class ones, each image once. ``index`` (ok
    manifest rows) gives each image's dataset root for its thumbnail; an image no longer in the
    manifest is skipped. Returns up to ``limit`` pairs (query: the synthetic image, neighbour:
    its nearest real one, distance: their cosine distance or None)
    """
    by_key = {(r.role, r.image_id): i for i, r in enumerate(index.itertuples())}
    memorized = sorted((f for f in findings if f.check == "memorization"), key=lambda f: f.class_ is not None)
    pairs: list[MemorizedPair] = []
    seen: set[str] = set()
    for f in memorized:
        for ex in f.examples or []:
            qi, ni = by_key.get(("synthetic", ex.synthetic.image_id)), by_key.get(("real", ex.real.image_id))
            if len(pairs) >= limit or qi is None or ni is None or ex.synthetic.image_id in seen:
                continue
            seen.add(ex.synthetic.image_id)
            pairs.append(MemorizedPair(query=_image_ref(index, qi), neighbour=_image_ref(index, ni),
                                       distance=ex.cosine_distance))
    return pairs


def drift_pairs(bias: BiasDocument | None, index: pd.DataFrame, limit: int) -> list[DriftPair]:
    """The scan's most synthetic-looking images (``bias.json``'s ``drift_examples``) with their nearest real ones.

    Read, never recomputed: the scan fitted the classifier. ``index`` (ok manifest rows) gives
    each image's dataset root for its thumbnail; an image no longer in the manifest is skipped.
    Returns up to ``limit`` pairs.
    """
    by_key = {(r.role, r.image_id): i for i, r in enumerate(index.itertuples())}
    pairs: list[DriftPair] = []
    for ex in (bias.drift_examples or []) if bias is not None else []:
        qi, ni = by_key.get(("synthetic", ex.synthetic.image_id)), by_key.get(("real", ex.real.image_id))
        if len(pairs) < limit and qi is not None and ni is not None:
            pairs.append(DriftPair(query=_image_ref(index, qi), neighbour=_image_ref(index, ni),
                                   probability=ex.probability, distance=ex.cosine_distance))
    return pairs


def _image_ref(index: pd.DataFrame, i: int) -> PairImage:
    row = index.iloc[i]
    return PairImage(image_id=str(row["image_id"]), path=str(row["path"]), root=str(row["root"]),
                     label=str(row["label"]), role=str(row["role"]))
