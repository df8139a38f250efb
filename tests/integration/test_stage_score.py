"""The score stage end to end on a fake feature store.

``synthscope.features.load`` (the features branch) is replaced by a double returning a
seeded ``Embeddings``-shaped object (and writes the features stage's ``attributes.parquet``
with seeded dhashes), so this test exercises only the score stage's reading, role split and
writing.
"""

import sys
import types
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from synthscope.config import load_config
from synthscope.io import read_json
from synthscope.stages import run_stage


@dataclass(frozen=True)
class FakeEmbeddings:
    index: pd.DataFrame
    features: np.ndarray
    logits: np.ndarray
    extractor: dict


def fake_embeddings(n_syn: int, n_real: int) -> FakeEmbeddings:
    rng = np.random.default_rng(0)
    roles = ["synthetic"] * n_syn + ["real"] * n_real
    labels = [["a", "b", "c"][i % 3] for i in range(len(roles))]
    index = pd.DataFrame(
        {
            "image_id": [f"{i:064x}" for i in range(len(roles))],
            "role": roles,
            "label": labels,
            "path": [f"{lab}/{i}.png" for i, lab in enumerate(labels)],
            "root": "/nowhere",
        }
    )
    feats = rng.normal(size=(len(roles), 64)) + 3.0 * (np.array(labels) == "b")[:, None]
    return FakeEmbeddings(
        index,
        feats.astype(np.float32),
        rng.normal(size=(len(roles), 12)).astype(np.float32),
        {"name": "mobilenet-v2", "weights": "official", "sha256": "cd" * 32, "key": "x", "dim": 64},
    )


@pytest.fixture
def store(monkeypatch):
    holder = {}

    def load_embeddings(paths, store_dir):
        emb = holder["emb"]
        paths.root.mkdir(parents=True, exist_ok=True)
        ids = emb.index["image_id"].drop_duplicates()
        dhash = np.random.default_rng(1).integers(-(2**63), 2**63 - 1, size=len(ids), dtype=np.int64)
        pd.DataFrame({"image_id": ids, "dhash": dhash}).to_parquet(paths.attributes)
        return emb

    module = types.ModuleType("synthscope.features.load")
    module.load_embeddings = load_embeddings
    monkeypatch.setitem(sys.modules, "synthscope.features.load", module)
    return holder


SETS = [
    "score.cas_model=linear",
    "score.fid_subsample_reps=8",
    "score.bootstrap_reps=50",
    "score.kid_subsets=5",
]


def _config(tmp_path, real=True):
    from synthscope.cli import parse_sets

    overrides = {
        "synthetic": str(tmp_path / "syn"),
        "output_dir": str(tmp_path / "out"),
        "real": str(tmp_path / "real") if real else None,
    }
    return load_config(None, overrides, None, parse_sets(SETS))


def test_score_stage_writes_metrics_json(tmp_path, store):
    store["emb"] = fake_embeddings(60, 45)
    (path,) = run_stage("score", _config(tmp_path))
    doc = read_json(path)
    assert path.name == "metrics.json"
    assert (doc["n_synthetic"], doc["n_real"]) == (60, 45)
    for key in ("fid", "kid", "inception_score", "cas", "precision", "recall", "density", "coverage"):
        assert len(doc[key]["ci95"]) == 2, key
    assert doc["fid"]["network"] == "mobilenet-v2" and "FID" not in doc["fid"]["label"]
    assert set(doc["fid"]["per_class"]) == {"a", "b", "c"}
    assert doc["cas"]["split"]["n_test_real"] + doc["cas"]["split"]["n_train_real"] == 45
    assert doc["cas"]["excluded_copies_of_test"] == 0
    assert doc["fid"]["method"] and doc["kid"]["method"] and "value" in doc["fid"]["fid_inf"]


def test_score_stage_without_reference_writes_only_inception_score(tmp_path, store):
    emb = fake_embeddings(30, 0)
    store["emb"] = emb
    doc = read_json(run_stage("score", _config(tmp_path, real=False))[0])
    assert "inception_score" in doc and "fid" not in doc and doc["n_real"] == 0
    assert "no real reference" in doc["skipped"]["fid"]


def test_score_stage_leaves_copies_of_real_test_images_out_of_cas(tmp_path, store):
    """Synthetic rows that are byte copies (same image_id) of real rows: those copying a real
    *test* image are excluded from CAS training and counted in metrics.json."""
    emb = fake_embeddings(60, 45)
    real_rows = emb.index[emb.index["role"] == "real"]
    copies = real_rows.assign(role="synthetic")  # same ids, labels and features as the real rows
    index = pd.concat([emb.index, copies], ignore_index=True)
    mask = (emb.index["role"] == "real").to_numpy()
    store["emb"] = FakeEmbeddings(index, np.concatenate([emb.features, emb.features[mask]]),
                                  np.concatenate([emb.logits, emb.logits[mask]]), emb.extractor)
    doc = read_json(run_stage("score", _config(tmp_path))[0])
    n_test = doc["cas"]["split"]["n_test_real"]
    assert doc["cas"]["excluded_copies_of_test"] == n_test
    assert doc["cas"]["split"]["n_train_synthetic"] == 60 + 45 - n_test
