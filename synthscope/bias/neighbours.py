"""Nearest-neighbour searches for near-duplicates and memorisation, in blocks.

Two spaces: 64-bit difference hashes (Hamming distance, ``np.bitwise_count`` on XOR) and
L2-normalised embeddings (cosine = dot product). Work is done in row blocks so that 10,000
x 10,000 comparisons never hold more than ``block * N`` values at once.
"""

from __future__ import annotations

import numpy as np


def min_hamming(
    query: np.ndarray, base: np.ndarray, exclude_self: bool = False, block: int = 512
) -> np.ndarray:
    """For each query hash, the smallest Hamming distance to any base hash.

    ``query`` (Nq,) and ``base`` (Nb,) int64/uint64 hashes. With ``exclude_self`` (query is
    base) an image is not its own neighbour. Returns int64 (Nq,); 64 when ``base`` is empty.
    """
    q = np.asarray(query).astype(np.uint64)
    b = np.asarray(base).astype(np.uint64)
    out = np.full(len(q), 64, dtype=np.int64)
    if len(b) == 0:
        return out
    for start in range(0, len(q), block):
        dist = np.bitwise_count(q[start : start + block, None] ^ b[None, :]).astype(np.int64)
        if exclude_self:
            rows = np.arange(dist.shape[0])
            dist[rows, start + rows] = 65
        out[start : start + block] = dist.min(axis=1)
    return np.minimum(out, 64)


def max_cosine(
    query: np.ndarray, base: np.ndarray, exclude_self: bool = False, block: int = 1024
) -> np.ndarray:
    """For each L2-normalised query row (Nq, D), the largest cosine to a base row (Nb, D).

    Returns float32 (Nq,); -1 when ``base`` is empty.
    """
    out = np.full(len(query), -1.0, dtype=np.float32)
    if len(base) == 0:
        return out
    for start in range(0, len(query), block):
        sim = query[start : start + block] @ base.T
        if exclude_self:
            rows = np.arange(sim.shape[0])
            sim[rows, start + rows] = -2.0
        out[start : start + block] = sim.max(axis=1)
    return out


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, float32 (N, D); zero rows stay zero."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)


def knn_radii(x: np.ndarray, k: int, block: int = 1024) -> np.ndarray:
    """Euclidean distance of each row of ``x`` (N, D) to its k-th nearest other row, float64 (N,)."""
    x = np.asarray(x, dtype=np.float64)
    sq = (x**2).sum(axis=1)
    out = np.empty(len(x))
    kth = min(k, len(x) - 1)
    for start in range(0, len(x), block):
        d2 = sq[start : start + block, None] + sq[None, :] - 2.0 * x[start : start + block] @ x.T
        d2 = np.maximum(d2, 0.0)
        # column 0 after sorting is the point itself (distance 0)
        out[start : start + block] = np.sqrt(np.partition(d2, kth, axis=1)[:, kth])
    return out


def coverage(real: np.ndarray, fake: np.ndarray, k: int) -> float:
    """Coverage (Naeem et al. 2020): share of real rows whose k-NN ball holds a fake row.

    ``real`` (Nr, D), ``fake`` (Nf, D) float. Same definition as ``prdc.compute_prdc``.
    """
    if len(real) <= k or len(fake) == 0:
        return float("nan")
    radii = knn_radii(real, k)
    r = np.asarray(real, dtype=np.float64)
    f = np.asarray(fake, dtype=np.float64)
    d2 = (r**2).sum(1)[:, None] + (f**2).sum(1)[None, :] - 2.0 * r @ f.T
    nearest = np.sqrt(np.maximum(d2, 0.0).min(axis=1))
    return float(np.mean(nearest < radii))
