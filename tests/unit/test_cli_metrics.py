"""``synthscope metrics`` and ``synthscope.compare``: feature files, folders through the store, errors."""

import json

import numpy as np
import pytest
from prdc import compute_prdc
from typer.testing import CliRunner

import synthscope
from synthscope.cli import app
from synthscope.metrics.frechet_distance import frechet_distance_from_features

FAST = ["--set", "score.fid_subsample_reps=5", "--set", "score.kid_subsets=10"]


def _invoke(*args: str):
    return CliRunner().invoke(app, ["metrics", *args, *FAST])


@pytest.fixture
def feature_files(tmp_path):
    rng = np.random.default_rng(0)
    syn, real = rng.normal(0.3, 1.1, size=(260, 8)), rng.normal(size=(300, 8))
    np.save(tmp_path / "syn.npy", syn)
    np.savez(tmp_path / "real.npz", features=real)
    return tmp_path, syn, real


def test_json_on_feature_files_matches_the_references(feature_files):
    tmp, syn, real = feature_files
    result = _invoke(str(tmp / "syn.npy"), str(tmp / "real.npz"), "--json", "--k", "3")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    ref = compute_prdc(real_features=real, fake_features=syn, nearest_k=3)
    for key in ("precision", "recall", "density", "coverage"):
        assert doc[key]["value"] == float(ref[key]), key  # identical, not approximately
        lo, hi = doc[key]["ci95"]
        assert lo <= doc[key]["value"] <= hi and doc[key]["k"] == 3 and "jackknife" in doc[key]["method"]
    assert doc["fid"]["value"] == pytest.approx(frechet_distance_from_features(syn, real), rel=1e-12)
    assert doc["fid"]["label"].startswith("Frechet distance in unnamed network")  # never "FID" for arrays
    assert doc["kid"]["value"] > 0 and (doc["n_synthetic"], doc["n_real"]) == (260, 300)
    assert doc == synthscope.compare(syn, real, k=3, params=_fast_params())
    assert "per_class" not in doc["fid"] and not [w for w in doc["fid"]["warnings"] if "per-class" in w]


def _fast_params():
    from synthscope.config import load_params

    return load_params(None, {"score.fid_subsample_reps": 5, "score.kid_subsets": 10})


def test_text_output_names_every_metric_with_its_interval(feature_files):
    tmp, _, _ = feature_files
    result = _invoke(str(tmp / "syn.npy"), str(tmp / "real.npz"))
    assert result.exit_code == 0, result.output
    for word in ("Frechet distance", "KID", "precision", "recall", "density", "coverage", "jackknife"):
        assert word in result.stdout


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda t: np.savez(t / "x.npz", feats=np.zeros((10, 8))), "no 'features' array"),
        (lambda t: np.save(t / "x.npy", np.zeros((10, 3))), "feature dimensions differ"),
        (lambda t: (t / "x.npy").write_text("not numpy"), "not a readable NumPy file"),
        (lambda t: None, "does not exist"),
    ],
)
def test_bad_inputs_give_one_line_naming_the_fix(feature_files, make, message):
    tmp, _, _ = feature_files
    make(tmp)
    name = "x.npz" if "features' array" in message else "x.npy"
    result = _invoke(str(tmp / "syn.npy"), str(tmp / name))
    assert result.exit_code == 1
    assert message in str(result.exception) or message in result.output


@pytest.mark.slow
def test_folders_go_through_the_feature_store(demo_dir, tmp_path):
    store = tmp_path / "store"
    args = [str(demo_dir / "synthetic"), str(demo_dir / "real"), "--json", "--store-dir", str(store),
            "--extractor", "mobilenet-v2"]
    first = _invoke(*args)
    assert first.exit_code == 0, first.output
    second = _invoke(*args)
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    for role in ("synthetic", "real"):
        assert one["feature_store"][role]["computed"] > 0
        assert two["feature_store"][role] == {"computed": 0, "cached": one["feature_store"][role]["computed"]}
    assert one["extractor"]["name"] == "mobilenet-v2" and one["fid"]["label"].startswith("Frechet distance in mobilenet-v2")
    assert {k: v for k, v in one.items() if k != "feature_store"} == {k: v for k, v in two.items() if k != "feature_store"}
    assert set(one["fid"]["per_class"]) == {"circle", "square", "triangle"}
