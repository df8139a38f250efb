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


def test_inception_logits_are_unbiased_like_torch_fidelity():
    """Issue 12: IS from pool3 @ W without fc.bias, as torch-fidelity's ``logits_unbiased`` (its
    FeatureExtractorInceptionV3: ``x.mm(self.fc.weight.T)``) and the TF original.

    Our FIDInception head runs on given pool3 features (the trunk swapped for a pass-through);
    torch-fidelity's ISC runs on its unbiased logits of the same features and the same fc.
    """
    from torch import nn

    from synthscope.features.inception import FIDInception

    model = FIDInception().eval()
    model.trunk = nn.Identity()
    with torch.no_grad():
        model.net.fc.weight.normal_(0, 0.1, generator=torch.Generator().manual_seed(0))
        model.net.fc.bias.uniform_(-5, 5, generator=torch.Generator().manual_seed(1))  # a bias that shows
    pool3 = torch.rand(150, 2048, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        features, logits = model(pool3[:, :, None, None])
    assert torch.equal(features, pool3)
    fidelity_logits = pool3.mm(model.net.fc.weight.T)  # torch-fidelity's logits_unbiased
    ref = isc_features_to_metric(fidelity_logits.to(torch.float32), splits=5, shuffle=True, rng_seed=3)
    ours = inception_score(logits.numpy(), splits=5, seed=3)
    assert ours.mean == pytest.approx(ref["inception_score_mean"], rel=1e-5)
    with torch.no_grad():
        biased = inception_score(model.net.fc(pool3).numpy(), splits=5, seed=3)
    assert abs(biased.mean - ours.mean) > 0.02 * ours.mean  # the test would catch a bias added back
