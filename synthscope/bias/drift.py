"""Drift: how the synthetic set differs from the real one, attribute group by group.

A two-sample classifier test (Lopez-Paz & Oquab 2017): if a classifier that sees only one
attribute group tells synthetic from real images better than chance, that group's
distribution differs. The score is the cross-validated ROC AUC; the flagged value is
``2 * (AUC - 0.5)`` clipped at 0 (0 = indistinguishable, 1 = perfectly separable). One
more classifier on the embeddings measures the overall gap, and its message names the
groups that explain most of it. Object groups (color, size, location, background) use
only images whose mask is trusted (``scan.min_mask_confidence``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from threadpoolctl import threadpool_limits

from synthscope.bias.base import CHECKS, ScanData, ScoreRow, classes_of, score_frame, score_row
from synthscope.bias.describe import color_names, unit_rgb
from synthscope.bias.masked import confident, coverage, coverage_sentence
from synthscope.features.attributes import rgb_to_hsv
from synthscope.params import NEAR_COPY, NearCopyParams, ScanParams
from synthscope.schema import ATTRIBUTE_GROUPS, DRIFT_GROUPS

# 20 trees at a learning rate of 0.25: the capacity of 50 at 0.1 for groups of one to six columns,
# at 0.4 of the cost. A fit costs about half a millisecond a tree whatever the rows, and a scan fits
# 3 folds x groups x (classes + 1): up to 630 fits on 34 classes. On the demo the AUCs moved by at most
# 0.04 (mean 0.007) and the same rows were flagged; any classifier keeps the test's level, as the
# flagged value is the lower bound of its cross-validated AUC.
TREES, LEARNING_RATE = 20, 0.25


def classifier_auc(x_syn: np.ndarray, x_real: np.ndarray, params: ScanParams, linear: bool = False) -> tuple[float, np.ndarray]:
    """Cross-validated AUC of telling (N, C) synthetic rows from (M, C) real rows.

    Returns (AUC, out-of-fold probability of "synthetic" for each synthetic row (N,)).
    Gradient-boosted trees for attribute groups (any shape of difference, any units); a
    logistic regression for embeddings (high-dimensional, L2-normalised). NaN below 2
    rows a side.
    """
    n, m = len(x_syn), len(x_real)
    folds = min(params.cv_folds, n, m)
    if folds < 2:
        return float("nan"), np.full(n, np.nan)
    x = np.nan_to_num(np.vstack([x_syn, x_real]).astype(np.float64))
    y = np.r_[np.ones(n, dtype=int), np.zeros(m, dtype=int)]
    if linear:
        model = LogisticRegression(C=1.0, max_iter=500)
    else:
        model = HistGradientBoostingClassifier(
            max_iter=TREES, learning_rate=LEARNING_RATE, max_depth=params.tree_depth,
            min_samples_leaf=params.min_class_size, random_state=params.seed,
        )
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=params.seed)
    # One thread: on a shared machine OpenMP threads of many small fits fight (measured 10x slower).
    with threadpool_limits(1):
        proba = cross_val_predict(model, x, y, cv=cv, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, proba)), proba[:n]


def auc_standard_error(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley & McNeil (1982) standard error of an AUC from n_pos and n_neg samples."""
    q1, q2 = auc / (2.0 - auc), 2.0 * auc * auc / (1.0 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    return float(np.sqrt(max(var, 0.0)))


def drift_value(auc: float, n_syn: int, n_real: int, comparisons: int = 1) -> float:
    """2 (lower bound of the AUC - 0.5), clipped at 0: the flagged quantity (NaN stays NaN).

    The lower bound is two-sided 95%, Bonferroni-corrected for ``comparisons`` tests (every
    group x class the check scores): small per-class samples, whose AUC is noisy, and the
    number of rows tested do not raise findings by chance. A perfectly separable group
    (AUC 1, SE 0) still gives 1.
    """
    if not np.isfinite(auc):
        return float("nan")
    z = float(norm.ppf(1.0 - 0.025 / max(comparisons, 1)))
    lower = auc - z * auc_standard_error(auc, n_syn, n_real)
    return max(0.0, 2.0 * (lower - 0.5))


def rgb_words(frame: pd.DataFrame, prefix: str) -> str:
    """'white (RGB 250,250,250)': named colour of the median RGB of ``<prefix>_r/g/b``."""
    rgb = unit_rgb(frame[[f"{prefix}_r", f"{prefix}_g", f"{prefix}_b"]].median().to_numpy()[None, :])
    hue, sat, val = rgb_to_hsv(rgb)
    name = color_names(hue, sat, val)[0]
    r, g, b = np.rint(rgb[0] * 255).astype(int)
    return f"{name} (RGB {r},{g},{b})"


SIDES = ("synthetic", "real")  # the audit's words for the two sides; ``synthscope monitor`` says incoming, training


def direction(group: str, syn: pd.DataFrame, real: pd.DataFrame, sides: tuple[str, str] = SIDES) -> str:
    """The difference in plain words with typical (median) values on each side (``sides`` names them)."""
    a, b = sides
    if group == "color":
        return f"{a} objects are {rgb_words(syn, 'obj')}, {b} ones {rgb_words(real, 'obj')}"
    if group == "background":
        return f"{a} backgrounds are {rgb_words(syn, 'bg')}, {b} ones {rgb_words(real, 'bg')}"
    if group == "resolution":
        s, r = syn[["width", "height"]].median(), real[["width", "height"]].median()
        return f"{a} images are {s.width:.0f}x{s.height:.0f}, {b} ones {r.width:.0f}x{r.height:.0f}"
    if group == "size":
        s, r = syn["fg_area"].median(), real["fg_area"].median()
        return f"{a} objects cover {100 * s:.0f}% of the image, {b} ones {100 * r:.0f}%"
    if group == "location":
        s, r = syn[["centroid_x", "centroid_y"]].median(), real[["centroid_x", "centroid_y"]].median()
        return (f"{a} objects sit at ({s.centroid_x:.2f}, {s.centroid_y:.2f}) of the frame, "
                f"{b} ones at ({r.centroid_x:.2f}, {r.centroid_y:.2f})")
    # quality: the column whose medians differ most, in units of the pooled spread
    cols = list(DRIFT_GROUPS[group])
    pooled = pd.concat([syn[cols], real[cols]]).std().replace(0, np.nan)
    gap = ((syn[cols].median() - real[cols].median()).abs() / pooled).fillna(0.0)
    col = str(gap.idxmax())
    s, r = float(syn[col].median()), float(real[col].median())
    return f"{a} images have {'higher' if s > r else 'lower'} {col} ({s:.3g} vs {r:.3g} in {b} ones)"


def group_rows(group: str, label: str | None, syn: pd.DataFrame, real: pd.DataFrame,
               params: ScanParams, measured: str, comparisons: int, sides: tuple[str, str] = SIDES) -> ScoreRow | None:
    """One score row of one group on one subset, or None when a side has too few images."""
    if min(len(syn), len(real)) < params.min_class_size:
        return None
    cols = [c for c in DRIFT_GROUPS[group] if c in syn.columns and c in real.columns]
    if not cols:
        return None
    auc, _ = classifier_auc(syn[cols].to_numpy(), real[cols].to_numpy(), params)
    if not np.isfinite(auc):
        return None
    who = "" if label is None else f"{label}: "
    message = f"{who}{direction(group, syn, real, sides)}; {group} alone tells them apart with AUC {auc:.2f}{measured}."
    return score_row("drift", group, label, "classifier_auc", auc, 0.5,
                     flag_value=drift_value(auc, len(syn), len(real), comparisons), origin="introduced", message=message)


_last_fit: tuple[np.ndarray, np.ndarray, ScanParams, float, np.ndarray] | None = None


def embedding_fit(data: ScanData, params: ScanParams) -> tuple[float, np.ndarray]:
    """(AUC, out-of-fold probability of "synthetic" per synthetic row) of the embedding classifier.

    The drift check and the examples the scan lists (``bias.examples.drift_examples``) both
    need it; the last fit is kept (for the same arrays and params), so the scan fits it once.
    """
    global _last_fit
    last = _last_fit
    if last is not None and last[0] is data.synthetic_emb and last[1] is data.real_emb and last[2] == params:
        return last[3], last[4]
    assert data.synthetic_emb is not None and data.real_emb is not None
    auc, proba = classifier_auc(data.synthetic_emb, data.real_emb, params, linear=True)
    _last_fit = (data.synthetic_emb, data.real_emb, params, auc, proba)
    return auc, proba


def embedding_row(data: ScanData, params: ScanParams, group_rows_: list[ScoreRow],
                  sides: tuple[str, str] = SIDES) -> ScoreRow | None:
    """Overall gap from the embeddings, naming the groups with the largest drift."""
    if data.synthetic_emb is None or data.real_emb is None:
        return None
    auc, _ = embedding_fit(data, params)
    if not np.isfinite(auc):
        return None
    ranked = sorted((r for r in group_rows_ if r["class"] is None and np.isfinite(r["flag_value"])),
                    key=lambda r: -r["score"])
    top = [f"{r['attribute']} (AUC {r['score']:.2f})" for r in ranked[:2] if r["flag_value"] > 0]
    explain = (f"; most of the gap is in {' and '.join(top)}" if top
               else "; no single attribute group explains it (the difference is in content)")
    message = f"a classifier on the embeddings tells {sides[0]} from {sides[1]} with AUC {auc:.2f}{explain}."
    value = drift_value(auc, len(data.synthetic_emb), len(data.real_emb))
    return score_row("drift", None, None, "classifier_auc", auc, 0.5, flag_value=value,
                     origin="introduced", message=message)


@CHECKS.register("drift")
class Drift:
    """Two-sample classifier AUC per attribute group (overall and per class) and on embeddings."""

    name = "drift"
    # The flagged value is already a two-sample test against the real-vs-real expectation (AUC
    # 0.5): the Bonferroni-corrected lower 95% bound of the cross-validated AUC. The scan does
    # not rerun it on halves of the real set (bias/null.py); bench/null_findings.py checks that
    # null pairs raise no drift finding above low.
    null_by_test = True

    def score(self, data: ScanData, params: ScanParams, near_copy: NearCopyParams = NEAR_COPY) -> pd.DataFrame:
        if not data.has_reference:
            return score_frame([])
        syn, real = data.synthetic, data.real
        labels = [c for c in classes_of(syn, params.min_class_size) if c in set(classes_of(real, params.min_class_size))]
        rows: list[ScoreRow] = []
        for group in DRIFT_GROUPS:
            s_all, r_all = (confident(syn, params), confident(real, params)) if group in ATTRIBUTE_GROUPS else (syn, real)
            measured = ""
            if group in ATTRIBUTE_GROUPS:  # say on how many images the object could be measured, and why not
                measured = (f"; {coverage_sentence(coverage(syn, params), 'synthetic')}, "
                            f"{coverage_sentence(coverage(real, params), 'real')}")
            subsets = [(None, s_all, r_all)] + [
                (c, s_all[s_all["label"].astype(str) == c], r_all[r_all["label"].astype(str) == c]) for c in labels
            ]
            for label, s_part, r_part in subsets:
                row = group_rows(group, label, s_part, r_part, params, measured if label is None else "",
                                 comparisons=len(DRIFT_GROUPS) * (len(labels) + 1))
                if row is not None:
                    rows.append(row)
        overall = embedding_row(data, params, rows)
        return score_frame(rows + ([overall] if overall else []))
