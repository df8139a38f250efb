"""Why CAS fails: the confusion matrix of the synthetic-trained classifier on real test images,
and plain-words findings for real classes that collapse onto one prediction (pure).

"Collapse" is flagged, not scored: the score is each real class's share of test images given
to one other class (a row of the row-normalised matrix); ``score.collapse_share`` turns it
into a finding.
"""

from __future__ import annotations

import numpy as np

from synthscope.documents.metrics import Collapse, Confusion


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """int64 (K, K): row = true class code, column = predicted class code (codes in range(K))."""
    out = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(out, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return out


def confusion_entry(counts: np.ndarray, classes: list[str]) -> Confusion:
    """The metrics.json form: labels, counts and row shares (rows with no test image are 0)."""
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    return Confusion(
        labels=list(classes),
        rows="true class of the real test image",
        columns="class predicted by the classifier trained on synthetic data",
        counts=counts.tolist(),
        shares=np.round(shares, 6).tolist(),
    )


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def collapse_findings(confusion: Confusion, min_share: float) -> list[Collapse]:
    """Real classes whose test images mostly go to one other class, grouped by that class.

    A class collapses onto ``p`` when at least ``min_share`` of its real test images are
    predicted ``p`` (p != the class). Classes collapsing onto the same ``p`` are one finding,
    with their pooled share: "the model trained on synthetic data calls 98% of real rock and
    scissors images 'paper'". Sorted by pooled count, largest first.
    """
    labels, counts = confusion.labels, np.asarray(confusion.counts, dtype=np.int64)
    groups: dict[int, list[int]] = {}
    for i in range(len(labels)):
        total = counts[i].sum()
        others = counts[i].copy()
        others[i] = -1
        j = int(others.argmax())
        if total and counts[i, j] >= min_share * total:
            groups.setdefault(j, []).append(i)
    out = []
    for j, rows in groups.items():
        hits, total = int(counts[rows, j].sum()), int(counts[rows].sum())
        names = [str(labels[i]) for i in rows]
        out.append(Collapse(
            predicted=str(labels[j]),
            classes=names,
            share=hits / total,
            n_test=total,
            per_class={str(labels[i]): float(counts[i, j] / counts[i].sum()) for i in rows},
            message=f"the model trained on synthetic data calls {round(100 * hits / total)}% of real "
                    f"{_names(names)} images '{labels[j]}'",
        ))
    return sorted(out, key=lambda f: (-f.share * f.n_test, f.predicted))
