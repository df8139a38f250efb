"""The drift check: a two-sample classifier per attribute group, on composites and CIFAR photos."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthscope.bias.base import ScanData
from synthscope.bias.drift import Drift, auc_standard_error, classifier_auc, drift_value
from synthscope.bias.flag import flag
from synthscope.demo.composite import composite
from synthscope.features.attributes import image_attributes
from synthscope.params import ScanParams
from synthscope.schema import severity_rank
from tests.shared_data import cifar_sample

CLASSES = ("fist", "palm", "scissors")


def frame(images: list[np.ndarray], role: str) -> pd.DataFrame:
    rows = [image_attributes(img) | {"label": CLASSES[i % 3], "role": role, "path": f"{role}/{i}.png"}
            for i, img in enumerate(images)]
    return pd.DataFrame(rows)


def studio(n: int, seed: int, size: tuple[int, int], colour: tuple[int, int, int] | None) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [composite(rng, *size, "flat", crosses_edge=i % 2 == 1, colour=colour).rgb for i in range(n)]


def drift_rows(syn: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    params = ScanParams()
    return flag(Drift().score(ScanData(syn, real), params), params)


def test_auc_and_its_standard_error_match_closed_forms() -> None:
    # perfectly separable groups: AUC 1, zero standard error, drift value 1
    rng = np.random.default_rng(0)
    auc, proba = classifier_auc(rng.normal(5, 1, (60, 2)), rng.normal(-5, 1, (60, 2)), ScanParams())
    assert auc == 1.0 and proba.shape == (60,)
    assert auc_standard_error(1.0, 60, 60) == 0.0 and drift_value(1.0, 60, 60) == 1.0
    # Hanley & McNeil's worked example: AUC 0.5 with 50 + 50 gives SE sqrt(0.25 + 49*(1/3-1/4)*2)/50
    assert auc_standard_error(0.5, 50, 50) == pytest.approx(np.sqrt(0.25 + 2 * 49 * (1 / 3 - 0.25)) / 50)
    assert drift_value(0.55, 50, 50) == 0.0  # within the noise of 50 + 50 samples


def test_same_generator_raises_nothing_above_low() -> None:
    rows = drift_rows(frame(studio(60, 1, (64, 64), None), "synthetic"), frame(studio(60, 2, (64, 64), None), "real"))
    print(rows[["attribute", "class", "score", "flag_value", "severity"]].to_string())
    assert len(rows) >= 6
    assert rows["severity"].map(severity_rank).max() <= severity_rank("low")


def test_white_small_renders_vs_green_photos_raise_high_background_and_resolution() -> None:
    syn = frame(studio(45, 1, (28, 28), (250, 250, 250)), "synthetic")
    real = frame(studio(45, 2, (300, 200), (35, 124, 49)), "real")
    rows = drift_rows(syn, real)
    overall = rows[rows["class"].isna()].set_index("attribute")
    print(overall[["score", "severity", "message"]].to_string())
    assert overall.loc["background", "severity"] == "high"
    assert overall.loc["resolution", "severity"] == "high"
    assert "synthetic backgrounds are white (RGB 2" in overall.loc["background", "message"]
    assert "real ones green (RGB" in overall.loc["background", "message"]
    assert "synthetic images are 28x28, real ones 300x200" in overall.loc["resolution", "message"]
    # per class too
    per_class = rows[(rows["attribute"] == "resolution") & rows["class"].notna()]
    assert set(per_class["class"]) == set(CLASSES) and (per_class["severity"] == "high").all()


def test_embeddings_give_the_overall_gap_naming_the_groups() -> None:
    syn = frame(studio(30, 1, (28, 28), (250, 250, 250)), "synthetic")
    real = frame(studio(30, 2, (300, 200), (35, 124, 49)), "real")
    rng = np.random.default_rng(0)
    emb_s, emb_r = rng.normal(0.5, 1, (30, 16)), rng.normal(-0.5, 1, (30, 16))
    params = ScanParams()
    rows = Drift().score(ScanData(syn, real, emb_s, emb_r), params)
    overall = rows[rows["attribute"].isna()].iloc[0]
    assert overall["score"] > 0.9
    assert "most of the gap is in" in overall["message"] and "(AUC 1.00)" in overall["message"]


def test_cifar_reference_object_groups_use_only_trusted_masks() -> None:
    photos = cifar_sample(per_class=6)
    real = frame([img for _, img in photos], "real")
    syn = frame(studio(60, 1, (32, 32), None), "synthetic")
    rows = drift_rows(syn, real)
    colour = rows[(rows["attribute"] == "color") & rows["class"].isna()].iloc[0]
    trusted = int((real["mask_confidence"] >= ScanParams().min_mask_confidence).sum())
    assert f"object attributes measured on {trusted} of {len(real)} real images" in colour["message"]
    assert "cluttered background" in colour["message"]
    assert rows.loc[rows["attribute"] == "resolution", "severity"].eq("info").all()  # both 32x32


def test_no_reference_no_drift() -> None:
    syn = frame(studio(9, 1, (32, 32), None), "synthetic")
    assert Drift().score(ScanData(syn), ScanParams()).empty
