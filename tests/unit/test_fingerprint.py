"""Cache-key fingerprints: stable for unchanged data, different for any change that matters."""

from __future__ import annotations

import os
from pathlib import Path

from synthscope.fingerprint import dataset_fingerprint, file_sha256, outputs_digest


def _tree(root: Path) -> None:
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "a" / "x.png").write_bytes(b"one")
    (root / "b" / "y.png").write_bytes(b"two")


def test_dataset_fingerprint_tracks_names_sizes_and_mtimes(tmp_path):
    root = tmp_path / "ds"
    _tree(root)
    first = dataset_fingerprint(root)
    assert dataset_fingerprint(root) == first
    assert dataset_fingerprint(root / "a" / "x.png") != first  # a manifest file: its folder is fingerprinted
    st = (root / "a" / "x.png").stat()
    os.utime(root / "a" / "x.png", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    touched = dataset_fingerprint(root)
    assert touched != first
    (root / "b" / "z.png").write_bytes(b"")
    assert dataset_fingerprint(root) not in (first, touched)
    assert dataset_fingerprint(None) == "none" and dataset_fingerprint(tmp_path / "gone").startswith("missing:")


def test_outputs_digest_is_by_content_not_by_time(tmp_path):
    f = tmp_path / "manifest.parquet"
    f.write_bytes(b"rows")
    before = outputs_digest([f])
    os.utime(f, ns=(1, 1))
    assert outputs_digest([f]) == before  # rewritten with identical bytes: downstream stays cached
    f.write_bytes(b"rows!")
    assert outputs_digest([f]) != before
    assert file_sha256(f) == "9c6c02d4351745b2b122d3cd5f9d41c1d5f21a669f777d61ff7db164db105e97"  # sha256(b"rows!")
