import numpy as np
import pytest

from synthscope.errors import DataError
from synthscope.metrics.features_to_stats import features_to_stats, load_stats, save_stats


def test_stats_match_numpy_in_float64():
    x = np.random.default_rng(0).normal(size=(50, 7)).astype(np.float32)
    stats = features_to_stats(x)
    assert stats.mu.dtype == np.float64 and stats.sigma.dtype == np.float64 and stats.n == 50
    np.testing.assert_allclose(stats.mu, x.astype(np.float64).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.sigma, np.cov(x.astype(np.float64), rowvar=False), rtol=1e-12)


def test_save_load_roundtrip_and_peer_file(tmp_path):
    stats = features_to_stats(np.random.default_rng(1).normal(size=(20, 4)))
    back = load_stats(save_stats(tmp_path / "ref.npz", stats))
    np.testing.assert_array_equal(back.sigma, stats.sigma)
    assert back.n == 20
    np.savez(tmp_path / "peer.npz", mu=stats.mu, sigma=stats.sigma)  # pytorch-fid's layout, no n
    assert load_stats(tmp_path / "peer.npz").n == 0


def test_bad_inputs_name_the_fix(tmp_path):
    with pytest.raises(DataError, match="at least 2 samples"):
        features_to_stats(np.zeros((1, 3)))
    with pytest.raises(DataError, match="NaN"):
        features_to_stats(np.array([[0.0, np.nan], [1.0, 2.0]]))
    np.savez(tmp_path / "bad.npz", mu=np.zeros(3))
    with pytest.raises(DataError, match="sigma"):
        load_stats(tmp_path / "bad.npz")
    with pytest.raises(DataError, match="does not exist"):
        load_stats(tmp_path / "missing.npz")
