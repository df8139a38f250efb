"""The score stage end to end on a fake feature store.

``synthscope.features.load.load_embeddings`` (the features branch) is replaced by a double returning a
seeded ``Embeddings``-shaped object (and writes the features stage's ``attributes.parquet``
with seeded dhashes), so this test exercises only the score stage's reading, role split and
writing.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from synthscope.config import load_config
from synthscope.documents import ExtractorRef
from synthscope.io import read_json
from synthscope.stages import run_stage


@dataclass(frozen=True)
class FakeEmbeddings:
    index: pd.DataFrame
    features: np.ndarray
    logits: np.ndarray
    extractor: ExtractorRef


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
        ExtractorRef(name="mobilenet-v2", weights="official", sha256="cd" * 32),
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

    monkeypatch.setattr("synthscope.features.load.load_embeddings", load_embeddings)
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
    path, realism_path = run_stage("score", _config(tmp_path))
    doc = read_json(path)
    assert realism_path.name == "realism.parquet"
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
    metrics_path, realism_path = run_stage("score", _config(tmp_path, real=False))
    doc = read_json(metrics_path)
    assert "inception_score" in doc and "fid" not in doc and doc["n_real"] == 0
    assert "no real reference" in doc["skipped"]["fid"]
    table = pd.read_parquet(realism_path)
    assert len(table) == 30 and table["realism"].isna().all() and table["nearest_real_id"].isna().all()


def test_realism_parquet_holds_the_scores_debias_ranks_by(tmp_path, store):
    from synthscope.debias.build import realism_of

    emb = fake_embeddings(60, 45)
    store["emb"] = emb
    config = _config(tmp_path)
    doc = read_json(run_stage("score", config)[0])
    table = pd.read_parquet(tmp_path / "out" / "realism.parquet")
    syn = (emb.index["role"] == "synthetic").to_numpy()
    assert list(table["image_id"]) == list(emb.index.loc[syn, "image_id"])
    assert set(table.columns) >= {"image_id", "path", "label", "realism", "nearest_real_id", "nearest_real_path",
                                  "distance", "outlier"}
    # one implementation: debias's candidate ranking reads the same numbers
    expected = realism_of(emb.features[syn], emb.features[~syn], config.params.score.realism_k)
    np.testing.assert_array_equal(table["realism"].to_numpy(), expected)
    # the nearest real image and its distance, by brute force
    dist = np.linalg.norm(emb.features[syn][:, None].astype(np.float64) - emb.features[~syn][None], axis=2)
    real_ids = emb.index.loc[~syn, "image_id"].to_numpy()
    assert list(table["nearest_real_id"]) == list(real_ids[dist.argmin(axis=1)])
    np.testing.assert_allclose(table["distance"], dist.min(axis=1), rtol=1e-9)
    assert list(table["outlier"]) == list(expected < config.params.score.realism_outlier_below)
    assert doc["utility"]["real_equivalent"]["ci95"] and doc["cas"]["confusion"]["labels"] == ["a", "b", "c"]


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
