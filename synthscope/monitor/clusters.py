"""Group the uncovered images and say in plain words how each group differs from training.

Clusters: average-linkage agglomerative clustering of the uncovered images' L2-normalised
embeddings, cut at ``scale`` x the calibrated uncovered threshold: images join a group when
they are on average about as close to each other as an image must be to the training set to
count as covered (scale 1.2 by default). Groups smaller than ``min_size`` (and any beyond
``max_clusters``) are pooled into one last "scattered" cluster: uncovered images with no
group of look-alikes, which is what false alarms look like. Cluster 0 is the largest group.
Measured on the CIFAR sample (bench/monitor.py): Ward or silhouette-chosen cluster counts
split a held-out class into small groups (silhouettes about 0.05: no count is preferred),
while the threshold cut keeps most of it together.

Descriptions: a cluster's median of each image attribute is placed in the training
distribution; beyond the ``extreme`` quantile on either side it gets a word ("darker",
"blurrier", "smaller objects"). The share of training images it lies beyond is said too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering

# attribute column -> (word when lower than training, word when higher)
WORDS: dict[str, tuple[str, str]] = {
    "value": ("darker", "brighter"),
    "sharpness": ("blurrier", "sharper"),
    "contrast": ("lower in contrast", "higher in contrast"),
    "saturation": ("less colourful", "more colourful"),
    "noise": ("less noisy", "noisier"),
    "entropy": ("plainer", "busier"),
    "fg_area": ("smaller objects", "larger objects"),
    "width": ("narrower images", "wider images"),
    "height": ("shorter images", "taller images"),
}


def cluster_labels(emb: np.ndarray, cut: float, min_size: int, max_clusters: int) -> tuple[np.ndarray, int | None]:
    """(int64 (N,) cluster of each row, 0 = largest; the id of the scattered cluster, or None)."""
    n = len(emb)
    if n == 0:
        return np.zeros(0, dtype=np.int64), None
    raw = np.zeros(n, dtype=np.int64) if n == 1 else AgglomerativeClustering(
        n_clusters=None, distance_threshold=cut, linkage="average").fit_predict(emb)
    counts = np.bincount(raw)
    order = np.argsort(-counts, kind="stable")
    keep = [g for g in order if counts[g] >= min_size][: max(max_clusters - 1, 1)]
    labels = np.full(n, len(keep), dtype=np.int64)
    for new, g in enumerate(keep):
        labels[raw == g] = new
    return labels, (len(keep) if (labels == len(keep)).any() else None)


@dataclass(frozen=True)
class Trait:
    column: str
    word: str
    beyond: float  # share of training images the cluster median lies beyond
    value: float  # the cluster's median
    training: float  # training median


def traits(cluster: pd.DataFrame, training: pd.DataFrame, extreme: float) -> list[Trait]:
    """The attributes in which the cluster's median lies beyond ``extreme`` of training images, most extreme first."""
    out = []
    for col, (low, high) in WORDS.items():
        if col not in cluster.columns or col not in training.columns:
            continue
        ref = training[col].dropna().to_numpy(dtype=np.float64)
        vals = cluster[col].dropna()
        if len(ref) == 0 or len(vals) == 0:
            continue
        m = float(vals.median())
        below, above = float(np.mean(ref < m)), float(np.mean(ref > m))
        if below >= extreme:
            out.append(Trait(col, high, below, m, float(np.median(ref))))
        elif above >= extreme:
            out.append(Trait(col, low, above, m, float(np.median(ref))))
    return sorted(out, key=lambda t: -t.beyond)


def join_words(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def describe(found: list[Trait], n_images: int, nearest_labels: pd.Series | None = None, scattered: bool = False) -> str:
    """'darker, blurrier and smaller objects than any training image; 37 images' (plus the nearest class)."""
    count = f"{n_images} image{'s' if n_images != 1 else ''}"
    if scattered:
        count += " scattered, with no group of look-alikes (what false alarms look like)"
    if found:
        least = min(t.beyond for t in found[:3])
        than = "any training image" if least >= 1.0 else f"{least:.0%} of training images"
        text = f"{join_words([t.word for t in found[:3]])} than {than}; {count}"
    else:
        text = (f"unlike the training images in content, while brightness, sharpness, contrast, colour and "
                f"object size are typical of them; {count}")
    if nearest_labels is not None and nearest_labels.notna().any() and (nearest_labels.astype(str) != "").any():
        counts = nearest_labels.astype(str).value_counts()
        text += f"; nearest training class: {counts.index[0]} ({counts.iloc[0] / len(nearest_labels):.0%})"
    return text
