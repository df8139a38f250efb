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
over it, as a share of the headroom above it (:func:`excess_over`, :func:`calibrate`).

The halves are half the size of the real set, so their spread is larger than that of the
synthetic-vs-real comparison: a two-sample statistic's sampling noise goes as
``sqrt(1/n_a + 1/n_b)``, which is ``sqrt(4/n_r)`` for two halves and ``sqrt(1/n_s + 1/n_r)``
for the comparison (``size_scale``; class counts for a per-class row). Left as it is, equal
sets would be judged against noise sqrt(2) too large, and a planted, perfect colour shortcut
in a demo of 20 images per class stayed ``low``. So the spread above the null mean is scaled
to the comparison's sizes; the mean (the level two real samples share: real near-copies,
a real shortcut) is kept.

A check that knows its exact null (``null_levels``: the imbalance check's class-count null,
``bias.imbalance``) is not rerun on halves; its levels (``null_kind`` "counts") replace them.

A row whose null could not be measured on at least ``min_null_splits`` splits (a class
too small to appear on both sides, a real set too small to split) keeps its raw value,
but its severity is capped at ``low`` (``flag.flag``) and its message says why.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np
import pandas as pd

from synthscope.bias.base import ScanData
from synthscope.metrics.fits import digest
from synthscope.params import ScanParams

KEY = ("check", "attribute", "metric", "class")
NO_NULL = "real-vs-real noise could not be estimated (too few real images to split), so at most low"
# how each kind of null is named in a calibrated row's message
NULL_WHERE = {"halves": "between two halves of the real set",
              "counts": "from sampling alone at these class counts"}


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


def size_scale(n_synthetic: np.ndarray, n_real: np.ndarray) -> np.ndarray:
    """``sqrt((1/n_s + 1/n_r) / (2 / (n_r / 2)))``: the comparison's sampling noise over that of two
    halves of the real set (about 0.71 at equal sizes, above 1 for a synthetic class smaller than
    half its real class); 1 where a size is 0."""
    s = np.asarray(n_synthetic, dtype=np.float64)
    r = np.asarray(n_real, dtype=np.float64)
    ok = (s > 0) & (r >= 2)
    s, r = np.where(ok, s, 1.0), np.where(ok, r, 4.0)
    return np.where(ok, np.sqrt((1.0 / s + 1.0 / r) * r / 4.0), 1.0)


def _row_sizes(data: ScanData, classes: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic and real image counts behind each row: the class's for a per-class row, all otherwise."""
    def counts(frame: pd.DataFrame) -> pd.Series:
        if "label" not in frame:
            return pd.Series(dtype=np.float64)
        return frame["label"].astype(str).value_counts()
    syn, real = counts(data.synthetic), counts(data.real)
    per_class = classes.astype(str) != ""
    n_s = np.where(per_class, classes.astype(str).map(syn).fillna(0).to_numpy(dtype=np.float64), len(data.synthetic))
    n_r = np.where(per_class, classes.astype(str).map(real).fillna(0).to_numpy(dtype=np.float64), len(data.real))
    return n_s, n_r


def real_digest(data: ScanData, params: ScanParams, scorer: Hashable) -> str | None:
    """A digest of everything the null pairs see: the real rows and embeddings, the params and
    ``scorer`` (what the scorer depends on besides them). None when a column cannot be hashed."""
    if data.real is None:
        return None
    try:
        rows = pd.util.hash_pandas_object(data.real, index=False).to_numpy()
    except TypeError:
        return None
    return digest(list(data.real.columns), repr(params), repr(scorer), rows, data.real_emb)


_last_values: tuple[str, list[pd.DataFrame]] | None = None


def null_values(data: ScanData, params: ScanParams, score: Callable[[ScanData, ScanParams], pd.DataFrame],
                scorer: Hashable = None) -> list[pd.DataFrame]:
    """The flagged values of every null pair, one frame per split.

    They depend on the real set alone, which the re-scan after debias shares with the scan when
    the synthetic set was the one rebalanced: given ``scorer`` (the scorer's own inputs; None:
    no reuse), the last splits are kept and served again for the same content (a second of the
    re-scan on the demo)."""
    global _last_values
    key = None if scorer is None else real_digest(data, params, scorer)
    last = _last_values
    if key is not None and last is not None and last[0] == key:
        return last[1]
    frames = []
    for split in range(params.null_splits):
        halves = real_halves(data, params.seed + 1000 + split)
        if halves is None:
            break
        scores = score(halves, params)
        frames.append(_keyed(scores)[[*KEY, "flag_value"]])
    if key is not None:
        _last_values = (key, frames)
    return frames


def null_levels(data: ScanData, params: ScanParams, score: Callable[[ScanData, ScanParams], pd.DataFrame],
                scorer: Hashable = None) -> pd.DataFrame:
    """Per KEY: ``null_n`` (splits that measured it), ``null_mean``, ``null_sd``, ``noise``
    (the mean plus the spread above it scaled to the comparison's sizes, ``size_scale``).

    ``score``: the scan's scorer (every check; ``scan.score_all``), run on each null pair
    (``null_values``; ``scorer`` names what it depends on besides the data and params).
    An empty frame (with the columns) when the real set cannot be split.
    """
    frames = null_values(data, params, score, scorer)
    columns = [*KEY, "null_n", "null_mean", "null_sd", "noise", "null_kind"]
    if not frames:
        return pd.DataFrame(columns=columns)
    values = pd.concat(frames, ignore_index=True)
    values = values[np.isfinite(values["flag_value"].to_numpy(dtype=np.float64))]
    stats = values.groupby(list(KEY))["flag_value"].agg(["count", "mean", "std", "max"]).reset_index()
    sd = stats["std"].fillna(0.0)
    spread = np.maximum(stats["max"], stats["mean"] + params.null_z * sd) - stats["mean"]
    stats["noise"] = stats["mean"] + size_scale(*_row_sizes(data, stats["class"])) * spread
    stats = stats.rename(columns={"count": "null_n", "mean": "null_mean", "std": "null_sd"})
    return stats.assign(null_kind="halves")[columns]


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
    kinds = merged["null_kind"] if "null_kind" in merged else pd.Series("halves", index=merged.index)
    messages = []
    for message, f, o, r, z, k in zip(out["message"], flagged, ok, raw, noise, kinds.fillna("halves"), strict=True):
        if f and o and r > 0:
            message = f"{message} [{r:.2f} against {z:.2f} {NULL_WHERE[k]}]"
        elif f and not o:
            message = f"{message} [{NO_NULL}]"
        messages.append(message)
    out["message"] = messages
    return out
