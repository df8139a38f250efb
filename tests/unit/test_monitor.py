"""synthscope.monitor: novelty, calibration, clusters, descriptions, trends and gates (small seeded data)."""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import NearestNeighbors

from synthscope.documents.monitor import DriftEntry, TrendFinding
from synthscope.errors import DataError
from synthscope.monitor import clusters, novelty, trends, verdict
from synthscope.params import MonitorParams


def blobs(n: int, centre: float, seed: int, d: int = 16) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    x[:, 0] += centre
    return novelty.embed_space(x)


def test_kth_distance_matches_sklearn():
    base, query = blobs(200, 3.0, 0), blobs(50, 3.0, 1)
    dist, nearest = novelty.kth_distance(query, base, 5)
    ref_d, ref_i = NearestNeighbors(n_neighbors=5).fit(base).kneighbors(query)
    np.testing.assert_allclose(dist, ref_d[:, 4], rtol=1e-10)
    np.testing.assert_array_equal(nearest, ref_i[:, 0])
    loo, _ = novelty.kth_distance(base, base, 5, same=True)  # leave one out: the row itself is not a neighbour
    ref_d, _ = NearestNeighbors(n_neighbors=6).fit(base).kneighbors(base)
    np.testing.assert_allclose(loo, ref_d[:, 5], rtol=1e-10)
    rows = np.array([3, 50, 120])  # a sample of rows scored against all the others: the same values
    np.testing.assert_allclose(novelty.leave_one_out(base, 5, rows), loo[rows], rtol=1e-10)


def test_wilson_interval_closed_form():
    # Wilson (1927) at z = 1.96: 0 of 10 -> [0, 0.2775]; 5 of 10 -> [0.2366, 0.7634]
    p, lo, hi = novelty.wilson(0, 10)
    assert (p, lo) == (0.0, 0.0) and hi == pytest.approx(0.27753, abs=1e-4)
    p, lo, hi = novelty.wilson(5, 10)
    assert lo == pytest.approx(0.23659, abs=1e-4) and hi == pytest.approx(0.76341, abs=1e-4)


def test_calibration_flags_about_false_alarm_of_training_distribution():
    train = blobs(1000, 3.0, 0)
    cal = novelty.calibrate(train, k=5, false_alarm=0.05, seed=0)
    fresh = blobs(2000, 3.0, 7)
    _, uncovered, _ = novelty.score(train, fresh, cal)
    assert 0.035 <= uncovered.mean() <= 0.07  # false_alarm 0.05, leave-one-out scores of 1000 rows
    batch = novelty.Share.of(uncovered)
    assert cal.reference.lo <= batch.hi and batch.lo <= cal.reference.hi  # the two intervals agree
    _, far, _ = novelty.score(train, blobs(100, -3.0, 8), cal)
    assert far.all()


def test_calibration_refuses_too_few_training_images():
    with pytest.raises(DataError, match="too few"):
        novelty.calibrate(blobs(10, 0.0, 0), k=5, false_alarm=0.05, seed=0)


def test_clusters_find_two_groups_largest_first():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(30, 8)) + 5.0
    b = rng.normal(size=(12, 8)) - 5.0
    lone = np.array([[0.0] * 7 + [40.0], [0.0] * 7 + [-40.0]])  # two outliers: no look-alikes
    labels, scattered = clusters.cluster_labels(np.vstack([b, a, lone]), cut=10.0, min_size=3, max_clusters=6)
    assert set(labels[:12]) == {1} and set(labels[12:42]) == {0}
    assert scattered == 2 and set(labels[42:]) == {2}
    labels, scattered = clusters.cluster_labels(np.vstack([b, a]), cut=10.0, min_size=3, max_clusters=6)
    assert scattered is None and set(labels) == {0, 1}


def test_description_names_darker_blurrier_smaller():
    rng = np.random.default_rng(0)
    training = pd.DataFrame({"value": rng.uniform(0.4, 0.9, 300), "sharpness": rng.uniform(50, 200, 300),
                             "fg_area": rng.uniform(0.2, 0.6, 300), "contrast": rng.uniform(0.1, 0.3, 300)})
    cluster = pd.DataFrame({"value": [0.1, 0.15, 0.2], "sharpness": [5.0, 8.0, 9.0], "fg_area": [0.05, 0.1, 0.08],
                            "contrast": [0.2, 0.2, 0.2]})
    found = clusters.traits(cluster, training, 0.9)
    assert {t.word for t in found} == {"darker", "blurrier", "smaller objects"}
    text = clusters.describe(found, 3, pd.Series(["cat", "cat", "dog"]))
    assert text.startswith("darker, blurrier and smaller objects than any training image; 3 images")
    assert text.endswith("nearest training class: cat (67%)")
    assert clusters.describe([], 1).startswith("unlike the training images in content")


def row(batch: str, share: float, n: int = 200, **drift: float) -> dict:
    _, lo, hi = novelty.wilson(round(share * n), n)
    return {"batch_id": batch, "time": batch, "n_images": n, "uncovered_share": share, "uncovered_lo": lo,
            "uncovered_hi": hi, "reference_share": 0.05, "verdict": "pass", **{f"drift_{k}": v for k, v in drift.items()}}


def test_history_keys_by_batch_and_reads_a_rising_trend():
    h = None
    for i, share in enumerate([0.03, 0.05, 0.12, 0.21]):
        h = trends.append_batch(h, row(f"b{i}", share, quality=0.1 * i))
    assert len(h) == 4
    h = trends.append_batch(h, row("b3", 0.21, quality=0.3))  # the same batch again: replaced, not added
    assert list(h["batch_id"]) == ["b0", "b1", "b2", "b3"]
    found = trends.trend_findings(h, batches=4, rise=0.1)
    messages = [f.message for f in found]
    assert "uncovered share rose from 3% to 21% over the last 4 batches" in messages
    assert "drift in quality rose from 0.00 to 0.30 over the last 4 batches" in messages
    flat = trends.append_batch(None, row("a", 0.05))
    assert trends.trend_findings(trends.append_batch(flat, row("b", 0.06)), 4, 0.1) == []


def test_gates():
    params = MonitorParams()
    ok = novelty.Share(*novelty.wilson(10, 200), n=200)
    high = novelty.Share(*novelty.wilson(120, 200), n=200)
    def drift(severity):
        return [DriftEntry(attribute="quality", severity=severity, auc=None, flag_value=None, message="m")]

    drift_low, drift_high = drift("low"), drift("high")
    assert verdict.evaluate(ok, drift("info"), [], params)[0] == "pass"
    assert verdict.evaluate(ok, drift_low, [], params)[0] == "warn"
    assert verdict.evaluate(ok, drift_high, [], params)[0] == "fail"
    assert verdict.evaluate(high, [], [], params)[0] == "fail"
    trend = [TrendFinding(metric="uncovered_share", first=0.05, last=0.2, batches=4, message="uncovered share rose")]
    assert verdict.evaluate(ok, drift("info"), trend, params)[0] == "warn"


def test_watch_takes_each_settled_file_once(tmp_path):
    from synthscope.monitor import watch

    (tmp_path / "cls").mkdir()
    for name in ("a.png", "b.png", "cls/c.png", ".hidden.png"):
        (tmp_path / name).write_bytes(b"x")
    now = time.time()
    for name in ("a.png", "b.png", "cls/c.png"):
        os.utime(tmp_path / name, (now - 60, now - 60))
    (tmp_path / "late.png").write_bytes(b"x")  # still being copied: waits for the next run
    first = watch.new_files(tmp_path, watch.empty_state(), settle_seconds=2.0, now=now)
    assert list(first["path"]) == ["a.png", "b.png", "cls/c.png"]
    state = watch.taken(watch.empty_state(), first, "b1")
    (tmp_path / "d.png").write_bytes(b"x")
    os.utime(tmp_path / "late.png", (now - 30, now - 30))
    os.utime(tmp_path / "d.png", (now - 30, now - 30))
    second = watch.new_files(tmp_path, state, settle_seconds=2.0, now=now)
    assert list(second["path"]) == ["d.png", "late.png"]
    state = watch.taken(state, second, "b2")
    assert state["path"].is_unique and list(state["batch_id"]) == ["b1"] * 3 + ["b2"] * 2
    assert watch.new_files(tmp_path, state, settle_seconds=2.0, now=now).empty


def test_labels_accuracy_per_cluster_and_alignment():
    from synthscope.monitor.labels import align_predictions, label_summary

    table = pd.DataFrame({"path": ["/in/a.png", "/in/b.png", "/in/c.png", "/in/d.png"],
                          "uncovered": [False, False, True, True], "cluster": [-1, -1, 0, 0]})
    preds = pd.DataFrame({"path": ["a.png", "/in/b.png", "c.png", "d.png"], "predicted": ["cat", "dog", "cat", "cat"],
                          "confidence": [0.9, 0.8, 0.4, 0.6]})
    predicted, confidence = align_predictions(table["path"], pd.Series(["a.png", "b.png", "c.png", "d.png"]), preds)
    assert list(predicted) == ["cat", "dog", "cat", "cat"]
    summary = label_summary(table, pd.Series(["cat", "dog", "dog", "cat"]), predicted, confidence)
    assert summary["overall"]["accuracy"] == 0.75 and summary["overall"]["accuracy_covered"] == 1.0
    assert summary["overall"]["accuracy_uncovered"] == 0.5
    assert summary["per_cluster"]["0"] == {"n": 2, "accuracy": 0.5, "confidence": 0.5}
    assert label_summary(table, pd.Series([""] * 4), None, None) is None  # nothing given: nothing computed


def test_cli_monitor_and_serve_monitor_name_what_is_missing(monkeypatch, capsys, tmp_path):
    from tests.cli_run import run_cli

    code, err = run_cli(monkeypatch, capsys, "serve", "--monitor", "--watch", str(tmp_path))
    assert code == 1 and "serve --monitor needs --synthetic TRAIN --watch FOLDER --output-dir DIR" in err
    code, err = run_cli(monkeypatch, capsys, "monitor", "--synthetic", str(tmp_path / "absent"), "--incoming",
                        str(tmp_path), "--output-dir", str(tmp_path / "out"))
    assert code == 1 and "does not exist" in err
