"""A reduced bench/calibration.py in CI: null pairs of real photos never fail, the demo always fails.

Null pairs are two disjoint, class-stratified draws of the shared CIFAR-10 sample at 100 and
500 per side (500 is the whole sample), 5 seeds each; the verdict of the metric gates
(``params.yaml`` defaults, the real-vs-real references of ``score_all``) must never be ``fail``.
The demo's synthetic set against its real set must fail every time (5 seeds of the generator).

Embeddings: MobileNetV2 costs minutes for 1,000 images on CI's 2 cores, and the null property
(two samples of one distribution are as far apart as two samples of one distribution) does not
depend on the feature map, so this test embeds with a fixed pixel map (8 x 8 thumbnails plus
colour moments), computed once per image and reused across seeds. bench/calibration.py measures
the same gates with MobileNetV2 and the bias scan (docs/calibration.md). The findings' side of
the null check belongs to the scan's own tests.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from synthscope.config import load_params
from synthscope.documents import ExtractorRef
from synthscope.metrics.suite import RoleData, ScoreInputs, score_all
from synthscope.report.gates import evaluate_gates
from synthscope.report.verdict import verdict_sentence
from tests.shared_data import REPO, cifar_sample

PARAMS = load_params(REPO / "params.yaml")
EXTRACTOR = ExtractorRef(name="pixels-8x8", weights="official", sha256=None)


def pixel_features(images: list[np.ndarray]) -> np.ndarray:
    """(N, 204): an 8 x 8 RGB thumbnail and per-channel mean, std, 10th/50th/90th percentiles, in [0, 1]."""
    out = []
    for rgb in images:
        thumb = np.asarray(Image.fromarray(rgb).resize((8, 8), Image.Resampling.BOX), dtype=np.float64) / 255
        px = rgb.reshape(-1, 3) / 255.0
        moments = [px.mean(0), px.std(0), *np.percentile(px, [10, 50, 90], axis=0)]
        out.append(np.concatenate([thumb.ravel(), *moments]))
    return np.asarray(out, dtype=np.float32)


def role(features: np.ndarray, labels: np.ndarray, rows: np.ndarray, tag: str) -> RoleData:
    return RoleData(ids=np.array([f"{tag}{r}" for r in rows]), labels=labels[rows], features=features[rows],
                    logits=np.zeros((len(rows), 2), dtype=np.float32))


def verdict(features_s, labels_s, rows_s, features_r, labels_r, rows_r) -> tuple[str, str]:
    metrics = score_all(
        ScoreInputs(synthetic=role(features_s, labels_s, rows_s, "s"), real=role(features_r, labels_r, rows_r, "r"),
                    extractor=EXTRACTOR, params=PARAMS.score),
        only=("real_vs_real",),
    )
    gates = ("max_fd_ratio", "max_kid_excess", "min_coverage_ratio")
    result = evaluate_gates(metrics, None, PARAMS.gates)
    checks = [c for c in result.checks if c.gate in gates]
    status = "fail" if any(c.status == "fail" for c in checks) else "warn" if any(
        c.status == "warn" for c in checks) else "pass"
    return status, verdict_sentence(result, metrics)


@pytest.fixture(scope="module")
def cifar():
    sample = cifar_sample(100)
    labels = np.array([label for label, _ in sample])
    return pixel_features([img for _, img in sample]), labels


def halves(labels: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    per = n // len(classes)
    a, b = [], []
    for c in classes:
        rows = rng.permutation(np.flatnonzero(labels == c))
        a.append(rows[:per])
        b.append(rows[per:2 * per])
    return np.concatenate(a), np.concatenate(b)


@pytest.mark.parametrize("n", [100, 500])
def test_null_pairs_of_real_photos_never_fail(cifar, n):
    features, labels = cifar
    for seed in range(5):
        a, b = halves(labels, n, seed)
        status, sentence = verdict(features, labels, a, features, labels, b)
        assert status != "fail", (n, seed, sentence)
        if n == 500:  # the whole sample: halves of the same photos pass (20 of 20 seeds, docs/calibration.md)
            assert status == "pass", (n, seed, sentence)


def test_the_demo_always_fails(tmp_path):
    from synthscope.datasets.image import load_rgb
    from synthscope.demo.generate import DEMO_BIASES, Biases, generate_dataset

    for seed in range(5):
        real_dir, syn_dir = tmp_path / f"real{seed}", tmp_path / f"syn{seed}"
        generate_dataset(real_dir, 40, Biases(), "real", seed, 32)
        generate_dataset(syn_dir, 40, DEMO_BIASES, "synthetic", seed + 2, 32, real_dir=real_dir)
        sets = []
        for folder in (syn_dir, real_dir):
            files = sorted(folder.glob("*/*.png"))
            sets.append((pixel_features([load_rgb(f) for f in files]), np.array([f.parent.name for f in files])))
        (fs, ls), (fr, lr) = sets
        status, sentence = verdict(fs, ls, np.arange(len(ls)), fr, lr, np.arange(len(lr)))
        assert status == "fail", (seed, sentence)
        assert sentence.startswith("Synthetic differs from real more than two real samples differ")
