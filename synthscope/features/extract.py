"""The features stage's engine: decode, attributes and the network over one shard, rows into the store.

Every argument of :func:`compute_shard` is picklable and it touches no Prefect, so a Dask worker
can map it. Inside a shard a DataLoader's workers decode each image once, compute its attributes
and its model input while the main process runs the network (inference mode, channels-last);
without a spare core for workers the main process decodes and prepares model inputs and a thread
computes the attributes beside the network; rows are flushed to the store every
``features.part_rows`` images, so memory is bounded by that, not by the dataset, and a killed run
loses at most one part. (Apart from ``stages.features`` so that loading the stage's declaration
does not load torch.)
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

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


# A batch as the loop takes it: row indices, model inputs, and a call that gives the batch's
# (B, A) attributes and dhashes (waiting for them if they are still being computed).
Batch = tuple[list[int], list[torch.Tensor], Callable[[], tuple[np.ndarray, list[int]]]]
# Decoded images waiting for their attributes hold at most this many bytes (4000 px photos).
PENDING_BYTES = 256 * 2**20


def loader_batches(rows: ImageRows, batch_size: int, workers: int) -> Iterator[Batch]:
    """Batches prepared whole (attributes included) by ``workers`` DataLoader processes."""
    loader = DataLoader(rows, batch_size=batch_size, num_workers=workers, shuffle=False, collate_fn=collate)
    for idx, images, attrs, hashes in loader:
        yield idx, images, lambda attrs=attrs, hashes=hashes: (attrs.numpy(), hashes)


def in_process_batches(rows: ImageRows, batch_size: int, pool: ThreadPoolExecutor) -> Iterator[Batch]:
    """Batches decoded and preprocessed here, their attributes computed on ``pool``'s thread.

    Why: with no spare core for DataLoader workers, the attributes (pure numpy, ~3 ms an
    image at 64 px) ran between forward passes. On the thread they run while this thread
    prepares model inputs and while the network runs (torch releases the GIL inside its ops),
    on what CPU the network leaves: 0.80 of the bare forward rate against 0.73 in turn on two
    cores (docs/performance.md). The model inputs stay on this thread, where
    ``one_torch_thread`` holds torch to one intra-op thread (torch's count is per process).
    """
    for start in range(0, len(rows), batch_size):
        idx = list(range(start, min(start + batch_size, len(rows))))
        images: list[torch.Tensor] = []
        pending: list[tuple[Future, int]] = []
        for i in idx:
            rgb = rows.decode(i)
            while sum(n for f, n in pending if not f.done()) + rgb.nbytes > PENDING_BYTES:
                next(f for f, _ in pending if not f.done()).result()
            pending.append((pool.submit(attribute_row, rgb), rgb.nbytes))
            images.append(rows.model_input(rgb))

        def attributes(pending: list[tuple[Future, int]] = pending) -> tuple[np.ndarray, list[int]]:
            done = [f.result() for f, _ in pending]
            return np.stack([v for v, _ in done]), [h for _, h in done]

        yield idx, images, attributes


# torch's intra-op thread count is per process: shards mapped on threads of one process take
# turns between preparing inputs on one thread and running the network on all of them.
_TORCH_TURN = threading.Lock()


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run the block's torch ops on one intra-op thread (and no other shard's network meanwhile).

    Why: preparing inputs is many small tensor ops (resize, normalise, a channels-last copy);
    split over two threads on a busy two-core machine each op waits for a preempted helper
    thread, 4-40 ms per image against 0.8 ms on one (``bench/features.py``). The ops are
    elementwise, so the values are the same on any thread count."""
    with _TORCH_TURN:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)


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

    batch: torch.Tensor | None = None  # reused: fresh 20-30 MB batches page-fault at every batch
    with ExitStack() as stack:
        if workers > 0:
            batches = loader_batches(rows, batch_size, workers)
        else:
            pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="synthscope-attributes"))
            batches = in_process_batches(rows, batch_size, pool)
        items = iter(progress(batches, f"features shard {shard.index}", total=-(-len(rows) // batch_size)))
        stack.enter_context(torch.inference_mode())
        while True:
            with one_torch_thread():  # decoding (without workers) and the batch copy; the network below on all
                item = next(items, None)
                if item is None:
                    break
                idx, images, attributes = item
                if model is not None:
                    if batch is None:
                        batch = torch.empty((batch_size, *images[0].shape), memory_format=torch.channels_last)
                    for j, image in enumerate(images):
                        batch[j].copy_(image)
                    batch[len(images) :].zero_()
            if model is not None:
                assert batch is not None
                # Always the full batch shape: oneDNN/BLAS pick kernels by shape (a batch of one
                # takes a GEMV path whose logits differ in the last bit), so a row's embedding
                # must not depend on how many rows happened to share its batch, or a store row
                # recomputed after a kill would differ from the clean run's.
                with _TORCH_TURN:
                    feats, logits = model(batch)
                buf["feat"].append(feats[: len(images)].float().numpy())
                buf["logit"].append(logits[: len(images)].float().numpy())
            attrs, hashes = attributes()
            buf["idx"].extend(idx)
            buf["attr"].append(attrs)
            buf["dhash"].extend(hashes)
            if len(buf["idx"]) >= part_rows:
                flush()
    flush()
    return counts
