"""Run every registered check, then flag: the pure core of the scan stage.

Checks that need class labels (``needs_labels``) do not run on an unlabelled synthetic set;
with an unlabelled real set they run on the synthetic set alone (no per-class reference).
``not_checked`` says which checks, across the pipeline, an unlabelled set leaves out and why.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from synthscope.bias.base import CHECKS, SCORE_COLUMNS, ScanData, is_labelled
from synthscope.bias.flag import flag
from synthscope.bias.null import calibrate, null_levels
from synthscope.documents.bias import NotChecked
from synthscope.logs import progress
from synthscope.params import NEAR_COPY, NearCopyParams, ScanParams

NEEDS_LABELS = "not checked: needs class labels"

# Every check of the pipeline that needs class labels: (check, what it is, the stage that runs it).
LABEL_CHECKS: tuple[tuple[str, str, str], ...] = (
    ("consistency", "per-class consistency", "scan"),
    ("shortcut", "shortcuts", "scan"),
    ("imbalance", "class imbalance", "scan"),
    ("cas", "classification accuracy score (CAS)", "score"),
    ("utility", "utility curves", "score"),
    ("rebalancing", "rebalancing (debias)", "debias"),
)


def needs_labels(check: type) -> bool:
    return bool(getattr(check, "needs_labels", False))


def own_null(check: type) -> bool:
    """True for a check not rerun on halves of the real set: its value is a test already
    (``null_by_test``) or it computes its own null (``null_levels``)."""
    return bool(getattr(check, "null_by_test", False)) or hasattr(check, "null_levels")


def score_all(data: ScanData, params: ScanParams, near_copy: NearCopyParams = NEAR_COPY,
              null_pair: bool = False) -> pd.DataFrame:
    """Concatenate the score frames of every registered check (``SCORE_COLUMNS``).

    ``null_pair``: ``data`` is two halves of the real set (``bias.null``); checks whose flagged
    value is already a test against the real-vs-real expectation (``null_by_test``: drift's
    AUC lower bound against 0.5) and checks with their own exact null (``null_levels``:
    imbalance's class counts) are not rerun.
    """
    syn_labelled = is_labelled(data.synthetic)
    unreferenced = replace(data, real=None, real_emb=None)  # a reference without labels compares no class
    frames = []
    checks = [(n, c) for n, c in CHECKS if not (null_pair and own_null(c))]
    for _, check in progress(checks, "scan checks"):
        if needs_labels(check) and not syn_labelled:
            continue
        given = unreferenced if needs_labels(check) and data.has_reference and not is_labelled(data.real) else data
        frames.append(check().score(given, params, near_copy))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def scan(data: ScanData, params: ScanParams, near_copy: NearCopyParams = NEAR_COPY) -> pd.DataFrame:
    """Scores of every check, calibrated against real-vs-real noise when there is a real set
    (``bias.null``), with a ``severity`` column, most severe first (``near_copy``: what the
    duplicates and memorisation checks count as a copy)."""
    scores = score_all(data, params, near_copy)
    if data.has_reference and params.null_splits:
        scorer = (near_copy, tuple(CHECKS))
        levels = null_levels(data, params, lambda d, p: score_all(d, p, near_copy, null_pair=True), scorer)
        exact = [c().null_levels(data, params) for _, c in CHECKS if hasattr(c, "null_levels")]
        levels = pd.concat([f for f in (levels, *exact) if len(f)] or [levels], ignore_index=True)
        by_test = frozenset(n for n, c in CHECKS if getattr(c, "null_by_test", False))
        scores = calibrate(scores, levels, params, by_test)
    return flag(scores, params)


def not_checked(data: ScanData) -> list[NotChecked]:
    """bias.json's ``not_checked``: the label-needing checks an unlabelled set leaves out, and why."""
    if not is_labelled(data.synthetic):
        why = f"{NEEDS_LABELS} (the synthetic set is unlabelled)"
        return [NotChecked(check=c, what=w, stage=s, reason=why) for c, w, s in LABEL_CHECKS]
    if data.has_reference and not is_labelled(data.real):
        why = f"{NEEDS_LABELS} on the real set too (the real set is unlabelled): no per-class comparison with real"
        return [NotChecked(check=c, what=w, stage=s, reason=why) for c, w, s in LABEL_CHECKS
                if c in ("consistency", "shortcut", "imbalance", "cas", "utility")]
    return []
