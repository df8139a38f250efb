"""Contract over every registered metric, the registry (a toy metric added from outside), and the
honest-labelling rules."""

import json
import subprocess
import sys

import numpy as np
import pytest

from synthscope.documents import ExtractorRef, dump
from synthscope.documents.metrics import KernelDistance
from synthscope.metrics.suite import (
    METRICS,
    Metric,
    RoleData,
    ScoreInputs,
    distance_label,
    in_order,
    register_metric,
    score_all,
    unregister_metric,
)
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


BUILT_IN = ["fid", "kid", "inception_score", "prdc", "cas", "utility", "real_vs_real"]


def _mean_mmd(inp: ScoreInputs) -> dict:
    """A toy metric: MMD^2 with a linear kernel, i.e. the squared distance of the two feature means."""
    assert inp.real is not None
    gap = inp.synthetic.features.astype(np.float64).mean(axis=0) - inp.real.features.astype(np.float64).mean(axis=0)
    value = float(gap @ gap)
    return {"kid": KernelDistance(value=value, ci95=(value, value), method="toy: linear-kernel MMD^2", std=0.0,
                                  subsets=1, subset_size=len(inp.synthetic.ids), network="toy")}


@pytest.fixture
def toy_metric():
    register_metric("toy_mean_mmd", Metric(compute=_mean_mmd, outputs=("kid",), needs_reference=True))
    yield
    unregister_metric("toy_mean_mmd")


def test_a_metric_registered_from_outside_runs_in_score_all(toy_metric):
    syn, real = role(40, 0, 0.5), role(50, 1)
    assert [n for n, _ in in_order()] == BUILT_IN + ["toy_mean_mmd"]  # after the built-in ones
    doc = score_all(ScoreInputs(synthetic=syn, real=real, extractor=EXTRACTOR, params=PARAMS), only=("toy_mean_mmd",))
    expected = np.sum((syn.features.astype(np.float64).mean(0) - real.features.astype(np.float64).mean(0)) ** 2)
    assert doc.kid is not None and doc.kid.method.startswith("toy") and doc.kid.value == pytest.approx(expected)
    assert doc.fid is None and doc.skipped == {}  # only the toy ran
    alone = score_all(ScoreInputs(synthetic=syn, real=None, extractor=EXTRACTOR, params=PARAMS))
    assert "toy_mean_mmd" in alone.skipped and alone.kid is None  # needs_reference is honoured
    with pytest.raises(ValueError, match="'toy_mean_mmd' wrote 'kid', which 'kid' wrote already"):
        score_all(ScoreInputs(synthetic=syn, real=real, extractor=EXTRACTOR, params=PARAMS), only=("kid", "toy_mean_mmd"))


def test_a_metric_must_write_keys_metrics_json_declares():
    with pytest.raises(ValueError, match=r"'toy_score'.*MetricsDocument \(synthscope/documents/metrics.py\)"):
        register_metric("toy", Metric(compute=_mean_mmd, outputs=("toy_score",), needs_reference=True))
    assert "toy" not in METRICS
    register_metric("toy_liar", Metric(compute=_mean_mmd, outputs=("fid",), needs_reference=True))
    try:
        with pytest.raises(ValueError, match="wrote 'kid', not among its declared outputs"):
            score_all(ScoreInputs(synthetic=role(40, 0), real=role(50, 1), extractor=EXTRACTOR, params=PARAMS),
                      only=("toy_liar",))
    finally:
        unregister_metric("toy_liar")


def test_the_run_order_does_not_depend_on_which_metric_module_was_imported_first():
    """The compare stage imports metrics.cas before the suite: CAS still runs after PRDC and before
    the curves (which reuse its fits)."""
    code = ("import synthscope.metrics.cas, synthscope.metrics.reference\n"
            "from synthscope.metrics.suite import METRICS, in_order\n"
            "print(METRICS.names()[0], ' '.join(n for n, _ in in_order()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] != "fid"  # registered in import order ...
    assert out[1:] == BUILT_IN  # ... run in the suite's order
