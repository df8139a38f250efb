"""Exact nearest-neighbour search in row blocks: the one module every neighbour question goes through.

Used by precision/recall/density/coverage (``metrics/prdc.py``), the realism score
(``debias/select.py``), diversity (``bias/diversity.py``) and near-duplicates / memorisation
(``bias/duplicates.py``, ``debias/select.py``). Nothing here builds an N x N matrix: queries are
processed ``block`` rows at a time against the whole base set, so memory is O(block x N) and
``block`` is chosen from a byte budget (``BLOCK_BYTES``).

Euclidean distances are computed in float64 as ``(-2 q.b + |q|^2) + |b|^2``, in that order,
clamped at 0 and square-rooted: the formula and the order of scikit-learn's
``euclidean_distances`` (what the ``prdc`` package calls), so on float64 inputs the same pairs
compare the same way and results are identical to ``prdc`` (float32 inputs are upcast; prdc
then rounds its distances to float32, we do not). Within a set a row's distance to itself is
exactly 0, as in scikit-learn. float64 is 2x slower than float32 on this CPU (bench/scale.py
prints both bounds) but float32's cancellation error in ``|q|^2 + |b|^2 - 2 q.b`` reaches 1e-4
relative on uncentred 2048-d features, which moves points across k-NN radii.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from synthscope.logs import progress

BLOCK_BYTES = 256 * 2**20  # one float64 distance block; peak is about 3x this (block, bool mask, matmul)
PROGRESS_MIN_ROWS = 20_000  # below this a search takes under a second: no bar


def block_rows(n_base: int, itemsize: int = 8, budget: int = BLOCK_BYTES) -> int:
    """Query rows per block so that a (rows, n_base) array of ``itemsize`` bytes fits ``budget``."""
    return int(max(16, min(8192, budget // max(1, n_base * itemsize))))


def as_float64(x: np.ndarray, what: str = "features") -> np.ndarray:
    """(N, D) float64 C-contiguous copy-if-needed; raises on NaN/inf or a wrong rank."""
    arr = np.ascontiguousarray(np.asarray(x, dtype=np.float64))
    if arr.ndim != 2:
        raise ValueError(f"{what}: expected an (N, D) array, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{what}: contains NaN or infinite values")
    return arr


def _blocks(n: int, rows: int, desc: str) -> Iterator[slice]:
    starts = range(0, n, rows)
    if n >= PROGRESS_MIN_ROWS:
        starts = progress(starts, desc, total=len(starts))
    for start in starts:
        yield slice(start, min(n, start + rows))


def squared_distance_blocks(
    query: np.ndarray, base: np.ndarray, same: bool = False, desc: str = "neighbour blocks"
) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield (query slice, float64 (rows, Nb) squared Euclidean distances).

    ``query`` (Nq, D) and ``base`` (Nb, D) float64 (see :func:`as_float64`). Values are *not*
    clamped at 0 (rounding can leave -1e-13 for equal rows): clamping costs a pass over the
    block and no comparison against a positive threshold needs it, so consumers clamp the few
    values they keep. ``same``: query is base, and each row's distance to itself is exactly 0.
    The block is reused between iterations: copy what you keep.
    """
    # (-2q).b equals -2 (q.b) bit for bit (scaling by 2 is exact), saving a pass over the block.
    neg2q = -2.0 * query
    q_sq = np.einsum("ij,ij->i", query, query)
    b_sq = np.einsum("ij,ij->i", base, base)
    rows = block_rows(len(base))
    buf = np.empty((min(rows, len(query)), len(base)))
    for sl in _blocks(len(query), rows, desc):
        d2 = buf[: sl.stop - sl.start]
        np.matmul(neg2q[sl], base.T, out=d2)
        d2 += q_sq[sl, None]
        d2 += b_sq[None, :]
        if same:
            d2[np.arange(len(d2)), np.arange(sl.start, sl.stop)] = 0.0
        yield sl, d2


def distance_blocks(
    query: np.ndarray, base: np.ndarray, same: bool = False, desc: str = "neighbour blocks"
) -> Iterator[tuple[slice, np.ndarray]]:
    """As :func:`squared_distance_blocks`, clamped at 0 and square-rooted: float64 (rows, Nb) distances."""
    for sl, d2 in squared_distance_blocks(query, base, same, desc):
        yield sl, np.sqrt(np.maximum(d2, 0.0, out=d2), out=d2)


def knn(query: np.ndarray, base: np.ndarray, n: int, same: bool = False, desc: str = "k-NN") -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` nearest base rows of each query row, nearest first.

    Returns (float64 (Nq, n) squared distances, int64 (Nq, n) base indices). With ``same``
    (query is base) a row is never its own neighbour, even when it has exact duplicates, and
    column ``k - 1`` is exactly what ``prdc.get_kth_value(distances, k + 1)`` selects (prdc
    counts the row itself, at distance 0, as the first of its k + 1).
    """
    import torch  # here, not at the top: a stage process that never searches neighbours does not load it

    extra = int(same)
    if len(base) < n + extra:
        raise ValueError(f"need at least {n + extra} base rows for {n} neighbours, got {len(base)}")
    sq = np.empty((len(query), n))
    idx = np.empty((len(query), n), dtype=np.int64)
    for sl, d2 in squared_distance_blocks(query, base, desc=desc):
        if same:  # -1 sorts the row itself first (a duplicate at 0 could otherwise take its place)
            d2[np.arange(len(d2)), np.arange(sl.start, sl.stop)] = -1.0
        # torch.topk on a zero-copy view is about 2x faster than np.partition here.
        top = torch.topk(torch.from_numpy(d2), n + extra, dim=1, largest=False, sorted=True)
        sq[sl] = np.maximum(top.values[:, extra:].numpy(), 0.0)  # clamp: max commutes with order
        idx[sl] = top.indices[:, extra:].numpy()
    return sq, idx


def knn_radii(x: np.ndarray, k: int) -> np.ndarray:
    """Euclidean distance of each row of ``x`` (N, D) to its k-th nearest other row, float64 (N,).

    Needs N > k. Duplicated rows are each other's neighbours at distance 0 (prdc's convention).
    """
    arr = as_float64(x)
    if len(arr) <= k:
        raise ValueError(f"need more than k={k} samples for k-NN radii, got {len(arr)}")
    sq, _ = knn(arr, arr, k, same=True, desc=f"{k}-NN radii")
    return np.sqrt(sq[:, k - 1])


def strict_sq_threshold(radii: np.ndarray) -> np.ndarray:
    """Per radius r (float64), the smallest float64 t with sqrt(t) >= r, so that for any float64 d2 >= 0:

        sqrt(d2) < r   <=>   d2 < t.

    This lets ``d < r`` tests (prdc's strict ``<`` on square-rooted distances) run on squared
    distances without a square root per pair and without changing a single comparison; r = 0
    gives t = -inf (nothing is strictly inside a ball of radius 0).
    """
    r = np.asarray(radii, dtype=np.float64)
    t = r * r
    for _ in range(4):  # r*r is within an ulp or two of the boundary
        up = np.sqrt(t) < r
        t = np.where(up, np.nextafter(t, np.inf), t)
    for _ in range(4):
        below = np.nextafter(t, -np.inf)
        down = (below >= 0) & (np.sqrt(np.maximum(below, 0.0)) >= r)
        t = np.where(down, below, t)
    return np.where(r > 0, t, -np.inf)


def nearest(query: np.ndarray, base: np.ndarray, same: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Nearest base row of each query row -> (float64 distances (Nq,), int64 indices (Nq,)).

    ``same``: query is base and a row is not its own neighbour.
    """
    q, b = as_float64(query, "query"), as_float64(base, "base")
    if len(b) - int(same) < 1:
        raise ValueError("nearest: the base set has no candidate rows")
    dist = np.empty(len(q))
    idx = np.empty(len(q), dtype=np.int64)
    for sl, d2 in squared_distance_blocks(q, b, same=False, desc="nearest neighbours"):
        if same:
            d2[np.arange(len(d2)), np.arange(sl.start, sl.stop)] = np.inf
        idx[sl] = d2.argmin(axis=1)
        dist[sl] = np.sqrt(np.maximum(d2[np.arange(len(d2)), idx[sl]], 0.0))
    return dist, idx


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, float32 (N, D); zero rows stay zero."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)


def max_cosine(query: np.ndarray, base: np.ndarray, exclude_self: bool = False) -> np.ndarray:
    """For each L2-normalised query row (Nq, D), the largest cosine to a base row (Nb, D).

    float32 products: a cosine threshold such as 0.98 is far from float32's 1e-7 resolution.
    Returns float32 (Nq,); -1 when ``base`` is empty.
    """
    out = np.full(len(query), -1.0, dtype=np.float32)
    if len(base) == 0:
        return out
    for sl in _blocks(len(query), block_rows(len(base), 4), "cosine neighbours"):
        sim = query[sl] @ base.T
        if exclude_self:
            sim[np.arange(len(sim)), np.arange(sl.start, sl.stop)] = -2.0
        out[sl] = sim.max(axis=1)
    return out


def cosine_pairs(x: np.ndarray, threshold: float) -> np.ndarray:
    """int64 (P, 2) pairs (i, j), i != j, of L2-normalised rows of ``x`` with cosine >= ``threshold``.

    Both orders are listed. Memory: one block plus the pairs found (near-duplicates are rare).
    """
    found = []
    for sl in _blocks(len(x), block_rows(len(x), 4), "cosine pairs"):
        sim = x[sl] @ x.T
        sim[np.arange(len(sim)), np.arange(sl.start, sl.stop)] = -2.0
        i, j = np.nonzero(sim >= threshold)
        found.append(np.stack([i + sl.start, j], axis=1))
    return np.concatenate(found).astype(np.int64) if found else np.empty((0, 2), dtype=np.int64)


def _hamming_block(q: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.bitwise_count(q[:, None] ^ b[None, :]).astype(np.int64)


def min_hamming(query: np.ndarray, base: np.ndarray, exclude_self: bool = False) -> np.ndarray:
    """For each query hash, the smallest Hamming distance to any base hash.

    ``query`` (Nq,) and ``base`` (Nb,) int64/uint64 64-bit hashes. With ``exclude_self`` (query
    is base) an image is not its own neighbour. Returns int64 (Nq,); 64 when ``base`` is empty.
    """
    q = np.asarray(query).astype(np.uint64)
    b = np.asarray(base).astype(np.uint64)
    out = np.full(len(q), 64, dtype=np.int64)
    if len(b) == 0:
        return out
    for sl in _blocks(len(q), block_rows(len(b)), "hash neighbours"):
        dist = _hamming_block(q[sl], b)
        if exclude_self:
            dist[np.arange(len(dist)), np.arange(sl.start, sl.stop)] = 65
        out[sl] = dist.min(axis=1)
    return np.minimum(out, 64)


def hamming_pairs(hashes: np.ndarray, max_bits: int) -> np.ndarray:
    """int64 (P, 2) pairs (i, j), i != j, of 64-bit hashes within ``max_bits`` bits; both orders."""
    h = np.asarray(hashes).astype(np.uint64)
    found = []
    for sl in _blocks(len(h), block_rows(len(h)), "hash pairs"):
        dist = _hamming_block(h[sl], h)
        dist[np.arange(len(dist)), np.arange(sl.start, sl.stop)] = 65
        i, j = np.nonzero(dist <= max_bits)
        found.append(np.stack([i + sl.start, j], axis=1))
    return np.concatenate(found).astype(np.int64) if found else np.empty((0, 2), dtype=np.int64)


def coverage(real: np.ndarray, fake: np.ndarray, k: int) -> float:
    """Coverage (Naeem et al. 2020): share of real rows whose k-NN ball holds a fake row.

    ``real`` (Nr, D), ``fake`` (Nf, D) float. Same definition (strict ``<``) as
    ``prdc.compute_prdc``; NaN when Nr <= k or there are no fake rows.
    """
    if len(real) <= k or len(fake) == 0:
        return float("nan")
    r, f = as_float64(real, "real"), as_float64(fake, "fake")
    t = strict_sq_threshold(knn_radii(r, k))
    nearest_sq = np.empty(len(r))
    for sl, d2 in squared_distance_blocks(r, f, desc="coverage"):
        nearest_sq[sl] = d2.min(axis=1)  # unclamped: a negative value is still < any t > 0
    return float(np.mean(nearest_sq < t))
