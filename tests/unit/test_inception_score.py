import numpy as np
import pytest
import torch
from torch_fidelity.metric_isc import isc_features_to_metric

from synthscope.metrics.inception_score import inception_score


def test_matches_torch_fidelity():
    logits = np.random.default_rng(0).normal(scale=3.0, size=(203, 17))
    ours = inception_score(logits, splits=5, seed=11)
    ref = isc_features_to_metric(torch.from_numpy(logits), splits=5, shuffle=True, rng_seed=11)
    assert ours.mean == pytest.approx(ref["inception_score_mean"], rel=1e-10)
    assert ours.std == pytest.approx(ref["inception_score_std"], rel=1e-9)


def test_closed_forms():
    # identical predictions: p(y|x) = p(y), KL 0, IS 1
    assert inception_score(np.zeros((40, 5)), splits=4).mean == pytest.approx(1.0)
    # confident, evenly spread over C classes: IS = C
    logits = np.full((60, 6), -50.0)
    logits[np.arange(60), np.arange(60) % 6] = 50.0
    assert inception_score(logits, splits=1).mean == pytest.approx(6.0, rel=1e-9)
