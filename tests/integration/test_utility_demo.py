"""Acceptance (issue 14) on the demo data: the faithful synthetic set (``unbiased``) is worth more
real training images than the biased one, every utility number has an interval, and
realism.parquet ranks the biased set's planted copies of real images as realistic."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthscope.config import load_config
from synthscope.io import read_json
from synthscope.params import DemoParams
from synthscope.stages import run_stage
from tests.conftest import FAST_PARAMS


def _intervals(obj, path="utility") -> list[str]:
    """Paths of every object with a ``value`` that lacks a two-sided ``ci95`` around it."""
    bad = []
    if isinstance(obj, dict):
        if "value" in obj:
            ci = obj.get("ci95")
            if not (isinstance(ci, list) and len(ci) == 2 and ci[0] - 1e-9 <= obj["value"] <= ci[1] + 1e-9):
                bad.append(path)
        for k, v in obj.items():
            bad += _intervals(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            bad += _intervals(v, f"{path}[{i}]")
    return bad


@pytest.mark.slow
def test_faithful_synthetic_set_is_worth_more_real_images_than_the_biased_one(tmp_path):
    from synthscope.demo.generate import read_truth, write_demo

    data = write_demo(tmp_path / "demo", DemoParams(n_per_class=40), seed=0)
    docs = {}
    for variant in ("synthetic", "unbiased"):
        config = load_config(None, {"synthetic": str(data[variant]), "real": str(data["real"]),
                                    "output_dir": str(tmp_path / variant), "store_dir": str(tmp_path / "store")},
                             None, FAST_PARAMS | {"score.curve_repeats": 3})  # the curves are the subject
        for stage in ("ingest", "features", "score"):
            run_stage(stage, config)
        docs[variant] = read_json(tmp_path / variant / "metrics.json")
    eq = {k: d["utility"]["real_equivalent"] for k, d in docs.items()}
    assert eq["unbiased"]["value"] > eq["synthetic"]["value"], json.dumps(eq, indent=1)
    for variant, doc in docs.items():
        assert _intervals(doc["utility"]) == [], variant
        assert doc["utility"]["real_equivalent"]["method"] and doc["utility"]["synthetic_only"]["method"]
        assert np.array(doc["cas"]["confusion"]["counts"]).sum() == doc["cas"]["split"]["n_test_real"]

    realism = pd.read_parquet(tmp_path / "synthetic" / "realism.parquet")
    _, truth = read_truth(data["synthetic"])
    assert len(realism) == docs["synthetic"]["n_synthetic"] and realism["realism"].notna().all()
    copies = realism["path"].isin(truth.loc[truth["source"] == "memorized", "path"])
    assert copies.any()  # the demo plants copies of real images
    # a copy sits on a real image: among the most realistic, its nearest real image at distance ~0
    assert realism.loc[copies, "realism"].min() >= realism["realism"].median()
    assert realism.loc[copies, "distance"].max() < realism.loc[~copies, "distance"].min()
