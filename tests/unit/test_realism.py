"""Realism score (Kynkaenniemi et al. 2019) against hand-computed and brute-force cases; the
nearest real image against scikit-learn; the realism.parquet frame and its outlier flag."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import NearestNeighbors

from synthscope.metrics.realism import realism, realism_frame, realism_scores


def test_realism_score_matches_a_hand_computed_case():
    # 1-NN radii: 1, 1, 1, 1 and 7 for the outlier at 10; the median is 1, so the outlier's
    # ball is pruned. At 1.5 the best ratio is 1 / 0.5 = 2; at 9 it is 1 / 6 (7 / 1 unpruned).
    real = np.array([[0.0], [1.0], [2.0], [3.0], [10.0]])
    scores = realism_scores(real, np.array([[1.5], [9.0], [1.0]]), k=1)
    assert scores[0] == pytest.approx(2.0)
    assert scores[1] == pytest.approx(1 / 6)
    assert np.isinf(scores[2])  # on a real sample
    with pytest.raises(ValueError, match="more than k"):
        realism_scores(real[:1], real, k=1)


def test_realism_score_in_two_dimensions_by_brute_force():
    rng = np.random.default_rng(0)
    real, cand, k = rng.normal(size=(30, 2)), rng.normal(size=(7, 2)), 3
    dist = np.linalg.norm(real[:, None] - real[None], axis=2)
    radii = np.sort(dist, axis=1)[:, k]
    keep = radii <= np.median(radii)
    expected = [max(r / np.linalg.norm(g - x) for x, r in zip(real[keep], radii[keep], strict=True)) for g in cand]
    assert realism_scores(real, cand, k) == pytest.approx(expected)


def test_nearest_real_image_matches_scikit_learn():
    rng = np.random.default_rng(1)
    real, cand = rng.normal(size=(80, 16)), rng.normal(size=(25, 16))
    res = realism(real, cand, k=5)
    dist, idx = NearestNeighbors(n_neighbors=1).fit(real).kneighbors(cand)
    np.testing.assert_array_equal(res.nearest, idx[:, 0])
    np.testing.assert_allclose(res.distance, dist[:, 0], rtol=1e-9)


def test_the_nearest_image_may_be_a_pruned_outlier():
    # 9.5 is closest to the outlier at 10, whose ball is pruned from the score but not from the search.
    real = np.array([[0.0], [1.0], [2.0], [3.0], [10.0]])
    res = realism(real, np.array([[9.5]]), k=1)
    assert res.nearest[0] == 4 and res.distance[0] == pytest.approx(0.5) and res.score[0] == pytest.approx(1 / 6.5)


def _rows(prefix: str, n: int) -> pd.DataFrame:
    return pd.DataFrame({"image_id": [f"{prefix}{i}" for i in range(n)],
                         "path": [f"c/{prefix}{i}.png" for i in range(n)], "label": ["c", "d"] * (n // 2) + ["c"] * (n % 2)})


def test_realism_frame_flags_outliers_by_the_threshold():
    real = np.array([[0.0], [1.0], [2.0], [3.0], [10.0]])
    res = realism(real, np.array([[1.5], [9.5]]), k=1)
    frame = realism_frame(_rows("s", 2), _rows("r", 5), res, outlier_below=1.0)
    assert list(frame["outlier"]) == [False, True]  # scores 2.0 and 1/6.5
    assert list(frame["nearest_real_id"]) == ["r1", "r4"] and list(frame["nearest_real_path"]) == ["c/r1.png", "c/r4.png"]
    assert list(realism_frame(_rows("s", 2), _rows("r", 5), res, outlier_below=3.0)["outlier"]) == [True, True]


def test_realism_frame_without_reference_has_null_scores():
    frame = realism_frame(_rows("s", 4), _rows("r", 0), None, 1.0)
    assert len(frame) == 4 and frame["realism"].isna().all() and frame["outlier"].isna().all()
