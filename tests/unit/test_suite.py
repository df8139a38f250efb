"""Contract over every registered metric, plus the honest-labelling rules."""

import json

import numpy as np
import pytest

from synthscope.documents import ExtractorRef, dump
from synthscope.metrics.suite import METRICS, RoleData, ScoreInputs, distance_label, score_all
from synthscope.params import ScoreParams

PARAMS = ScoreParams(
    fid_subsample_reps=8,
    bootstrap_reps=50,
    kid_subsets=5,
    kid_subset_size=20,
    is_splits=2,
    cas_model="linear",
    per_class_min_samples=5,
)
EXTRACTOR = ExtractorRef(name="mobilenet-v2", weights="official", sha256="ab" * 32)


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


def with_ci(obj) -> list[dict]:
    """Every dict with a ``ci95`` key, at any depth."""
    found = []
    if isinstance(obj, dict):
        if "ci95" in obj:
            found.append(obj)
        for v in obj.values():
            found += with_ci(v)
    return found


@pytest.mark.parametrize("name", METRICS.names())
def test_every_metric_entry_honours_the_contract(name):
    metric = METRICS.get(name)
    inp = ScoreInputs(synthetic=role(40, 0, 0.5), real=role(50, 1), extractor=EXTRACTOR, params=PARAMS)
    out = {key: dump(entry) for key, entry in metric.compute(inp).items()}  # as metrics.json holds them
    assert out and without_timings(out) == without_timings(
        {key: dump(entry) for key, entry in metric.compute(inp).items()}
    )  # seeded: identical on a re-run
    json.dumps(out, allow_nan=False)
    for obj in out.values():
        value, (lo, hi) = obj["value"], obj["ci95"]
        assert np.isfinite(value)
        assert lo <= value + 1e-9 and value - 1e-9 <= hi
    for entry in with_ci(out):  # every interval names its method and holds its estimate
        assert entry.get("method"), entry
        if entry["ci95"] is not None:
            assert entry["ci95"][0] <= entry["value"] + 1e-9 <= entry["ci95"][1] + 2e-9
    if not metric.needs_reference:
        assert metric.compute(
            ScoreInputs(synthetic=role(40, 0), real=None, extractor=EXTRACTOR, params=PARAMS)
        )


def test_score_all_document_and_no_reference():
    doc = dump(score_all(
        ScoreInputs(synthetic=role(40, 0, 0.5), real=role(50, 1), extractor=EXTRACTOR, params=PARAMS)
    ))
    for key in ("fid", "kid", "inception_score", "cas", "precision", "recall", "density", "coverage"):
        assert "value" in doc[key] and "ci95" in doc[key], key
    assert {"synthetic_to_real", "real_to_real", "per_class"} <= set(doc["cas"])
    assert doc["extractor"] == {"name": "mobilenet-v2", "weights": "official", "sha256": "ab" * 32}
    assert (doc["n_synthetic"], doc["n_real"]) == (40, 50)
    assert doc["fid"]["label"] == "Frechet distance in mobilenet-v2 space" and doc["fid"]["warnings"]
    assert {"value", "slope", "points"} <= set(doc["fid"]["fid_inf"])
    assert all(v["small_n"] for v in doc["fid"]["per_class"].values())  # 20-25 per class < 2048
    assert isinstance(doc["cas"]["excluded_copies_of_test"], int)
    alone = dump(score_all(ScoreInputs(synthetic=role(40, 0), real=None, extractor=EXTRACTOR, params=PARAMS)))
    assert "inception_score" in alone and "fid" not in alone and "fid" in alone["skipped"]


def test_the_small_n_warning_needs_a_per_class_value():
    """Classes the two sets do not share get no per-class value, so nothing to warn about;
    shared small classes do."""
    def per_class_warnings(real_labels: np.ndarray) -> list[str]:
        real = role(50, 1)
        real = RoleData(ids=real.ids, labels=real_labels, features=real.features, logits=real.logits)
        out = METRICS.get("fid").compute(ScoreInputs(synthetic=role(40, 0), real=real, extractor=EXTRACTOR,
                                                     params=PARAMS))
        return [w for w in out["fid"].warnings if "per-class" in w]

    assert per_class_warnings(np.array(["c", "d"])[np.arange(50) % 2]) == []  # no class in common
    assert len(per_class_warnings(np.array(["a", "b"])[np.arange(50) % 2])) == 1


def test_only_official_inception_is_called_fid():
    assert distance_label(ExtractorRef(name="inception-fid", weights="official")) == "FID"
    assert "custom" in distance_label(ExtractorRef(name="inception-fid", weights="custom"))
    assert distance_label(ExtractorRef(name="mobilenet-v2", weights="official")).startswith("Frechet distance in")
    assert distance_label(None) == "Frechet distance in unnamed network (features given as arrays) space"


def test_the_default_classifier_is_a_cross_validated_probe_and_no_fit_is_trained_twice():
    from dataclasses import replace

    from synthscope.metrics.fits import FitCache

    assert ScoreParams().cas_model == "linear" and ScoreParams().cas_probe_c is None
    cache = FitCache()
    params = replace(PARAMS, cas_model="linear", curve_fractions=(0.5, 1.0), curve_repeats=1)
    inp = ScoreInputs(synthetic=role(60, 0), real=role(50, 1), extractor=EXTRACTOR, params=params, fits=cache)
    doc = dump(score_all(inp, only=("cas", "utility")))
    c = doc["cas"]["classifier"]["c"]
    assert c["c"] in c["grid"] and c["cv_accuracy"][c["grid"].index(c["c"])] == max(c["cv_accuracy"])
    assert doc["cas"]["classifier"]["augmentation"]["transforms"] == "none"
    # Trained: C's cross-validation, synthetic->real, real->real, real+synthetic, and the curve's half-split
    # real-only and real+synthetic models. Served: C, the curve's synthetic-only and whole-split points.
    assert (cache.misses, cache.hits) == (6, 4)
    assert doc["utility"]["synthetic_only"]["value"] == doc["cas"]["value"]
