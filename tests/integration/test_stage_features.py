"""Features stage end to end on a hand-made manifest, with the official MobileNetV2 weights.

Checks outputs and contracts, the cache (no model call for stored rows), resuming after an
interrupted run, sharing rows between audits, and memory bounded by the part size.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from synthscope.config import AuditConfig
from synthscope.errors import DataError, StageInputError
from synthscope.features import extract
from synthscope.features.attributes import ATTRIBUTE_COLUMNS
from synthscope.features.extractors import resolve_extractor
from synthscope.features.load import load_embeddings
from synthscope.io import read_json
from synthscope.params import FeaturesParams, Params
from synthscope.paths import OutputPaths
from synthscope.schema import ATTRIBUTE_KEYS, MANIFEST_COLUMNS
from synthscope.stages import features as stage
from synthscope.store import FeatureStore
from tests import stage_child
from tests.shapes import write_shapes


def write_manifest(out: Path, files: dict[str, list[Path]], quarantine: int = 0) -> pd.DataFrame:
    """A manifest.parquet as ingest writes it: role -> files; the first ``quarantine`` synthetic rows bad."""
    rows = []
    for role, paths in files.items():
        for i, path in enumerate(paths):
            root = path.parent.parent
            bad = role == "synthetic" and i < quarantine
            rows.append(
                {
                    "image_id": hashlib.sha256(path.read_bytes()).hexdigest(),
                    "role": role,
                    "label": path.parent.name,
                    "path": path.relative_to(root).as_posix(),
                    "width": 64,
                    "height": 64,
                    "mode": "RGB",
                    "status": "quarantined" if bad else "ok",
                    "reason": "corrupt" if bad else "",
                    "root": str(root),
                    "format": "PNG",
                    "bytes": path.stat().st_size,
                    "duplicate_of": "",
                }
            )
    frame = pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))
    out.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(out / "manifest.parquet", index=False)
    return frame


def make_config(tmp_path: Path, out: str, **features) -> AuditConfig:
    params = Params(features=FeaturesParams(extractor="mobilenet-v2", download=False, **features))
    return AuditConfig(
        name=out,
        synthetic=tmp_path / "syn",
        real=None,
        output_dir=tmp_path / out,
        store_dir=tmp_path / "store",
        params=params,
    )


class CountingModel(torch.nn.Module):
    """Wraps the real network; counts batches run and can stop after ``fail_after`` batches."""

    def __init__(self, inner: torch.nn.Module, fail_after: int | None = None) -> None:
        super().__init__()
        self.inner, self.fail_after, self.calls = inner, fail_after, 0

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt  # what a Ctrl-C or a killed worker looks like mid-run
        self.calls += 1
        return self.inner(x)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch):
    seen: list[CountingModel] = []
    real_load = extract.load_model

    def load(extractor, fail_after=None):
        seen.append(CountingModel(real_load(extractor), fail_after))
        return seen[-1]

    monkeypatch.setattr(extract, "load_model", load)
    monkeypatch.delenv("SYNTHSCOPE_MOBILENET_WEIGHTS", raising=False)
    return seen


def test_outputs_cache_hit_and_shared_rows(tmp_path: Path, counting: list[CountingModel]) -> None:
    syn = write_shapes(tmp_path / "syn", 9, seed=0)
    real = write_shapes(tmp_path / "real", 4, seed=1) + [syn[1]]  # one ok image in both roles
    manifest = write_manifest(tmp_path / "a", {"synthetic": syn, "real": real}, quarantine=1)
    config = make_config(tmp_path, "a", batch_size=4, workers=2, part_rows=4)

    written = stage.run(config)
    paths = OutputPaths(config.output_dir)
    assert written == [paths.attributes, paths.features_summary]
    ok = manifest[manifest["status"] == "ok"].reset_index(drop=True)
    attrs = pd.read_parquet(paths.attributes)
    assert list(attrs.columns) == [*ATTRIBUTE_KEYS, *ATTRIBUTE_COLUMNS, "dhash"]
    assert attrs["image_id"].tolist() == ok["image_id"].tolist() and attrs["dhash"].dtype == np.int64
    summary = read_json(paths.features_summary)
    unique = ok["image_id"].nunique()  # 12 = 8 ok synthetic + 4 real; the shared image counted once
    assert (summary["images"], summary["unique_images"]) == (13, 12)
    assert summary["embeddings"] == {"computed": 12, "cached": 0} and counting[0].calls == unique // 4
    assert summary["extractor"]["weights"] == "official" and summary["extractor"]["name"] == "mobilenet-v2"

    emb = load_embeddings(paths, config.store_dir)
    assert emb.features.shape == (13, 1280) and emb.logits.shape == (13, 1000)
    assert emb.features.dtype == np.float32 and list(emb.index.columns) == [
        "image_id",
        "role",
        "label",
        "path",
        "root",
    ]
    shared = emb.index.index[emb.index["image_id"] == ok["image_id"][0]]
    np.testing.assert_array_equal(emb.features[shared[0]], emb.features[shared[1]])

    # Re-run: every row is cached, so no model is even loaded.
    counting.clear()
    stage.run(config)
    assert counting == [] and read_json(paths.features_summary)["embeddings"] == {"computed": 0, "cached": 12}

    # A second audit sharing 5 of its images computes only its 3 new ones.
    new = write_shapes(tmp_path / "new", 3, seed=7)
    write_manifest(tmp_path / "b", {"synthetic": syn[1:6] + new})
    stage.run(make_config(tmp_path, "b", batch_size=4, workers=0, part_rows=4))
    assert counting[0].calls == 1
    assert read_json(OutputPaths(tmp_path / "b").features_summary)["embeddings"] == {
        "computed": 3,
        "cached": 5,
    }


def test_resume_after_interrupted_run(
    tmp_path: Path, counting: list[CountingModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = write_shapes(tmp_path / "syn", 10, seed=2)
    write_manifest(tmp_path / "a", {"synthetic": files})
    config = make_config(tmp_path, "a", batch_size=3, workers=0, part_rows=3)
    real_load = extract.load_model
    monkeypatch.setattr(extract, "load_model", lambda ex: real_load(ex, fail_after=2))
    with pytest.raises(KeyboardInterrupt):
        stage.run(config)
    assert not OutputPaths(config.output_dir).features_summary.exists()
    monkeypatch.setattr(extract, "load_model", real_load)
    stage.run(config)
    summary = read_json(OutputPaths(config.output_dir).features_summary)
    assert summary["embeddings"] == {"computed": 4, "cached": 6}  # 2 batches of 3 were kept
    assert counting[-1].calls == 2  # 4 images in batches of 3
    assert FeatureStore(config.store_dir).has(summary["extractor"]["key"]) == 10


def test_a_row_does_not_depend_on_the_rows_batched_with_it(tmp_path: Path) -> None:
    """A row recomputed on its own (after a kill, or by an audit sharing the store) must be
    bit-identical to the one computed in a full batch: the store never mixes two versions."""
    files = write_shapes(tmp_path / "syn", 5, seed=4)
    write_manifest(tmp_path / "a", {"synthetic": files})
    together = make_config(tmp_path, "a", batch_size=4, workers=0, part_rows=4)
    stage.run(together)
    alone = [make_config(tmp_path, f"b{i}", batch_size=4, workers=0, part_rows=4) for i in range(len(files))]
    for i, config in enumerate(alone):
        write_manifest(config.output_dir, {"synthetic": files[i : i + 1]})
        stage.run(dataclasses.replace(config, store_dir=tmp_path / "store-alone"))
    a = load_embeddings(OutputPaths(together.output_dir), together.store_dir)
    for i, config in enumerate(alone):
        b = load_embeddings(OutputPaths(config.output_dir), tmp_path / "store-alone")
        assert a.features[i].tobytes() == b.features[0].tobytes(), f"image {i}: features"
        assert a.logits[i].tobytes() == b.logits[0].tobytes(), f"image {i}: logits"


def test_lane_rows_do_not_depend_on_the_core_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MobileNetV2 runs in lanes: one copy per torch thread, each on one intra-op thread. So a
    row is the same bytes whatever the machine's core count (two lanes here against one), and
    a store filled on one machine never mixes rounding variants with rows added on another.
    One copy on two threads rounds differently in the last bits (oneDNN splits its work by
    thread count): close to float32 rounding, not equal. Attributes are the same bytes."""
    from synthscope.features import extractors

    files = write_shapes(tmp_path / "syn", 9, seed=7)
    extractor = resolve_extractor("mobilenet-v2", allow_download=False)
    assert extractor.spec.lanes
    ids = list(hashlib.sha256(f.read_bytes()).hexdigest() for f in files)
    shard = stage.Shard(0, tuple(ids), tuple(map(str, files)), True)
    threads = torch.get_num_threads()
    try:
        for name, n in (("two-lanes", 2), ("one-lane", 1)):
            torch.set_num_threads(n)
            extract.compute_shard(shard, extractor, str(tmp_path / name), 4, 0, 4)
        spec = extractors.extractor_spec("mobilenet-v2")
        monkeypatch.setattr(extractors, "extractor_spec", lambda name: dataclasses.replace(spec, lanes=False))
        assert not extractor.spec.lanes
        torch.set_num_threads(2)
        extract.compute_shard(shard, extractor, str(tmp_path / "two-threads"), 4, 0, 4)
    finally:
        torch.set_num_threads(threads)
    rows = {name: {key: FeatureStore(tmp_path / name).read(ids, key) for key in (extractor.key, extract.ATTRIBUTES_KEY)}
            for name in ("two-lanes", "one-lane", "two-threads")}
    for key, columns in rows["two-lanes"].items():
        for column, values in columns.items():
            assert values.tobytes() == rows["one-lane"][key][column].tobytes(), (key, column)
            other = rows["two-threads"][key][column]
            if key == extract.ATTRIBUTES_KEY:
                assert values.tobytes() == other.tobytes(), column
            else:
                np.testing.assert_allclose(values, other, rtol=0, atol=1e-5 * np.abs(values).max())


class NumpyBackedNet(torch.nn.Module):
    """Stands in for the network in the memory test: its outputs live in numpy-allocated
    memory, which tracemalloc traces (torch's own allocations are invisible to it)."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = np.repeat(x.mean(dim=(2, 3)).numpy(), 427, axis=1)[:, :1280].astype(np.float32)
        return torch.from_numpy(feats), torch.from_numpy(np.ascontiguousarray(feats[:, :1000]))


def _loop_peaks(root: str) -> tuple[int, int, int]:
    """Peak traced memory of the extraction loop for (12 images, 3-row parts), (48, 3), (48, 48).

    Runs in a fork-server child (``tests.stage_child``), so it measures the same thing whatever
    ran before it: in the whole suite the pytest process had been warmed and carried threads
    left by earlier tests (Prefect's), which tracemalloc also traces; one full run measured
    746 kB vs 978 kB (1.31x) and failed, while the file alone measures 1.19 MB vs 0.79 MB.
    """
    tmp_path = Path(root)
    files = write_shapes(tmp_path / "syn", 48, seed=4)
    extractor = resolve_extractor("mobilenet-v2", allow_download=False)

    def load(_extractor):
        tracemalloc.reset_peak()  # measure the loop, not building the model
        return NumpyBackedNet()

    extract.load_model = load  # this child's own module

    def peak(n: int, part_rows: int, store: str) -> int:
        ids = tuple(hashlib.sha256(f.read_bytes()).hexdigest() for f in files[:n])
        shard = stage.Shard(0, ids, tuple(map(str, files[:n])), True)
        tracemalloc.start()
        extract.compute_shard(shard, extractor, str(tmp_path / store), 3, 0, part_rows)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    return peak(12, 3, "s1"), peak(48, 3, "s2"), peak(48, 48, "s3")


def test_memory_is_bounded_by_part_rows_not_dataset_size(tmp_path: Path) -> None:
    """With 3-row parts, 48 images peak like 12 do. The same 48 images held in one part
    (part_rows=48) do grow it, by at least half the 45 more rows of features and logits held
    (1280 + 1000 float32 each), so the probe can fail. (A difference, not a ratio: the loop's
    fixed share, its lanes and threads, moves the ratio without moving what a row costs.)"""
    with stage_child.context().Pool(1) as pool:
        small, large, unbounded = pool.apply(_loop_peaks, (str(tmp_path),))
    assert large < 1.3 * small, (small, large)
    assert unbounded - large > 0.5 * 45 * (1280 + 1000) * 4, (large, unbounded)


def test_missing_manifest_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(StageInputError, match="synthscope stage ingest"):
        stage.run(make_config(tmp_path, "none"))


def test_attribute_only_shards_do_not_load_the_model(
    tmp_path: Path, counting: list[CountingModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new attributes version recomputes attributes from pixels but reuses embeddings."""
    files = write_shapes(tmp_path / "syn", 4, seed=5)
    write_manifest(tmp_path / "a", {"synthetic": files})
    config = make_config(tmp_path, "a", batch_size=4, workers=0)
    stage.run(config)
    from synthscope.features import shards

    for module in (stage, shards, extract):  # the planner, the loop and the stage's finalize read it
        monkeypatch.setattr(module, "ATTRIBUTES_KEY", "attributes-vtest")
    counting.clear()
    stage.run(config)
    summary = read_json(OutputPaths(config.output_dir).features_summary)
    assert (
        counting == [] and summary["attributes"]["computed"] == 4 and summary["embeddings"]["computed"] == 0
    )


def test_file_changed_since_ingest_and_missing_features_name_the_fix(tmp_path: Path) -> None:
    files = write_shapes(tmp_path / "syn", 2, seed=6)
    write_manifest(tmp_path / "a", {"synthetic": files})
    files[1].write_bytes(b"not a png any more")
    with pytest.raises(DataError, match="re-run the ingest stage"):
        stage.run(make_config(tmp_path, "a", workers=0))
    with pytest.raises(StageInputError, match="synthscope stage features"):
        load_embeddings(OutputPaths(tmp_path / "a"), tmp_path / "store")
