"""Real-vs-real noise: every check run again on two disjoint halves of the real set.

Two samples of the same photos never match exactly: a shallow tree finds a "shortcut" in
a class of 20 images, one half's colour spread is 30% narrower than the other's, a
classifier separates them with AUC 0.6. A check's value is only evidence of a difference
when it exceeds what such a null pair shows. So the scan splits the real set into two
disjoint random halves ``null_splits`` times (not stratified by class: two photo
collections differ in their class counts too), runs every check on each pair (one half
in the synthetic role) and keeps, per measured row (check, attribute, metric, class), the
distribution of its flagged value. The noise level of a row is
``max(largest null value, mean + null_z * sd)``; the flagged value becomes the excess
over it, as a share of the headroom above it (:func:`excess_over`, :func:`calibrate`). The halves are half the size of the real set, so their noise
is larger than that of a synthetic-vs-real comparison at the real set's size: the
correction is conservative.

A row whose null could not be measured on at least ``min_null_splits`` splits (a class
too small to appear on both sides, a real set too small to split) keeps its raw value,
but its severity is capped at ``low`` (``flag.flag``) and its message says why.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from synthscope.bias.base import ScanData
from synthscope.params import ScanParams

KEY = ("check", "attribute", "metric", "class")
NO_NULL = "real-vs-real noise could not be estimated (too few real images to split), so at most low"


def real_halves(data: ScanData, seed: int) -> ScanData | None:
    """Two disjoint random halves of the real set, the first in the synthetic role (None below 4 images)."""
    real = data.real
    if real is None or len(real) < 4:
        return None
    order = np.random.default_rng(seed).permutation(len(real))
    half = len(real) // 2
    a, b = order[:half], order[half : 2 * half]
    first = real.iloc[a].reset_index(drop=True).assign(role="synthetic")
    second = real.iloc[b].reset_index(drop=True)
    emb = data.real_emb
    return ScanData(first, second, None if emb is None else emb[a], None if emb is None else emb[b], null_pair=True)


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """KEY columns with None as '' so that rows of different frames merge."""
    out = frame.copy()
    for col in ("attribute", "class"):
        out[col] = out[col].astype(object).where(out[col].notna(), "").astype(str)
    return out


def null_levels(data: ScanData, params: ScanParams, score: Callable[[ScanData, ScanParams], pd.DataFrame]) -> pd.DataFrame:
    """Per KEY: ``null_n`` (splits that measured it), ``null_mean``, ``null_sd``, ``noise``.

    ``score``: the scan's scorer (every check; ``scan.score_all``), run on each null pair.
    An empty frame (with the columns) when the real set cannot be split.
    """
    frames = []
    for split in range(params.null_splits):
        halves = real_halves(data, params.seed + 1000 + split)
        if halves is None:
            break
        scores = score(halves, params)
        frames.append(_keyed(scores)[[*KEY, "flag_value"]])
    columns = [*KEY, "null_n", "null_mean", "null_sd", "noise"]
    if not frames:
        return pd.DataFrame(columns=columns)
    values = pd.concat(frames, ignore_index=True)
    values = values[np.isfinite(values["flag_value"].to_numpy(dtype=np.float64))]
    stats = values.groupby(list(KEY))["flag_value"].agg(["count", "mean", "std", "max"]).reset_index()
    sd = stats["std"].fillna(0.0)
    stats["noise"] = np.maximum(stats["max"], stats["mean"] + params.null_z * sd)
    stats = stats.rename(columns={"count": "null_n", "mean": "null_mean", "std": "null_sd"})
    return stats[columns]


def excess_over(raw: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Share of the headroom above the noise that the value takes: ``(raw - noise) / (1 - noise)``,
    clipped to [0, 1]. Every flagged value lies in [0, 1] (1: perfectly separable, all images
    copied, ...), so a perfect effect stays 1 however noisy small samples are, and a value
    within the noise is 0."""
    headroom = np.maximum(1.0 - noise, 1e-12)
    return np.clip((raw - noise) / headroom, 0.0, 1.0)


def calibrate(scores: pd.DataFrame, levels: pd.DataFrame, params: ScanParams,
              by_test: frozenset[str] = frozenset()) -> pd.DataFrame:
    """``scores`` with ``flag_value`` replaced by its excess over the real-vs-real noise.

    Adds ``raw_flag_value`` (the check's own value), ``null_noise`` (NaN where unmeasured)
    and ``null_ok`` (False: no reliable null; the severity is then capped at ``low``). An
    ``introduced`` origin needs an excess above 0; a difference within the noise is
    ``unknown`` (the real data shows as much between two of its own samples), and a
    ``copied`` effect with an excess is ``introduced`` (the generator made it stronger).
    Rows of the checks in ``by_test`` (their value is already a test against the real-vs-real
    expectation, and they are not rerun on null pairs) are left as they are.
    """
    out = scores.copy()
    mine = ~out["check"].isin(by_test).to_numpy()
    merged = _keyed(out)[list(KEY)].merge(levels, on=list(KEY), how="left")
    raw = out["flag_value"].to_numpy(dtype=np.float64)
    n = merged["null_n"].fillna(0).to_numpy(dtype=np.float64)
    noise = merged["noise"].to_numpy(dtype=np.float64)
    ok = n >= params.min_null_splits
    flagged = np.isfinite(raw) & mine
    excess = np.where(ok, excess_over(raw, np.nan_to_num(noise)), raw)
    out["raw_flag_value"] = raw
    out["null_noise"] = np.where(ok & mine, noise, np.nan)
    out["null_ok"] = ok | ~flagged
    out["flag_value"] = np.where(flagged, excess, raw)
    origin = out["origin"].to_numpy()
    out.loc[flagged & ok & (excess <= 0) & (origin == "introduced"), "origin"] = "unknown"
    # beyond the noise the generator added to what the real data shows: introduced, even when
    # the real data shows some of it (a copied shortcut the generator made stronger)
    out.loc[flagged & ok & (excess > 0) & (origin == "copied"), "origin"] = "introduced"
    messages = []
    for message, f, o, r, z in zip(out["message"], flagged, ok, raw, noise, strict=True):
        if f and o and r > 0:
            message = f"{message} [{r:.2f} against {z:.2f} between two halves of the real set]"
        elif f and not o:
            message = f"{message} [{NO_NULL}]"
        messages.append(message)
    out["message"] = messages
    return out
