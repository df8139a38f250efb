"""FeatureStore: order-preserving reads, incremental missing(), sharing, atomic parts."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from synthscope.errors import DataError
from synthscope.store import FeatureStore


def ids(n: int, start: int = 0) -> list[str]:
    return [f"{i:064x}" for i in range(start, start + n)]


def test_write_then_read_in_requested_order(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path)
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(10, 5)).astype(np.float32)
    area = rng.uniform(size=10)
    store.write("k", ids(6), {"features": feats[:6], "area": area[:6]})
    store.write("k", ids(4, 6), {"features": feats[6:], "area": area[6:]})
    order = [9, 0, 3, 3, 7]
    got = FeatureStore(tmp_path).read([ids(10)[i] for i in order], "k")  # a fresh index from disk
    np.testing.assert_array_equal(got["features"], feats[order])
    assert got["features"].dtype == np.float32 and got["features"].shape == (5, 5)
    np.testing.assert_array_equal(got["area"], area[order])


def test_missing_is_per_key_and_incremental(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path)
    store.write("a", ids(3), {"x": np.arange(3.0)})
    assert store.missing(ids(5), "a") == ids(2, 3)
    assert store.missing(ids(5), "b") == ids(5)
    other = FeatureStore(tmp_path)  # another process writing beside us
    other.write("a", ids(2, 3), {"x": np.arange(2.0)})
    assert store.missing(ids(5) + ids(5), "a") == []
    assert store.has("a") == 5


def test_duplicate_rows_from_racing_writers_read_once(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path)
    store.write("k", ids(2), {"x": np.array([1.0, 2.0])})
    store.write("k", ids(2), {"x": np.array([1.0, 2.0])})
    assert store.has("k") == 2
    np.testing.assert_array_equal(store.read(ids(2), "k")["x"], [1.0, 2.0])


def test_read_of_absent_ids_names_the_fix(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path)
    store.write("k", ids(1), {"x": np.zeros(1)})
    with pytest.raises(DataError, match="run the features stage"):
        store.read(ids(2), "k")


def test_leftover_temporary_files_are_ignored(tmp_path: Path) -> None:
    """A run killed mid-write leaves a dot-prefixed temporary file, never a half part."""
    store = FeatureStore(tmp_path)
    store.write("k", ids(1), {"x": np.zeros(1)})
    (tmp_path / "k" / ".part-123.parquet.tmp.parquet").write_bytes(b"half a part")
    assert store.has("k") == 1 and len(store.parts("k")) == 1


def test_reading_10k_rows_is_fast(tmp_path: Path) -> None:
    """The scan reads 10,000 images' 2048-d features: it must take well under a second or two."""
    store = FeatureStore(tmp_path)
    rng = np.random.default_rng(0)
    all_ids = ids(10_000)
    for start in range(0, 10_000, 512):
        chunk = all_ids[start : start + 512]
        store.write(
            "k",
            chunk,
            {
                "features": rng.normal(size=(len(chunk), 2048)).astype(np.float32),
                "logits": rng.normal(size=(len(chunk), 1008)).astype(np.float32),
            },
        )
    fresh = FeatureStore(tmp_path)
    t0 = time.perf_counter()
    got = fresh.read(all_ids[::-1], "k")
    elapsed = time.perf_counter() - t0
    assert got["features"].shape == (10_000, 2048)
    assert elapsed < 5.0, elapsed


def test_truncated_part_is_quarantined_with_a_warning_and_its_rows_count_as_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = FeatureStore(tmp_path)
    store.write("k", ids(2), {"x": np.array([1.0, 2.0])})
    bad = store.write("k", ids(2, 2), {"x": np.array([3.0, 4.0])})
    bad.write_bytes(bad.read_bytes()[:100])  # "Parquet magic bytes not found" before this change
    fresh = FeatureStore(tmp_path)
    with caplog.at_level("WARNING", logger="synthscope"):
        assert fresh.missing(ids(4), "k") == ids(2, 2)
    moved = tmp_path / "quarantine" / "k" / bad.name
    assert moved.is_file() and not bad.exists() and len(moved.read_bytes()) == 100
    assert str(bad) in caplog.text and "quarantine" in caplog.text
    np.testing.assert_array_equal(fresh.read(ids(2), "k")["x"], [1.0, 2.0])
    assert fresh.parts("k") == [p for p in fresh.parts("k") if p != bad] and len(fresh.parts("k")) == 1


def test_part_whose_data_is_damaged_after_indexing_is_quarantined_on_read(tmp_path: Path) -> None:
    """The index reads only the id column; a part damaged later fails the read with the fix, once."""
    store = FeatureStore(tmp_path)
    part = store.write("k", ids(2), {"x": np.array([1.0, 2.0])})
    assert store.has("k") == 2
    part.write_bytes(b"PAR1" + b"\0" * 50)
    with pytest.raises(DataError, match="quarantined; re-run `synthscope stage features`"):
        store.read(ids(2), "k")
    assert (tmp_path / "quarantine" / "k" / part.name).is_file()
    assert store.missing(ids(2), "k") == ids(2)


def test_lock_is_exclusive_between_holders_and_released_on_exit(tmp_path: Path) -> None:
    from filelock import FileLock, Timeout

    store = FeatureStore(tmp_path)
    with store.lock("b", "a"):
        other = FileLock(tmp_path / ".locks" / "a.lock", timeout=0.05)  # another process's view
        with pytest.raises(Timeout):
            other.acquire()
    with FileLock(tmp_path / ".locks" / "a.lock", timeout=0.05):
        pass
    with pytest.raises(ValueError, match="bad store key"):
        with store.lock("quarantine"):
            pass
