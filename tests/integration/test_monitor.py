"""``synthscope monitor`` end to end on real photos (the shared CIFAR-10 sample, small and seeded).

Training = 25 photos of each of 9 classes; incoming = 6 other photos of each of those 9 plus
30 photos of the 10th (truck). The full-size numbers (100 photos per class, every class held
out in turn) are printed by ``bench/monitor.py``; here the same code runs on fewer images so
that CI stays fast. Embeddings are mobilenet-v2's, computed once into a module store.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from PIL import Image, ImageEnhance, ImageFilter
from sklearn.metrics import roc_auc_score

from synthscope.demo.generate import Biases, generate_dataset
from synthscope.documents import json_schema
from tests.cli_run import run_cli
from tests.shared_data import shared_dir

NOVEL = "truck"
N_TRAIN, N_HELD, N_NOVEL = 25, 6, 30
SETTINGS = ("--set", "features.extractor=mobilenet-v2", "--set", "features.workers=0", "--set", "ingest.workers=0")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = shared_dir() / "data" / "cifar10-sample"
    if not root.is_dir():
        pytest.fail(f"{root} is missing; set SYNTHSCOPE_SHARED to the folder holding data/cifar10-sample")
    out = tmp_path_factory.mktemp("monitor")
    for cls in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(cls.iterdir())
        if cls.name == NOVEL:
            parts = {"incoming": files[:N_NOVEL]}
        else:
            parts = {"train": files[:N_TRAIN], "incoming": files[N_TRAIN:N_TRAIN + N_HELD],
                     "held": files[N_TRAIN:N_TRAIN + N_HELD]}
        for part, chosen in parts.items():
            (out / part / cls.name).mkdir(parents=True, exist_ok=True)
            for f in chosen:
                shutil.copy(f, out / part / cls.name / f.name)
    (out / "degraded").mkdir()
    for f in sorted((out / "held").rglob("*.jpg")):  # darkened and blurred copies of the held-out photos
        img = ImageEnhance.Brightness(Image.open(f).convert("RGB")).enhance(0.4).filter(ImageFilter.GaussianBlur(1.5))
        img.save(out / "degraded" / f"{f.parent.name}-{f.stem}.png")
    generate_dataset(out / "shapes", 8, Biases(), "real", 0, 64)
    return {"root": out, "store": out / "store"}


def monitor(monkeypatch, capsys, data, incoming: str, out: str, *extra: str) -> tuple[int, str, Path]:
    root = data["root"]
    code, err = run_cli(monkeypatch, capsys, "monitor", "--synthetic", str(root / "train"), "--incoming",
                        str(root / incoming), "--output-dir", str(root / out), "--store-dir", str(data["store"]),
                        *SETTINGS, *extra)
    return code, err, root / out


def test_novel_class_is_found_and_outputs_are_typed(monkeypatch, capsys, data):
    code, err, out = monitor(monkeypatch, capsys, data, "incoming", "run")
    assert code == 0, err
    doc = json.loads((out / "monitor.json").read_text())
    jsonschema.validate(doc, json_schema("monitor"))
    table = pd.read_parquet(out / "novelty.parquet")
    assert list(table.columns) == ["path", "image_id", "novelty", "uncovered", "nearest_train_path", "cluster"]
    assert len(table) == doc["n_images"] == 9 * N_HELD + N_NOVEL
    novel = table["path"].str.contains(f"/{NOVEL}/").to_numpy()
    auroc = roc_auc_score(novel, table["novelty"])
    known_uncovered = table["uncovered"][~novel].mean()
    # A held-out CIFAR class is a near-novelty that mobilenet-v2's features separate poorly, and 25
    # training photos per class make every k-NN radius wide: the novel class only ranks higher here.
    # bench/monitor.py at full size (80 per class): mean AUROC 0.61 over the 10 classes, known
    # uncovered 5.0-7.8%; the issue asks AUROC 0.85 (not reached, see docs/monitoring.md).
    assert auroc > 0.5
    assert known_uncovered <= 0.10
    assert (table["cluster"] == -1).sum() == (~table["uncovered"]).sum()
    html = (out / "monitor.html").read_text()
    assert "data:image/png;base64" in html and "<script" not in html
    if doc["clusters"]:
        assert doc["clusters"][0]["examples"][0]["path"] in set(table["path"])

    # The same batch again: embeddings served from the store, no second history row.
    code, err, out = monitor(monkeypatch, capsys, data, "incoming", "run")
    assert code == 0, err
    history = pd.read_parquet(out / "monitor_history.parquet")
    assert len(history) == 1 and history["batch_id"].iloc[0] == doc["batch_id"]


def test_other_kind_of_images_are_uncovered(monkeypatch, capsys, data):
    code, err, out = monitor(monkeypatch, capsys, data, "shapes", "shapes")
    assert code == 0, err
    assert pd.read_parquet(out / "novelty.parquet")["uncovered"].mean() >= 0.9


def test_degraded_batch_raises_high_drift_and_fails_the_gate(monkeypatch, capsys, data):
    code, err, out = monitor(monkeypatch, capsys, data, "degraded", "degraded", "--fail-on", "fail")
    assert code == 2 and "monitor gates crossed: verdict fail" in err
    doc = json.loads((out / "monitor.json").read_text())
    drift = {d["attribute"]: d for d in doc["drift"]}
    assert drift["quality"]["severity"] == "high"
    assert "incoming images have lower" in drift["quality"]["message"]
    words = " ".join(c["description"] for c in doc["clusters"])
    assert "darker" in words and "blurrier" in words


def test_training_distribution_batch_raises_nothing(monkeypatch, capsys, data):
    code, err, out = monitor(monkeypatch, capsys, data, "held", "held", "--fail-on", "fail")
    assert code == 0, err
    doc = json.loads((out / "monitor.json").read_text())
    assert {d["severity"] for d in doc["drift"]} <= {"info", "low"}
    # 54 photos give a wide interval: the batch's and the reference's intervals must agree (at full
    # size, bench/monitor.py: 180 photos, 5.6% inside the reference interval [3.2%, 6.2%]).
    lo, hi = doc["reference_share"]["ci95"]
    batch_lo, batch_hi = doc["uncovered_share"]["ci95"]
    assert batch_lo <= hi and lo <= batch_hi
