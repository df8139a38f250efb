"""Features -> FID with an interval that accounts for FID's small-sample bias, and FID-infinity.

The plug-in Fréchet distance is biased upwards, roughly by ``k * (1/n1 + 1/n2)`` (Chong &
Forsyth 2020, "Effectively Unbiased FID and Inception Score and where to find them"). A
percentile bootstrap resamples *with* replacement, which duplicates rows and adds more of the
same bias: its interval sat above its own estimate (issue 12). Here instead:

- **Subsets without duplicated rows** at fractions ``f`` of both sets (``f * n1`` vs
  ``f * n2`` rows, drawn without replacement). Their mean FID against
  ``x = 1/m1 + 1/m2``, together with the full-sample point, is fitted by least squares:
  ``FID(x) = intercept + slope * x``. The intercept is **FID-infinity**, the bias-extrapolated
  value at infinite samples; ``slope * x_n`` estimates the bias of the full-sample FID.
- **Spread from half-samples** (``f = 1/2``): for a smooth statistic, a subset of m out of n
  rows without replacement deviates from the full-sample value with variance
  ``sigma^2 (1/m - 1/n)`` (finite-population correction), which at ``m = n/2`` is exactly
  ``sigma^2 / n``, the variance of the full-sample estimate. So the standard deviation of the
  half-sample FIDs estimates the standard error at full n, with no ``sqrt(m/n)`` rescaling
  left to do (m-out-of-n subsampling, Politis & Romano 1994, with the correction at
  ``m = n/2``).
- **Interval**: bias-corrected normal interval ``FID-inf +- z * se``, widened to contain the
  reported full-sample FID (which sits above it by the estimated bias), clipped at 0.
- **Outside the 1/N regime** (the smallest subset has fewer rows than dimensions) the bias is
  not linear in 1/N and FID-inf is not trustworthy: measured on two halves of the CIFAR-10
  sample (500 vs 500 x 1280, same distribution) FID-inf was 26 where the true value is 0.
  There the lower end is 0 (``extrapolation_reliable`` False): the data cannot bound FID
  from below.

Coverage of the population (closed-form) FID is checked by simulation in
``tests/stats/test_interval_coverage.py``.

The metric ``fid`` (metrics.json ``fid``: the value, this interval, FID-inf and per-class
distances) is registered here, with its settings :class:`FidSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from synthscope.documents.common import Document
from synthscope.documents.metrics import ClassDistance, FidInfinity, FidPoint, FrechetDistance
from synthscope.metrics.features_to_stats import as_float64_2d
from synthscope.metrics.frechet_distance import frechet_distance_from_features, per_class_frechet_distance
from synthscope.metrics.metric import Metric, ScoreInputs, distance_label, labelled, network, register_metric
from synthscope.params import ScoreParams

FRACTIONS = (0.5, 0.625, 0.75, 0.875)  # subset sizes for the 1/N fit; 0.5 also gives the spread
METHOD = (
    "subsampling without replacement: bias-corrected normal interval around FID-inf "
    "(1/N extrapolation), standard error from half-samples, widened to contain the estimate"
)


@dataclass(frozen=True)
class FidInterval:
    """``value``: full-sample FID; ``ci95`` (lo, hi); ``fid_inf`` with its fit; ``se`` at full n."""

    value: float
    ci95: tuple[float, float]
    se: float
    fid_inf: float
    slope: float
    points: list[FidPoint]  # one per fitted size
    reliable: bool = True  # every fitted subset has at least as many rows as dimensions

    def fid_infinity(self) -> FidInfinity:
        """metrics.json ``fid.fid_inf``."""
        return FidInfinity(
            value=self.fid_inf,
            intercept=self.fid_inf,
            slope=self.slope,
            x="1/n_synthetic + 1/n_real",
            extrapolation_reliable=self.reliable,
            points=self.points,
            method="least-squares line of mean subset FID against 1/n_synthetic + 1/n_real, "
            "evaluated at 0 (Chong & Forsyth 2020)",
        )


def _subset_fids(a: np.ndarray, b: np.ndarray, fraction: float, reps: int, rng: np.random.Generator) -> np.ndarray:
    """FIDs of ``reps`` random (fraction * n1, fraction * n2) subsets, rows drawn without replacement."""
    m1, m2 = max(2, round(fraction * len(a))), max(2, round(fraction * len(b)))
    out = np.empty(reps)
    for r in range(reps):
        out[r] = frechet_distance_from_features(
            a[rng.choice(len(a), m1, replace=False)], b[rng.choice(len(b), m2, replace=False)]
        )
    return out


def _allocate(reps: int) -> list[int]:
    """Half of the replicates to f = 1/2 (they set the width), the rest spread over the other sizes."""
    half = max(2, reps // 2)
    rest = max(2, (reps - half) // (len(FRACTIONS) - 1))
    return [half] + [rest] * (len(FRACTIONS) - 1)


def fid_with_interval(
    synthetic: np.ndarray, real: np.ndarray, reps: int = 50, seed: int = 0, level: float = 0.95
) -> FidInterval:
    """(n1, D) and (n2, D) features -> FID, its bias-aware interval and FID-inf.

    ``reps`` is the total number of subset FIDs computed (each costs one Fréchet distance).
    """
    a = as_float64_2d(synthetic, "synthetic features")
    b = as_float64_2d(real, "real features")
    value = frechet_distance_from_features(a, b)
    rng = np.random.default_rng(seed)
    xs, ys, points = [1 / len(a) + 1 / len(b)], [value], []
    points.append(FidPoint(n_synthetic=len(a), n_real=len(b), x=xs[0], fid=value))
    half_fids = np.empty(0)
    for fraction, n_reps in zip(FRACTIONS, _allocate(reps), strict=True):
        fids = _subset_fids(a, b, fraction, n_reps, rng)
        if fraction == 0.5:
            half_fids = fids
        m1, m2 = max(2, round(fraction * len(a))), max(2, round(fraction * len(b)))
        xs.append(1 / m1 + 1 / m2)
        ys.append(float(fids.mean()))
        points.append(FidPoint(n_synthetic=m1, n_real=m2, x=xs[-1], fid=ys[-1]))
    slope, intercept = np.polyfit(np.asarray(xs), np.asarray(ys), 1)
    se = float(half_fids.std(ddof=1))
    z = float(norm.ppf(0.5 + level / 2))
    reliable = min(len(a), len(b)) * min(FRACTIONS) >= a.shape[1]
    lo = max(0.0, min(intercept - z * se, value)) if reliable else 0.0
    hi = max(intercept + z * se, value)
    return FidInterval(
        value=value,
        ci95=(float(lo), float(hi)),
        se=se,
        fid_inf=float(intercept),
        slope=float(slope),
        points=sorted(points, key=lambda p: p.x),
        reliable=bool(reliable),
    )


@dataclass(frozen=True)
class FidSettings:
    """``score.fid_*`` and ``score.per_class_min_samples``: what the FID metric reads."""

    subsample_reps: int
    min_samples: int  # below this per side the value is biased upwards: a warning, per-class small_n
    per_class_min_samples: int  # fewer per side: no per-class value
    seed: int

    @classmethod
    def from_params(cls, p: ScoreParams) -> FidSettings:
        return cls(subsample_reps=p.fid_subsample_reps, min_samples=p.fid_min_samples,
                   per_class_min_samples=p.per_class_min_samples, seed=p.seed)


def per_class_distances(inp: ScoreInputs, settings: FidSettings) -> dict[str, ClassDistance]:
    """Per-class Fréchet distances, each flagged ``small_n`` below ``fid_min_samples`` per side."""
    syn, real = inp.synthetic, inp.real
    assert real is not None
    if not (labelled(syn.labels) and labelled(real.labels)):
        return {}  # an unlabelled side: score_all records why in "skipped"
    if len(set(syn.labels.tolist()) | set(real.labels.tolist())) < 2:
        return {}  # one class (or unlabelled arrays): its "per-class" value would repeat the total
    per_class = per_class_frechet_distance(
        syn.features, syn.labels, real.features, real.labels, settings.per_class_min_samples
    )
    return {
        k: ClassDistance(
            value=v["value"],
            n_synthetic=v["n_a"],
            n_real=v["n_b"],
            small_n=min(v["n_a"], v["n_b"]) < settings.min_samples,  # type: ignore[operator]
        )
        for k, v in per_class.items()
    }


def fid_metric(inp: ScoreInputs) -> dict[str, Document]:
    """metrics.json ``fid``: the full-sample value with its interval, FID-inf, per-class values and warnings."""
    settings, syn, real = FidSettings.from_params(inp.params), inp.synthetic, inp.real
    assert real is not None
    res = fid_with_interval(syn.features, real.features, settings.subsample_reps, settings.seed)
    n_min = min(len(syn.ids), len(real.ids))
    warnings = []
    if n_min < settings.min_samples:
        warnings.append(
            f"only {n_min} samples on one side (< {settings.min_samples}): the Frechet distance is "
            f"biased upwards at small N (FID-inf {res.fid_inf:.4g} extrapolates it to infinite N); "
            f"compare only values computed with the same N, or use KID"
        )
    if not res.reliable:
        warnings.append(
            f"half of the smaller set ({n_min // 2}) is below the feature dimension "
            f"({syn.features.shape[1]}): the 1/N extrapolation (FID-inf) is unreliable, so the "
            f"interval's lower end is 0"
        )
    per_class = per_class_distances(inp, settings)
    if any(v.small_n and v.value is not None for v in per_class.values()):  # None: no value to doubt
        warnings.append(
            f"per-class values come from fewer than {settings.min_samples} samples per side (small_n): "
            f"they are biased upwards and only comparable between classes of equal size"
        )
    return {
        "fid": FrechetDistance(
            value=res.value,
            ci95=res.ci95,
            method=METHOD,
            fid_inf=res.fid_infinity(),
            se=res.se,
            network=network(inp.extractor),
            label=distance_label(inp.extractor),
            n_synthetic=len(syn.ids),
            n_real=len(real.ids),
            warnings=warnings,
            per_class_min_samples=settings.min_samples,
            per_class=per_class,
        )
    }


register_metric("fid", Metric(compute=fid_metric, outputs=("fid",), needs_reference=True))
