"""Limited diversity: per-class dispersion in embedding and attribute space, and coverage.

Dispersion of a class = sqrt(mean squared distance to the class centroid), in two spaces:
L2-normalised embeddings, and all attribute-group columns scaled by the reference's std.
With a real reference the score is synthetic / real dispersion of the same class and
coverage (Naeem et al. 2020) says how much of the real class the synthetic class reaches;
without one, each class is compared with the median class of the synthetic set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthscope.bias.base import CHECKS, ScanData, classes_of, is_labelled, pct, score_frame, score_row
from synthscope.neighbours import coverage, knn_radii
from synthscope.params import NEAR_COPY, NearCopyParams, ScanParams
from synthscope.schema import ATTRIBUTE_GROUPS


def dispersion(x: np.ndarray) -> float:
    """sqrt(mean ||x_i - mean(x)||^2) of rows x (N, D); NaN below two rows."""
    if len(x) < 2:
        return float("nan")
    x = np.asarray(x, dtype=np.float64)
    return float(np.sqrt(((x - x.mean(axis=0)) ** 2).sum(axis=1).mean()))


def median_nn_distance(x: np.ndarray) -> float:
    """Median distance of each row of x (N, D) to its nearest other row; NaN below two rows.

    Catches a class drawn from a few prototypes: its overall spread can look normal while
    every image sits next to a near-copy.
    """
    if len(x) < 2:
        return float("nan")
    return float(np.median(knn_radii(x, 1)))


def attribute_matrix(
    frame: pd.DataFrame, columns: list[str], mean: np.ndarray, std: np.ndarray
) -> np.ndarray:
    """Attribute columns standardised by a fixed (reference) mean/std, float64 (N, C)."""
    x = frame[columns].to_numpy(dtype=np.float64)
    return np.nan_to_num((x - mean) / std)


def _spaces(data: ScanData) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Space name -> (synthetic matrix, real matrix or None), rows aligned with the frames."""
    syn, real = data.synthetic, data.real if data.has_reference else None
    columns = [c for cols in ATTRIBUTE_GROUPS.values() for c in cols if c in syn.columns]
    scale_from = syn if real is None else real
    values = scale_from[columns].to_numpy(dtype=np.float64)
    mean, std = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
    keep = std > 0
    columns = [c for c, k in zip(columns, keep, strict=True) if k]
    mean, std = mean[keep], std[keep]
    spaces: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    if data.synthetic_emb is not None:
        spaces["embedding"] = (data.synthetic_emb, data.real_emb if real is not None else None)
    if columns:
        spaces["attribute"] = (
            attribute_matrix(syn, columns, mean, std),
            None if real is None else attribute_matrix(real, columns, mean, std),
        )
    return spaces


@CHECKS.register("diversity")
class Diversity:
    """Per-class dispersion (embedding and attribute space) and coverage of the real class."""

    name = "diversity"

    def score(self, data: ScanData, params: ScanParams, near_copy: NearCopyParams = NEAR_COPY) -> pd.DataFrame:
        syn, real = data.synthetic, data.real if data.has_reference else None
        labels = classes_of(syn, params.min_class_size)
        if real is not None:
            labels = [c for c in labels if c in set(classes_of(real, params.min_class_size))]
        if not is_labelled(syn) and (real is None or not is_labelled(real)) and len(syn) >= params.min_class_size:
            labels = [""]  # an unlabelled set: the whole set is the one group (class null in the findings)
        syn_idx = syn.groupby(syn["label"].astype(str)).indices
        real_idx = real.groupby(real["label"].astype(str)).indices if real is not None else {}
        rows = []
        for space, (xs, xr) in _spaces(data).items():
            disp = {c: dispersion(xs[syn_idx[c]]) for c in labels}
            if xr is not None:
                ref = {c: dispersion(xr[real_idx[c]]) for c in labels}
                against = "the real class's"
            else:
                median = float(np.nanmedian(list(disp.values()))) if disp else float("nan")
                ref = dict.fromkeys(labels, median)
                against = "the median class's"
            nn = {c: median_nn_distance(xs[syn_idx[c]]) for c in labels}
            if xr is not None:
                nn_ref = {c: median_nn_distance(xr[real_idx[c]]) for c in labels}
            else:
                nn_ref = dict.fromkeys(labels, float(np.nanmedian(list(nn.values()))) if nn else float("nan"))
            for c in labels:
                nn_ratio = nn[c] / nn_ref[c] if nn_ref[c] > 0 else float("nan")
                rows.append(
                    score_row(
                        "diversity", None, c or None, f"{space}_nn_distance_ratio", nn[c], nn_ref[c],
                        flag_value=max(0.0, 1.0 - nn_ratio) if np.isfinite(nn_ratio) else float("nan"),
                        origin="introduced" if xr is not None else "unknown",
                        message=f"{c or 'The'} images sit {pct(nn_ratio)} as far from their nearest neighbour as "
                        f"{against} ({space} space).",
                    )
                )
            for c in labels:
                ratio = disp[c] / ref[c] if ref[c] > 0 else float("nan")
                rows.append(
                    score_row(
                        "diversity",
                        None,
                        c or None,
                        f"{space}_dispersion_ratio",
                        disp[c],
                        ref[c],
                        flag_value=max(0.0, 1.0 - ratio) if np.isfinite(ratio) else float("nan"),
                        origin="introduced" if xr is not None else "unknown",
                        message=f"{c or 'The set'} spreads {pct(ratio)} as widely as {against} in {space} space.",
                    )
                )
                if xr is not None:
                    cov = coverage(xr[real_idx[c]], xs[syn_idx[c]], params.coverage_k)
                    rows.append(
                        score_row(
                            "diversity",
                            None,
                            c or None,
                            f"{space}_coverage",
                            cov,
                            message=(f"synthetic {c} reaches {pct(cov)} of real {c} images ({space} space)." if c else
                                     f"synthetic images reach {pct(cov)} of real images ({space} space)."),
                        )
                    )
        return score_frame(rows)
