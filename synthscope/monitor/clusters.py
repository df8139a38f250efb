"""Group the uncovered images and say in plain words how each group differs from training.

Clusters: Ward agglomerative clustering of the uncovered images' L2-normalised embeddings
(deterministic, no seed), the number of clusters chosen by the best silhouette between 2 and
``max_clusters`` (one cluster when the best silhouette is under ``MIN_SILHOUETTE``, i.e. no
structure worth splitting). Cluster 0 is the largest.

Descriptions: a cluster's median of each image attribute is placed in the training
distribution; beyond the ``extreme`` quantile on either side it gets a word ("darker",
"blurrier", "smaller objects"). The share of training images it lies beyond is said too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import silhouette_score

MIN_SILHOUETTE = 0.05

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


def cluster_labels(emb: np.ndarray, max_clusters: int, min_size: int) -> np.ndarray:
    """int64 (N,) cluster of each row, 0 = largest; all 0 when too few rows or no structure."""
    n = len(emb)
    labels = np.zeros(n, dtype=np.int64)
    top = min(max_clusters, n // max(min_size, 1))
    if top < 2 or n < 3:
        return labels
    best, best_score = labels, MIN_SILHOUETTE
    for c in range(2, top + 1):
        cand = AgglomerativeClustering(n_clusters=c, linkage="ward").fit_predict(emb)
        if np.bincount(cand).min() < min_size:
            continue
        s = float(silhouette_score(emb, cand))
        if s > best_score:
            best, best_score = cand, s
    order = np.argsort(-np.bincount(best), kind="stable")
    return np.argsort(order)[best].astype(np.int64)


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


def describe(found: list[Trait], n_images: int, nearest_labels: pd.Series | None = None) -> str:
    """'darker, blurrier and smaller objects than any training image; 37 images' (plus the nearest class)."""
    count = f"{n_images} image{'s' if n_images != 1 else ''}"
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
