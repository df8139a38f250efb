"""Contract over every registered metric, plus the honest-labelling rules."""

import json

import numpy as np
import pytest

from synthscope.metrics.suite import METRICS, RoleData, ScoreInputs, distance_label, score_all
from synthscope.params import ScoreParams

PARAMS = ScoreParams(
    fid_bootstrap_reps=5,
    bootstrap_reps=50,
    kid_subsets=5,
    kid_subset_size=20,
    is_splits=2,
    is_bootstrap_reps=10,
    cas_model="linear",
    per_class_min_samples=5,
)
EXTRACTOR = {"name": "mobilenet-v2", "weights": "official", "sha256": "ab" * 32, "key": "k", "dim": 6}


def role(n: int, seed: int, shift: float = 0.0) -> RoleData:
    rng = np.random.default_rng(seed)
    labels = np.array(["a", "b"])[np.arange(n) % 2]
    feats = rng.normal(size=(n, 6)) + shift + 2.0 * (labels == "b")[:, None]
    return RoleData(
        ids=np.array([f"{seed}-{i}" for i in range(n)]),
        labels=labels,
        features=feats.astype(np.float32),
        logits=rng.normal(size=(n, 10)).astype(np.float32),
    )


def without_timings(obj):
    """Drop wall-clock fields (``train_seconds``), the only legitimately non-deterministic values."""
    if isinstance(obj, dict):
        return {k: without_timings(v) for k, v in obj.items() if "seconds" not in k}
    if isinstance(obj, list):
        return [without_timings(v) for v in obj]
    return obj


@pytest.mark.parametrize("name", METRICS.names())
def test_every_metric_entry_honours_the_contract(name):
    metric = METRICS.get(name)
    inp = ScoreInputs(synthetic=role(40, 0, 0.5), real=role(50, 1), extractor=EXTRACTOR, params=PARAMS)
    out = metric.compute(inp)
    assert out and without_timings(out) == without_timings(
        metric.compute(inp)
    )  # seeded: identical on a re-run
    json.dumps(out, allow_nan=False)
    for obj in out.values():
        value, (lo, hi) = obj["value"], obj["ci95"]
        assert np.isfinite(value)
        if name != "kid":  # KID's interval is the spread of subset estimates, around the mean anyway
            assert lo <= value + 1e-9 and value - 1e-9 <= hi
    if not metric.needs_reference:
        assert metric.compute(
            ScoreInputs(synthetic=role(40, 0), real=None, extractor=EXTRACTOR, params=PARAMS)
        )


def test_score_all_document_and_no_reference():
    doc = score_all(
        ScoreInputs(synthetic=role(40, 0, 0.5), real=role(50, 1), extractor=EXTRACTOR, params=PARAMS)
    )
    for key in ("fid", "kid", "inception_score", "cas", "precision", "recall", "density", "coverage"):
        assert "value" in doc[key] and "ci95" in doc[key], key
    assert {"synthetic_to_real", "real_to_real", "per_class"} <= set(doc["cas"])
    assert doc["extractor"] == {"name": "mobilenet-v2", "weights": "official", "sha256": "ab" * 32}
    assert (doc["n_synthetic"], doc["n_real"]) == (40, 50)
    assert doc["fid"]["label"] == "Frechet distance in mobilenet-v2 space" and doc["fid"]["warnings"]
    alone = score_all(ScoreInputs(synthetic=role(40, 0), real=None, extractor=EXTRACTOR, params=PARAMS))
    assert "inception_score" in alone and "fid" not in alone and "fid" in alone["skipped"]


def test_only_official_inception_is_called_fid():
    assert distance_label({"name": "inception-fid", "weights": "official"}) == "FID"
    assert "custom" in distance_label({"name": "inception-fid", "weights": "custom"})
    assert distance_label({"name": "mobilenet-v2", "weights": "official"}).startswith("Frechet distance in")
