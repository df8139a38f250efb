import numpy as np
import pytest
from prdc import compute_prdc

from synthscope.metrics.prdc import precision_recall_density_coverage


def test_matches_prdc_package():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(150, 8))
    fake = rng.normal(loc=0.4, scale=1.3, size=(120, 8))
    ref = compute_prdc(real_features=real, fake_features=fake, nearest_k=5)
    ours = precision_recall_density_coverage(fake, real, k=5).values
    for key in ("precision", "recall", "density", "coverage"):
        assert ours[key] == pytest.approx(float(ref[key]), abs=1e-12), key


def test_hand_computed_case():
    # real on a line at 0..4, k=1: each real radius is 1. Fakes at 0.5 (inside) and 10 (outside).
    real = np.arange(5, dtype=float)[:, None]
    fake = np.array([[0.5], [10.0], [10.5]])
    res = precision_recall_density_coverage(fake, real, k=1)
    # fake radii (k=1): 9.5, 0.5, 0.5 -> only real 0 (distance 0.5 < 9.5? yes) and reals within 9.5 of 0.5
    assert res.values["precision"] == pytest.approx(1 / 3)
    assert res.values["density"] == pytest.approx(2 / 3)  # 0.5 lies in the balls of reals 0 and 1
    assert res.values["coverage"] == pytest.approx(2 / 5)  # reals 0 and 1 have a fake within radius 1
    assert res.values["recall"] == pytest.approx(1.0)  # the 9.5 ball around 0.5 holds every real
