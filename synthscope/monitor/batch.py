"""One incoming batch against the training data: novelty table, clusters, drift, trends, verdict.

Inputs are frames and arrays only (``synthscope.stages.monitor`` reads and writes the files):
``training`` / ``incoming`` are attributes.parquet-shaped frames with a ``file`` column (the
image's path) in the row order of ``train_features`` / ``inc_features`` (N, D).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthscope.documents import Estimate, MonitorDocument
from synthscope.documents.monitor import Cluster, Example, Trait
from synthscope.monitor import clusters as cl
from synthscope.monitor import novelty, trends, verdict
from synthscope.monitor.drift import drift_entries, drift_rows
from synthscope.monitor.labels import align_predictions, label_summary
from synthscope.params import Params

NOVELTY_COLUMNS = ("path", "image_id", "novelty", "uncovered", "nearest_train_path", "cluster")


@dataclass(frozen=True)
class BatchResult:
    table: pd.DataFrame  # NOVELTY_COLUMNS, one row per incoming image
    document: MonitorDocument  # monitor.json, less what the stage adds (extractor, n_quarantined)
    history: pd.DataFrame  # the history with this batch's row


def cluster_entries(table: pd.DataFrame, incoming: pd.DataFrame, training: pd.DataFrame,
                    nearest: np.ndarray, params: Params, scattered: int | None) -> list[Cluster]:
    """monitor.json's ``clusters``: size, description, traits and the most novel examples of each."""
    out = []
    for c in sorted(set(table["cluster"]) - {-1}):
        rows = np.flatnonzero(table["cluster"].to_numpy() == c)
        found = cl.traits(incoming.iloc[rows], training, params.monitor.extreme)
        labels = training["label"].iloc[nearest[rows]].reset_index(drop=True) if "label" in training else None
        top = rows[np.argsort(-table["novelty"].to_numpy()[rows], kind="stable")][: params.monitor.examples]
        out.append(Cluster(
            cluster=int(c), n_images=len(rows), scattered=bool(c == scattered),
            description=cl.describe(found, len(rows), labels, scattered=bool(c == scattered)),
            traits=[Trait(attribute=t.column, word=t.word, beyond_share=round(t.beyond, 4),
                          median=round(t.value, 6), training_median=round(t.training, 6)) for t in found],
            examples=[Example(path=str(table["path"].iloc[i]), nearest_train_path=str(table["nearest_train_path"].iloc[i]),
                              novelty=round(float(table["novelty"].iloc[i]), 6)) for i in top],
        ))
    return out


def drift_sample(n: int, max_rows: int, seed: int) -> np.ndarray:
    """Training rows the drift classifiers see: all, or a seeded sample of ``max_rows`` (the smaller
    incoming side limits what the two-sample test can tell anyway)."""
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, max_rows, replace=False))


def _share(s: novelty.Share) -> Estimate:
    return Estimate(value=round(s.value, 6), ci95=(round(s.lo, 6), round(s.hi, 6)), method="wilson")


def monitor_batch(training: pd.DataFrame, train_features: np.ndarray, incoming: pd.DataFrame,
                  inc_features: np.ndarray, params: Params, batch_id: str, time: str,
                  history: pd.DataFrame | None = None, predictions: pd.DataFrame | None = None) -> BatchResult:
    """Score, cluster, describe, check drift and trends, and apply the gates.

    ``predictions``: optional ``path,predicted[,confidence]`` of a user's model; with the incoming
    rows' labels it gives accuracy per cluster and over batches (``monitor.labels``).
    """
    if len(incoming) == 0:
        raise ValueError("monitor: the incoming batch has no readable images")
    mp = params.monitor
    train, inc = novelty.embed_space(train_features), novelty.embed_space(inc_features)
    cal = novelty.calibrate(train, mp.k, mp.false_alarm, mp.seed, mp.calibration_rows)
    scores, uncovered, nearest = novelty.score(train, inc, cal)
    cluster = np.full(len(inc), -1, dtype=np.int64)
    cluster[uncovered], scattered = cl.cluster_labels(
        inc[uncovered], mp.cluster_scale * cal.threshold, mp.min_cluster_size, mp.max_clusters)
    table = pd.DataFrame({
        "path": incoming["file"].astype(str).to_numpy(), "image_id": incoming["image_id"].astype(str).to_numpy(),
        "novelty": scores, "uncovered": uncovered,
        "nearest_train_path": training["file"].astype(str).to_numpy()[nearest], "cluster": cluster,
    })
    share = novelty.Share.of(uncovered)
    sample = drift_sample(len(training), mp.drift_rows, mp.seed)
    drift = drift_entries(drift_rows(incoming, training.iloc[sample].reset_index(drop=True), inc.astype(np.float32),
                                     train[sample].astype(np.float32), params.scan))
    row = {"batch_id": batch_id, "time": time, "n_images": len(inc), "uncovered_share": share.value,
           "uncovered_lo": share.lo, "uncovered_hi": share.hi, "reference_share": cal.reference.value}
    row |= {f"drift_{d.attribute}": (np.nan if d.flag_value is None else d.flag_value) for d in drift}
    labels = None
    if predictions is not None:
        predicted, confidence = align_predictions(table["path"], incoming["path"].reset_index(drop=True), predictions)
        truth = incoming["label"].reset_index(drop=True) if "label" in incoming else pd.Series([""] * len(table))
        labels = label_summary(table, truth, predicted, confidence)
    if labels is not None:
        row |= {"accuracy": labels["overall"]["accuracy"], "confidence": labels["overall"]["confidence"]}
    found = trends.trend_findings(trends.append_batch(history, row), mp.trend_batches, mp.trend_rise)
    status, checks = verdict.evaluate(share, drift, found, mp)
    row["verdict"] = status
    document = MonitorDocument(
        batch_id=batch_id, time=time, n_images=len(inc), n_training=len(train),
        k=mp.k, threshold=round(cal.threshold, 6), false_alarm=mp.false_alarm,
        uncovered=int(uncovered.sum()), uncovered_share=_share(share), reference_share=_share(cal.reference),
        n_reference=int(cal.reference.n),
        clusters=cluster_entries(table, incoming, training, nearest, params, scattered),
        drift=drift, trends=found, verdict=status, gates=checks,
        **({} if labels is None else {"labels": labels}),
    )
    return BatchResult(table, document, trends.append_batch(history, row))
