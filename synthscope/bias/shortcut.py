"""Shortcuts: can a simple classifier that sees only one attribute group predict the class?

Per group: cross-validated accuracy of a shallow decision tree on the group's columns
against chance (the majority-class rate), normalised as lift = (acc - chance) / (1 - chance),
and the largest normalised mutual information between the class and one quantile-binned
column. Per class: Youden's J (TPR - FPR) of the out-of-fold predictions for that class.
The same is measured on the real data: what is flagged is the synthetic J beyond the real
one (the real data's own shortcuts are not the generator's doing), and a shortcut the real
data shows too is ``copied``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import normalized_mutual_info_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.tree import DecisionTreeClassifier

from synthscope.bias.base import CHECKS, ScanData, classes_of, origin_of, pct, score_frame, score_row
from synthscope.bias.describe import modal_share, value_names
from synthscope.bias.masked import confident
from synthscope.params import NEAR_COPY, NearCopyParams, ScanParams
from synthscope.schema import ATTRIBUTE_GROUPS


def stratified_subsample(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """At most ``max_rows`` rows, each class keeping its share (accuracy estimates stay unbiased)."""
    if len(frame) <= max_rows:
        return frame
    frac = max_rows / len(frame)
    return frame.groupby("label", group_keys=False).sample(frac=frac, random_state=seed)


def out_of_fold_predictions(x: np.ndarray, y: np.ndarray, params: ScanParams) -> np.ndarray:
    """Cross-validated predictions of a shallow tree; x float (N, C), y labels (N,)."""
    folds = min(params.cv_folds, int(pd.Series(y).value_counts().min()))
    model = DecisionTreeClassifier(
        max_depth=params.tree_depth, min_samples_leaf=params.min_class_size, random_state=params.seed
    )
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=params.seed)
    return cross_val_predict(model, x, y, cv=cv)


def youden_j(y: np.ndarray, pred: np.ndarray, label: str) -> float:
    """TPR - FPR of "predicted ``label``" for the true ``label``: 0 at chance, 1 when perfect."""
    pos = y == label
    if pos.all() or not pos.any():
        return float("nan")
    return float(np.mean(pred[pos] == label) - np.mean(pred[~pos] == label))


def max_binned_nmi(x: np.ndarray, y: np.ndarray, bins: int) -> float:
    """Largest NMI between ``y`` and one column of ``x`` cut into ``bins`` quantile bins."""
    best = 0.0
    for j in range(x.shape[1]):
        col = pd.Series(x[:, j])
        if col.nunique() < 2:
            continue
        codes = pd.qcut(col.rank(method="first"), q=min(bins, col.nunique()), labels=False)
        best = max(best, float(normalized_mutual_info_score(y, codes)))
    return best


def shortcut_contrast(j_syn: float, j_real: float | None) -> float:
    """What the thresholds see: J of the synthetic class beyond the real class's (the part the
    generator added), or J itself without a real class. A shortcut the real data shows as
    strongly is ``copied``: reported, but at most ``low`` (``flag.flag``)."""
    if j_real is None or not np.isfinite(j_real):
        return j_syn
    return max(0.0, j_syn - max(j_real, 0.0))


def measure(frame: pd.DataFrame, cols: list[str], labels: list[str], params: ScanParams, nmi: bool = True) -> dict:
    """Lift, NMI (NaN unless ``nmi``) and per-class Youden J of one role's frame for one attribute group."""
    part = stratified_subsample(frame[frame["label"].isin(labels)], params.max_rows, params.seed)
    x = part[cols].to_numpy(dtype=np.float64)
    x = np.nan_to_num(x, nan=np.nanmean(x) if np.isfinite(x).any() else 0.0)
    y = part["label"].astype(str).to_numpy()
    pred = out_of_fold_predictions(x, y, params)
    chance = float(pd.Series(y).value_counts(normalize=True).max())
    acc = float(np.mean(pred == y))
    return {
        "accuracy": acc,
        "chance": chance,
        "lift": (acc - chance) / (1.0 - chance) if chance < 1 else 0.0,
        "nmi": max_binned_nmi(x, y, params.nmi_bins) if nmi else float("nan"),
        "j": {c: youden_j(y, pred, c) for c in labels},
    }


@CHECKS.register("shortcut")
class Shortcut:
    """Cross-validated predictability of the class from each attribute group alone."""

    name = "shortcut"
    needs_labels = True  # a shortcut predicts the class: no labels, nothing to predict

    def score(self, data: ScanData, params: ScanParams, near_copy: NearCopyParams = NEAR_COPY) -> pd.DataFrame:
        # every group is an object attribute: only images with a trusted mask are read
        syn = confident(data.synthetic, params)
        real = confident(data.real, params) if data.has_reference else None
        labels = classes_of(syn, params.min_class_size)
        if len(labels) < 2:
            return score_frame([])
        pooled = syn if real is None else pd.concat([syn, real], ignore_index=True)
        real_labels = (
            [] if real is None else [c for c in labels if c in classes_of(real, params.min_class_size)]
        )
        rows = []
        for group, columns in ATTRIBUTE_GROUPS.items():
            cols = [c for c in columns if c in syn.columns]
            if not cols:
                continue
            s = measure(syn, cols, labels, params, nmi=not data.null_pair)
            r = measure(real, cols, real_labels, params, nmi=not data.null_pair) if len(real_labels) >= 2 else None
            rows.append(
                score_row(
                    "shortcut",
                    group,
                    None,
                    "accuracy_lift",
                    s["lift"],
                    r["lift"] if r else float("nan"),
                    origin=origin_of(s["lift"], r["lift"] if r else None, params.copied_ratio),
                    message=(
                        f"{group} alone predicts the class with {pct(s['accuracy'])} cross-validated "
                        f"accuracy (chance {pct(s['chance'])}, NMI {s['nmi']:.2f})"
                        + (f"; on real data {pct(r['accuracy'])} (NMI {r['nmi']:.2f})." if r else ".")
                    ),
                )
            )
            rows.append(
                score_row(
                    "shortcut",
                    group,
                    None,
                    "nmi",
                    s["nmi"],
                    r["nmi"] if r else float("nan"),
                    message=f"normalised mutual information of {group} and class",
                )
            )
            for label in labels:
                j_syn = s["j"][label]
                j_real = r["j"].get(label) if r else None
                rows.append(
                    score_row(
                        "shortcut",
                        group,
                        label,
                        "youden_j",
                        j_syn,
                        float("nan") if j_real is None else j_real,
                        flag_value=shortcut_contrast(j_syn, j_real),
                        origin=origin_of(j_syn, j_real, params.copied_ratio),
                        message="" if data.null_pair else self._message(group, label, j_syn, j_real, syn, real, pooled),
                    )
                )
        return score_frame(rows)

    @staticmethod
    def _message(
        group: str,
        label: str,
        j_syn: float,
        j_real: float | None,
        syn: pd.DataFrame,
        real: pd.DataFrame | None,
        pooled: pd.DataFrame,
    ) -> str:
        name, share = modal_share(value_names(group, syn[syn["label"] == label], pooled))
        text = f"{label} is {name} in {pct(share)} of synthetic images"
        if real is not None:
            r_part = real[real["label"] == label]
            r_share = float((value_names(group, r_part, pooled) == name).mean()) if len(r_part) else 0.0
            text += f", {pct(r_share)} of real ones"
        text += f"; {group} alone identifies {label} with Youden J {j_syn:.2f}"
        return text + (f" (real {j_real:.2f})." if j_real is not None else ".")
