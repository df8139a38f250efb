"""Null pairs: two disjoint random draws of the same real CIFAR photos raise nothing above ``low``.

The null-pair rule: a check that invents findings on two samples of the same photos is worse
than none. Three splits of a 240-image pool from the shared CIFAR sample (not stratified by
class, so class counts differ by sampling as between two photo collections), 12 images per
class per side on average, each audited by the ingest, features and scan stages into its
own output folder; bias.json must hold no finding above low, and its summary must say the
scan was calibrated on real-vs-real pairs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from synthscope.config import AuditConfig
from tests.shared_data import shared_dir

PER_CLASS_POOL = 24
SPLITS = 3


def cifar_pool() -> list[Path]:
    root = shared_dir() / "data" / "cifar10-sample"
    if not root.is_dir():
        pytest.fail(f"{root} is missing; set SYNTHSCOPE_SHARED to the folder holding data/cifar10-sample")
    return [f for cls in sorted(p for p in root.iterdir() if p.is_dir()) for f in sorted(cls.iterdir())[:PER_CLASS_POOL]]


def write_side(files: list[Path], root: Path) -> Path:
    """An ImageFolder of these photos (copied into the test's temporary folder, never the repo)."""
    for f in files:
        (root / f.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, root / f.parent.name / f.name)
    return root


@pytest.mark.slow
def test_null_pairs_of_real_photos_raise_nothing_above_low(tmp_path):
    from synthscope.stages import run_stage

    pool = cifar_pool()
    store = tmp_path / "store"  # shared by the splits: each photo is embedded once
    for split in range(SPLITS):
        order = np.random.default_rng(split).permutation(len(pool))
        half = len(pool) // 2
        a = write_side([pool[i] for i in order[:half]], tmp_path / f"s{split}" / "a")
        b = write_side([pool[i] for i in order[half:]], tmp_path / f"s{split}" / "b")
        config = AuditConfig(f"null{split}", a, b, tmp_path / f"s{split}" / "out", store)
        for stage in ("ingest", "features", "scan"):
            run_stage(stage, config)
        bias = json.loads((config.output_dir / "bias.json").read_text())
        above = [(f["check"], f["attribute"], f["class"], f["severity"], f["message"])
                 for f in bias["findings"] if f["severity"] in ("medium", "high")]
        assert above == [], f"split {split}: {above}"
        assert bias["summary"]["null_pairs"] > 0 and bias["summary"]["n_real"] == len(pool) - half
        assert all(set(g["members"]) <= {f["id"] for f in bias["findings"]} for g in bias["groups"])
