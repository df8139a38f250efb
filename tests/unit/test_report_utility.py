"""The report's utility section: the cost sentence's decision against hand-computed costs, the
realism gallery, Markdown and the Prefect artifact title carrying the real-image equivalent."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from synthscope.documents.metrics import Confusion, Utility
from synthscope.params import UtilityParams
from synthscope.report.artifacts import headline
from synthscope.report.utility import cost_sentence, realism_gallery, training_seconds, utility_section


def utility(value: float = 400.0, ci=(300.0, 500.0), bound=None, n_synthetic: int = 1000) -> Utility:
    point = {"value": 0.8, "ci95": [0.7, 0.9], "method": "m"}
    eq = {"value": value, "ci95": list(ci), "bound": bound, "replicates_above_range": 0.0, "replicates_below_range": 0.0,
          "text": ("at least " if bound else "about ") + f"{round(value):,}", "measured_sizes": [100, 1000],
          "synthetic_accuracy": 0.8}
    return Utility.model_validate({
        "value": value, "ci95": list(ci), "method": "m", "label": "real-image equivalent", "model": "linear", "n_synthetic": n_synthetic, "n_test_real": 50,
        "curve": [{"fraction": n / 1000, "n_real": n, "repeats": 3, "real_only": point, "real_plus_synthetic": point,
                   "train_seconds": {"real_only": s, "real_plus_synthetic": 2 * s}}
                  for n, s in ((100, 1.0), (1000, 2.0))],
        "synthetic_only": {**point, "n_train": n_synthetic, "train_seconds": 3.0},
        "gain": [],
        "real_equivalent": eq,
    })


def test_training_seconds_interpolate_in_log_size():
    # 400 real images sit at log10(400) - 2 = 0.602 of the 100 -> 1000 axis: 1 s + 0.602 * (2 s - 1 s)
    assert training_seconds(utility()) == {"synthetic": 3.0, "real_equivalent": pytest.approx(1 + math.log10(4))}


def test_without_costs_the_sentence_names_the_break_even_price():
    out = cost_sentence(utility(), UtilityParams())
    assert out["decision"] is None and out["break_even_ratio"] == [0.3, 0.5]
    assert "worth about 400 real training images" in out["sentence"]
    assert "less than 0.4 times as much" in out["sentence"] and "utility.cost_per_1k_real" in out["sentence"]


@pytest.mark.parametrize(
    ("syn", "real", "decision"),
    [
        (1.0, 4.0, "saves"),  # synthetic 1.0 < real 300/1000 * 4 = 1.2 at the CI's low end
        (3.0, 4.0, "does not save"),  # 3.0 > 500/1000 * 4 = 2.0 at the CI's high end
        (1.5, 4.0, "uncertain"),  # 1.2 <= 1.5 <= 2.0
    ],
)
def test_with_costs_the_decision_follows_the_interval(syn, real, decision):
    out = cost_sentence(utility(), UtilityParams(cost_per_1k_synthetic=syn, cost_per_1k_real=real))
    assert out["decision"] == decision
    assert out["synthetic_cost"] == pytest.approx(syn) and out["real_cost_ci95"] == pytest.approx([1.2, 2.0])


def test_an_open_ended_equivalent_never_reads_as_not_saving():
    u = utility(1000.0, (800.0, 1000.0), bound="at_least")
    out = cost_sentence(u, UtilityParams(cost_per_1k_synthetic=5.0, cost_per_1k_real=1.0, synthetic_images_available=5000))
    assert out["decision"] == "uncertain" and out["real_cost_ci95"][1] is None
    assert "(95% CI 800–1,000 or more)" in out["sentence"] and "5,000 synthetic images are available" in out["sentence"]


def gallery_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    table = pd.DataFrame({
        "image_id": [f"s{i}" for i in range(6)], "path": [f"x/s{i}.png" for i in range(6)],
        "label": ["a"] * 5 + ["b"], "realism": [0.5, 3.0, 1.5, np.inf, 0.9, np.nan],
        "nearest_real_id": ["r0"] * 6, "nearest_real_path": ["x/r0.png"] * 6, "nearest_real_label": ["a"] * 6,
        "distance": [1.0] * 6, "outlier": [True, False, False, False, True, pd.NA],
    })
    index = pd.DataFrame({"image_id": [f"s{i}" for i in range(6)] + ["r0"], "role": ["synthetic"] * 6 + ["real"],
                          "label": ["a"] * 5 + ["b", "a"], "path": list(table["path"]) + ["x/r0.png"],
                          "root": ["/syn"] * 6 + ["/real"]})
    return table, index


def test_gallery_shows_least_and_most_realistic_per_class_with_their_nearest_real_image():
    table, index = gallery_inputs()
    (a,) = realism_gallery(table, index, 2)  # class b has no score: left out
    assert [p["query"]["image_id"] for p in a["least"]] == ["s0", "s4"]
    assert [p["query"]["image_id"] for p in a["most"]] == ["s3", "s1"]
    assert a["most"][0]["realism"] is None  # +inf (on a real sample) is shown as such, not as JSON inf
    assert a["least"][0]["neighbour"] == {"image_id": "r0", "path": "x/r0.png", "root": "/real", "label": "a",
                                          "role": "real"}
    assert a["n_outliers"] == 2
    wide = realism_gallery(table, index, 3)[0]  # 5 images: 3 least, the other 2 most; none shown twice
    assert [p["query"]["image_id"] for p in wide["least"] + wide["most"]] == ["s0", "s4", "s2", "s3", "s1"]


def test_section_and_artifact_title_carry_the_real_image_equivalent():
    table, index = gallery_inputs()
    confusion = Confusion(labels=["a"], rows="true", columns="predicted", counts=[[1]], shares=[[1.0]])
    metrics = SimpleNamespace(utility=utility(), augmentation=None,  # the MetricsDocument fields the section reads
                              cas=SimpleNamespace(confusion=confusion, collapse=[], model="linear"))
    section = utility_section(metrics, table, index, UtilityParams(), 1)
    assert section.realism_summary == {"n": 5, "n_outliers": 2, "median": 1.2}
    title = headline(SimpleNamespace(verdict="warn", findings=[], utility=section))  # the ReportDocument fields it reads
    assert title == "verdict: warn - 0 finding(s) above low - synthetic set worth about 400 real images (95% CI 300–500)"
    assert utility_section(None, None, index, UtilityParams(), 1) is None
