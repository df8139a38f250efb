"""Before/after comparisons of the debias stage (pure): scan findings and CAS on real test data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthscope.documents import extended, json_number
from synthscope.documents.debias import CasChange, CopiesLeftOut, FindingChange, Gain, TrainAccuracy, TrainedOn
from synthscope.metrics.cas import (
    CasSettings,
    LabelledSet,
    accuracy_entry,
    copies_of_test,
    real_split,
    resolve_classifier,
    train_and_test,
)
from synthscope.metrics.fits import FitCache

KEYS = ["check", "attribute", "class", "metric"]


def compare_findings(before: pd.DataFrame, after: pd.DataFrame) -> list[FindingChange]:
    """One row per flaggable measurement that was a finding before or after debiasing.

    ``before`` / ``after``: bias_findings.parquet frames (``KEYS``, ``flag_value``, ``severity``).
    ``score_*`` is the scan's ``flag_value`` (higher = more biased, the number its thresholds
    compare), so a score below the ``low`` level means the finding is gone. A measurement
    missing on one side (a class that vanished) has None there.
    """
    cols = [*KEYS, "flag_value", "severity"]
    b = before.loc[before["flag_value"].notna(), cols]
    a = after.loc[after["flag_value"].notna(), cols]
    for frame in (a, b):
        for key in ("attribute", "class"):
            frame[key] = frame[key].astype(object).where(frame[key].notna(), "")
    merged = b.merge(a, on=KEYS, how="outer", suffixes=("_before", "_after"))
    merged = merged[(merged["severity_before"].fillna("info") != "info")
                    | (merged["severity_after"].fillna("info") != "info")]
    merged = merged.sort_values(KEYS, kind="mergesort")
    return [FindingChange(
        check=rec["check"],
        attribute=rec["attribute"] or None,
        class_=rec["class"] or None,
        metric=rec["metric"],
        score_before=json_number(rec["flag_value_before"]),
        score_after=json_number(rec["flag_value_after"]),
        severity_before=rec["severity_before"] if isinstance(rec["severity_before"], str) else None,
        severity_after=rec["severity_after"] if isinstance(rec["severity_after"], str) else None,
    ) for rec in merged.to_dict("records")]


def cas_before_after(
    before: LabelledSet | None, after: LabelledSet, after_sources: np.ndarray, real: LabelledSet,
    settings: CasSettings, cache: FitCache | None = None,
) -> CasChange:
    """Accuracy on the score stage's real test split of a classifier trained before and after.

    ``before``: the original synthetic set, or None for the real training split (when the real
    set was the one rebalanced). ``after``: the augmented set. Rows of either training set
    that are real test images or their near copies are left out (no leakage): by
    ``after_sources`` (source image ids, str (N,)) and by the CAS criterion
    (``metrics.cas.copies_of_test``). Split, classes, classifier, training and intervals are
    ``synthscope.metrics.cas``'s own (:func:`train_and_test`); with the score stage's ``cache`` the
    "before" model is its synthetic->real (or real->real) model, served rather than trained again.
    """
    split = real_split(real, [after] + ([before] if before is not None else []), settings)
    settings, _ = resolve_classifier(split, settings, cache)  # the score stage's C / transforms (cached)
    test_ids = split.test.ids.astype(str)
    source_leak = np.isin(after_sources.astype(str), test_ids)
    after_leak = source_leak | copies_of_test(after, split, settings)
    train = {"before": split.train, "after": after.take(np.flatnonzero(~after_leak))}
    before_leak = np.zeros(0, dtype=bool)
    if before is not None:
        before_leak = copies_of_test(before, split, settings)
        train["before"] = before.take(np.flatnonzero(~before_leak))
    accuracy, n_train = {}, {}
    correct = {}
    for name, data in train.items():
        result = train_and_test(data, split, settings, cache)
        correct[name], n_train[name] = result.correct, result.n_train
        accuracy[name] = accuracy_entry(result.correct, settings.bootstrap_reps, settings.seed)
    gain = correct["after"].astype(float) - correct["before"].astype(float)
    return CasChange(
        model=settings.model,
        n_test_real=int(len(split.test_idx)),
        trained_on=TrainedOn(before="real training split" if before is None else "synthetic", after="augmented"),
        before=extended(accuracy["before"], TrainAccuracy, n_train=n_train["before"]),
        after=extended(accuracy["after"], TrainAccuracy, n_train=n_train["after"]),
        gain=extended(accuracy_entry(gain, settings.bootstrap_reps, settings.seed), Gain),
        n_after_dropped_test_sources=int(after_leak.sum()),
        excluded_copies_of_test=CopiesLeftOut(before=int(before_leak.sum()), after=int(after_leak.sum())),
    )
