"""Features -> Gaussian statistics (mean, covariance) in float64, and their ``.npz`` form.

FID compares two Gaussians fitted to embeddings. The statistics are computed in float64
because the covariance of 2048-d float32 features loses about four digits to cancellation,
which the trace term then amplifies. A reference's statistics can be saved once and reused
(``mu``/``sigma`` keys, the same layout pytorch-fid reads), so a large real set need not be
re-embedded for every audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthscope.errors import DataError
from synthscope.io import atomic_path


@dataclass(frozen=True)
class FeatureStats:
    """``mu`` float64 (D,), ``sigma`` float64 (D, D) sample covariance (ddof=1), ``n`` samples."""

    mu: np.ndarray
    sigma: np.ndarray
    n: int


def as_float64_2d(features: np.ndarray, what: str = "features") -> np.ndarray:
    """Return ``features`` as a C-contiguous float64 (N, D) array; reject NaN/inf and N < 2."""
    arr = np.ascontiguousarray(features, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{what} must be 2-d (N, D), got shape {arr.shape}")
    if arr.shape[0] < 2:
        raise DataError(f"{what}: need at least 2 samples for a covariance, got {arr.shape[0]}; add images")
    if not np.isfinite(arr).all():
        raise DataError(f"{what} contain NaN or inf; re-run the features stage")
    return arr


def features_to_stats(features: np.ndarray) -> FeatureStats:
    """(N, D) features of any float dtype -> float64 mean and unbiased covariance (like np.cov)."""
    arr = as_float64_2d(features)
    mu = arr.mean(axis=0)
    centred = arr - mu
    sigma = centred.T @ centred / (arr.shape[0] - 1)
    return FeatureStats(mu=mu, sigma=sigma, n=int(arr.shape[0]))


def save_stats(path: Path | str, stats: FeatureStats) -> Path:
    """Write ``mu``, ``sigma`` (and ``n``) to ``path`` atomically, readable by pytorch-fid too."""
    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, mu=stats.mu, sigma=stats.sigma, n=np.int64(stats.n))
    return Path(path)


def load_stats(path: Path | str) -> FeatureStats:
    """Read an ``.npz`` with ``mu`` and ``sigma`` (ours, pytorch-fid's or clean-fid's)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"statistics file {path} does not exist; pass an .npz with mu and sigma")
    with np.load(path) as data:
        missing = [k for k in ("mu", "sigma") if k not in data.files]
        if missing:
            raise DataError(f"{path} has no {missing[0]!r} array; save it with mu and sigma keys")
        mu = np.asarray(data["mu"], dtype=np.float64)
        sigma = np.asarray(data["sigma"], dtype=np.float64)
        n = int(data["n"]) if "n" in data.files else 0  # 0: unknown (peer files do not record it)
    if mu.ndim != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
        raise DataError(f"{path}: mu {mu.shape} and sigma {sigma.shape} do not match; re-save the statistics")
    return FeatureStats(mu=mu, sigma=sigma, n=n)
