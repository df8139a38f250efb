"""The "How synthetic differs from real" section: example pairs and the section data."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from synthscope.documents.bias import ObjectCoverage
from synthscope.params import ScanParams
from synthscope.report.drift import drift_section, most_synthetic_pairs


def index_and_features(n: int = 20) -> tuple[pd.DataFrame, np.ndarray]:
    """Real rows near (0, 1); synthetic rows move from real-like (i=0) to far off (i=n-1) along x."""
    rng = np.random.default_rng(0)
    real = np.c_[rng.normal(0, 0.05, n), np.ones(n)]
    syn = np.c_[np.linspace(0, 3, n), np.ones(n)]
    index = pd.DataFrame({
        "image_id": [f"s{i}" for i in range(n)] + [f"r{i}" for i in range(n)],
        "role": ["synthetic"] * n + ["real"] * n,
        "label": "a",
        "path": [f"syn/{i}.png" for i in range(n)] + [f"real/{i}.png" for i in range(n)],
        "root": "/data",
    })
    return index, np.vstack([syn, real])


def test_most_synthetic_pairs_rank_the_far_off_images_first_with_their_nearest_real() -> None:
    index, features = index_and_features()
    pairs = most_synthetic_pairs(index, features, ScanParams(), limit=3)
    assert len(pairs) == 3
    assert {p["query"]["image_id"] for p in pairs} <= {f"s{i}" for i in range(14, 20)}
    probs = [p["probability"] for p in pairs]
    assert probs == sorted(probs, reverse=True) and probs[0] > 0.5
    # nearest real by cosine, checked by brute force
    real = features[20:] / np.linalg.norm(features[20:], axis=1, keepdims=True)
    for p in pairs:
        q = features[int(p["query"]["image_id"][1:])]
        best = int(np.argmax(real @ (q / np.linalg.norm(q))))
        assert p["neighbour"]["image_id"] == f"r{best}"


def test_no_pairs_without_features_or_real_images() -> None:
    index, features = index_and_features()
    assert most_synthetic_pairs(index, None, ScanParams(), 3) == []
    syn_only = index[index["role"] == "synthetic"].reset_index(drop=True)
    assert most_synthetic_pairs(syn_only, features[:20], ScanParams(), 3) == []


def test_section_keeps_drift_findings_and_coverage() -> None:
    findings = [{"check": "drift", "attribute": "resolution"}, {"check": "shortcut", "attribute": "color"}]
    summary = SimpleNamespace(reference="real", object_attributes={
        "synthetic": ObjectCoverage(images=10, measured=10, cluttered_background=0, no_distinct_object=0),
        "real": ObjectCoverage(images=10, measured=4, cluttered_background=5, no_distinct_object=1),
    })
    section = drift_section(findings, summary, [])
    assert section["compared"] and [f["attribute"] for f in section["findings"]] == ["resolution"]
    assert section["coverage"][1] == ("object attributes measured on 4 of 10 real images (5 with a cluttered "
                                      "background, 1 with no object distinct from the backdrop)")
