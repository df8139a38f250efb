"""The features stage's engine: decode, attributes and the network over one shard, rows into the store.

Every argument of :func:`compute_shard` is picklable and it touches no Prefect, so a Dask worker
can map it. Inside a shard each image is decoded once. With no spare core for DataLoader workers
(the usual case: torch takes every core), lanes, one thread per torch thread, each take a whole
batch (decode, model input, the network on one intra-op thread) while one more thread computes
the attributes; with spare cores, DataLoader workers decode and describe while the main process
runs the network on its threads (inference mode, channels-last either way). Rows are flushed to the store every
``features.part_rows`` images, so memory is bounded by that, not by the dataset, and a killed run
loses at most one part. (Apart from ``stages.features`` so that loading the stage's declaration
does not load torch.)
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing

import numpy as np
import torch
from PIL import UnidentifiedImageError
from torch import nn
from torch.utils.data import DataLoader, Dataset

from synthscope.datasets.image import load_rgb
from synthscope.errors import DataError
from synthscope.features.attributes import ATTRIBUTE_COLUMNS, image_attributes
from synthscope.features.extractors import Extractor, extractor_spec
from synthscope.features.shards import ATTRIBUTES_KEY, Shard
from synthscope.logs import progress
from synthscope.store import FeatureStore


class ImageRows(Dataset):
    """Item i -> (i, model input or empty tensor, attributes (A,) float64, dhash int)."""

    def __init__(self, paths: tuple[str, ...], spec_name: str | None) -> None:
        self.paths = paths
        self.spec_name = spec_name

    def __len__(self) -> int:
        return len(self.paths)

    def decode(self, i: int) -> np.ndarray:
        """Image ``i`` as (H, W, 3) uint8, or a ``DataError`` naming the file and the fix."""
        path = self.paths[i]
        try:
            return load_rgb(path)
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            raise DataError(f"{path}: cannot read image ({exc}); re-run the ingest stage") from exc

    def model_input(self, rgb: np.ndarray) -> torch.Tensor:
        """The extractor's input for a decoded image (empty without an extractor)."""
        if self.spec_name is None:
            return torch.empty(0)
        image = torch.from_numpy(np.array(rgb, copy=True)).permute(2, 0, 1)  # load_rgb's array is read-only
        return extractor_spec(self.spec_name).preprocess(image)

    def __getitem__(self, i: int) -> tuple[int, torch.Tensor, torch.Tensor, int]:
        rgb = self.decode(i)
        vector, dhash = attribute_row(rgb)
        return i, self.model_input(rgb), torch.from_numpy(vector), dhash


def attribute_row(rgb: np.ndarray) -> tuple[np.ndarray, int]:
    """(A,) float64 attributes in ``ATTRIBUTE_COLUMNS`` order and the dhash of one image (numpy
    only, no torch: it runs on a thread beside the network, see :func:`in_process_batches`)."""
    attrs = image_attributes(rgb)
    return np.array([attrs[c] for c in ATTRIBUTE_COLUMNS], dtype=np.float64), int(attrs["dhash"])


def collate(
    items: list[tuple[int, torch.Tensor, torch.Tensor, int]],
) -> tuple[list, list, torch.Tensor, list]:
    """Keep model inputs as a list: the loop copies them into one reused channels-last batch
    (``torch.stack`` plus a channels-last copy allocate ~2x the batch afresh each time)."""
    idx, images, attrs, hashes = zip(*items, strict=True)
    return list(idx), list(images), torch.stack(attrs), list(hashes)


# Decoded images waiting for their attributes hold at most this many bytes (4000 px photos).
PENDING_BYTES = 256 * 2**20
# A computed batch: row indices, features (B, dim) and logits (B, n) or None without a model,
# attributes (B, A) and dhashes.
Rows = tuple[list[int], np.ndarray | None, np.ndarray | None, np.ndarray, list[int]]


def forward(model: nn.Module, batch: torch.Tensor, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` rows' (features, logits) of a full batch.

    Always the full batch shape: oneDNN/BLAS pick kernels by shape (a batch of one takes a
    GEMV path whose logits differ in the last bit), so a row's embedding must not depend on
    how many rows happened to share its batch, or a store row recomputed after a kill would
    differ from the clean run's."""
    feats, logits = model(batch)
    return feats[:n].float().numpy(), logits[:n].float().numpy()


def loader_rows(rows: ImageRows, model: nn.Module | None, batch_size: int, workers: int) -> Iterator[Rows]:
    """Batches decoded, preprocessed and described by ``workers`` DataLoader processes (cores
    the network's threads leave free); the network runs here on all its threads."""
    loader = DataLoader(rows, batch_size=batch_size, num_workers=workers, shuffle=False, collate_fn=collate)
    batch: torch.Tensor | None = None  # reused: fresh 20-30 MB batches page-fault at every batch
    with torch.inference_mode():
        for idx, images, attrs, hashes in loader:
            feats = logits = None
            if model is not None:
                if batch is None:
                    batch = torch.empty((batch_size, *images[0].shape), memory_format=torch.channels_last)
                for j, image in enumerate(images):
                    batch[j].copy_(image)
                batch[len(images) :].zero_()
                with _TORCH_TURN:
                    feats, logits = forward(model, batch, len(images))
            yield idx, feats, logits, attrs.numpy(), hashes


class Lane(threading.local):
    """Each lane's reused channels-last batch (fresh 20-30 MB batches page-fault at every
    batch), its share of ``PENDING_BYTES`` and the intra-op threads its network runs on."""

    batch: torch.Tensor | None = None

    def __init__(self, pending_bytes: int, net_threads: int) -> None:
        self.pending_bytes = pending_bytes
        self.net_threads = net_threads


def lane_batch(
    rows: ImageRows, model: nn.Module | None, idx: list[int], batch_size: int, lane: Lane, describe: ThreadPoolExecutor
) -> Rows:
    """One batch on the calling thread: decode each image and make its model input (on one
    intra-op thread), hand its attributes to ``describe``'s thread, run the network on
    ``lane.net_threads``, then collect the attributes. Decoded images waiting for their
    attributes hold at most ``PENDING_BYTES / lanes`` (4000 px photos)."""
    pending: list[tuple[Future[tuple[np.ndarray, int]], int]] = []
    with torch.inference_mode():  # thread-local in torch: each lane enters it
        for j, i in enumerate(idx):
            rgb = rows.decode(i)
            while sum(n for f, n in pending if not f.done()) + rgb.nbytes > lane.pending_bytes:
                next(f for f, _ in pending if not f.done()).result()
            pending.append((describe.submit(attribute_row, rgb), rgb.nbytes))
            if model is not None:
                image = rows.model_input(rgb)
                if lane.batch is None:
                    lane.batch = torch.empty((batch_size, *image.shape), memory_format=torch.channels_last)
                lane.batch[j].copy_(image)
            del rgb
        feats = logits = None
        if model is not None:
            assert lane.batch is not None
            lane.batch[len(idx) :].zero_()
            torch.set_num_threads(lane.net_threads)  # 1, or all of them in the only lane
            try:
                feats, logits = forward(model, lane.batch, len(idx))
            finally:
                torch.set_num_threads(1)
    described = [f.result() for f, _ in pending]
    return idx, feats, logits, np.stack([v for v, _ in described]), [h for _, h in described]


def lane_rows(rows: ImageRows, model: nn.Module | None, batch_size: int, one_thread_lanes: bool) -> Iterator[Rows]:
    """Batches computed on lanes (threads), with the attributes on one more thread; yielded in order.

    ``one_thread_lanes`` (the extractor's ``lanes``): as many lanes as torch has intra-op
    threads, each running the network on one of them. Why: on two cores MobileNetV2 on two
    OpenMP threads ran at 0.72-0.83 of its bare rate once the attributes (pure numpy, ~3 ms an
    image at 64 px) ran beside it: a thread that preempts one OpenMP thread stalls the other
    at the next barrier. Lanes of one thread each never wait for each other: the bare network
    alone runs about 1.1x faster that way, and the attributes take what CPU they need from
    either lane (docs/performance.md). Otherwise one lane runs the network on every thread
    (Inception: its large convolutions share the caches badly between lanes). Model inputs
    are made on one intra-op thread either way: split over two threads on a busy two-core
    machine each small op waits for a preempted helper thread, 4-40 ms an image against 0.8.
    torch's thread count is per process, so ``_TORCH_TURN`` keeps other shards of this
    process out meanwhile; the ops are the same on any thread count, and so are the values."""
    starts = range(0, len(rows), batch_size)
    with _TORCH_TURN:
        threads = torch.get_num_threads()
        lanes = threads if one_thread_lanes and model is not None else 1
        lane = Lane(PENDING_BYTES // lanes, 1 if lanes > 1 else threads)
        torch.set_num_threads(1)
        pool = ThreadPoolExecutor(lanes, thread_name_prefix="synthscope-lane")
        describe = ThreadPoolExecutor(1, thread_name_prefix="synthscope-attributes")
        try:
            pending: deque[Future[Rows]] = deque()
            for start in starts:
                idx = list(range(start, min(start + batch_size, len(rows))))
                pending.append(pool.submit(lane_batch, rows, model, idx, batch_size, lane, describe))
                if len(pending) > lanes:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            describe.shutdown(wait=True, cancel_futures=True)
            torch.set_num_threads(threads)


# torch's intra-op thread count is per process: shards mapped on threads of one process take
# turns (see ``lane_rows``).
_TORCH_TURN = threading.Lock()


@functools.lru_cache(maxsize=1)
def load_model(extractor: Extractor) -> nn.Module:
    """The extractor's network with weights, kept for the next shard in this process.

    Building and loading Inception takes about a second, as long as 20 forward passes
    here; a Dask worker mapping many shards pays it once. (Also a seam: tests count calls.)
    """
    return extractor.model()


def spare_workers(requested: int) -> int:
    """DataLoader workers to use: at most ``requested``, and only on cores the network's
    intra-op threads leave free. On a 2-core machine running torch on 2 threads, workers
    preempt the forward pass and cost 10-35% (``bench/features.py --workers 2`` vs 0), while
    decoding in the main process costs ~8%; with spare cores they overlap for free."""
    if multiprocessing.current_process().daemon:
        return 0  # a Dask worker process is daemonic and may not have children: decode in-process
    spare = (os.cpu_count() or 1) - torch.get_num_threads()
    return max(0, min(requested, spare))


def compute_shard(
    shard: Shard, extractor: Extractor, store_dir: str, batch_size: int, workers: int, part_rows: int
) -> dict[str, int]:
    """Compute one shard's missing rows into the store; return counts of rows written.

    Holds the store's lock on the keys it writes and asks again what is missing once it has
    it: another audit sharing the store may have computed some of these rows meanwhile, and
    each row is computed once.
    """
    store = FeatureStore(store_dir)
    keys = (extractor.key, ATTRIBUTES_KEY) if shard.embed else (ATTRIBUTES_KEY,)
    with store.lock(*keys):
        todo = _still_missing(shard, store, extractor.key)
        if not todo.image_ids:
            return {"embeddings": 0, "attributes": 0}
        return _compute_rows(todo, extractor, store, batch_size, workers, part_rows)


def _still_missing(shard: Shard, store: FeatureStore, key: str) -> Shard:
    """The part of ``shard`` whose rows are still missing (``embed`` only if some embeddings are)."""
    need_embed = set(store.missing(shard.image_ids, key)) if shard.embed else set()
    need = need_embed | set(store.missing(shard.image_ids, ATTRIBUTES_KEY))
    keep = [j for j, i in enumerate(shard.image_ids) if i in need]
    return Shard(shard.index, tuple(shard.image_ids[j] for j in keep), tuple(shard.paths[j] for j in keep),
                 bool(need_embed))


def _compute_rows(
    shard: Shard, extractor: Extractor, store: FeatureStore, batch_size: int, workers: int, part_rows: int
) -> dict[str, int]:
    """Decode, embed and write ``shard``'s rows, a part every ``part_rows`` images (the lock is held)."""
    attr_missing = set(store.missing(shard.image_ids, ATTRIBUTES_KEY))
    embed_missing = set(store.missing(shard.image_ids, extractor.key)) if shard.embed else set()
    rows = ImageRows(shard.paths, extractor.spec_name if shard.embed else None)
    model = load_model(extractor) if shard.embed else None
    buf: dict[str, list] = {"idx": [], "feat": [], "logit": [], "attr": [], "dhash": []}
    counts = {"embeddings": 0, "attributes": 0}

    def flush() -> None:
        if not buf["idx"]:
            return
        ids = [shard.image_ids[i] for i in buf["idx"]]
        emb = [j for j, i in enumerate(ids) if i in embed_missing]
        if model is not None and emb:
            store.write(
                extractor.key,
                [ids[j] for j in emb],
                {"features": np.concatenate(buf["feat"])[emb], "logits": np.concatenate(buf["logit"])[emb]},
            )
            counts["embeddings"] += len(emb)
        keep = [j for j, i in enumerate(ids) if i in attr_missing]
        if keep:
            attrs = np.concatenate(buf["attr"])[keep]
            cols = {c: attrs[:, k] for k, c in enumerate(ATTRIBUTE_COLUMNS)}
            cols["dhash"] = np.asarray(buf["dhash"], dtype=np.int64)[keep]
            store.write(ATTRIBUTES_KEY, [ids[j] for j in keep], cols)
            counts["attributes"] += len(keep)
        for values in buf.values():
            values.clear()

    if workers > 0:
        batches = loader_rows(rows, model, batch_size, workers)
    else:
        batches = lane_rows(rows, model, batch_size, extractor.spec.lanes)
    with closing(batches):  # a failed flush stops the lanes and gives torch its threads back
        for idx, feats, logits, attrs, hashes in progress(
            batches, f"features shard {shard.index}", total=-(-len(rows) // batch_size)
        ):
            if feats is not None:
                buf["feat"].append(feats)
                buf["logit"].append(logits)
            buf["idx"].extend(idx)
            buf["attr"].append(attrs)
            buf["dhash"].extend(hashes)
            if len(buf["idx"]) >= part_rows:
                flush()
    flush()
    return counts
