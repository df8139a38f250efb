"""``synthscope fid`` on saved statistics (folders need the features branch's extractor)."""

import numpy as np
import pytest
from typer.testing import CliRunner

from synthscope.cli import app
from synthscope.metrics.features_to_stats import features_to_stats, save_stats
from synthscope.metrics.frechet_distance import frechet_distance


def test_fid_last_line_is_the_number(tmp_path):
    rng = np.random.default_rng(0)
    a, b = features_to_stats(rng.normal(size=(100, 5))), features_to_stats(rng.normal(size=(90, 5)) + 1)
    save_stats(tmp_path / "a.npz", a)
    save_stats(tmp_path / "b.npz", b)
    result = CliRunner().invoke(app, ["fid", str(tmp_path / "a.npz"), str(tmp_path / "b.npz")])
    assert result.exit_code == 0, result.output
    assert float(result.output.strip().splitlines()[-1]) == pytest.approx(frechet_distance(a, b), rel=1e-6)
