"""Coverage of the PRDC jackknife interval, simulated: does the 95% interval hold the true value?

Real and synthetic sets are drawn from the same 64-d Gaussian, where two values are known in
closed form (Naeem et al. 2020): E[density] = 1 and E[coverage] = 1 - prod_{i=1..k} (N - i) /
(2N - i) for N samples per side. Precision and recall have no closed form; their true value at
this N is the mean over 60 further independent repetitions (its standard error is 1/8 of one
repetition's spread, small next to the interval).
"""

import numpy as np
import pytest

from synthscope.metrics.prdc import KEYS, jackknife_intervals, neighbourhoods, prdc_of_subset

N, D, K, REPS, GROUPS = 400, 64, 5, 60, 20


def _draw(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N, D)), rng.normal(size=(N, D))


@pytest.mark.slow
def test_jackknife_interval_covers_the_true_value_at_least_90_percent():
    truth = {"density": 1.0, "coverage": 1.0 - float(np.prod([(N - i) / (2 * N - i) for i in range(1, K + 1)]))}
    extra = [prdc_of_subset(neighbourhoods(*_draw(10_000 + s), K)).values for s in range(REPS)]
    truth |= {key: float(np.mean([v[key] for v in extra])) for key in ("precision", "recall")}
    hits = dict.fromkeys(KEYS, 0)
    for seed in range(REPS):
        nb = neighbourhoods(*_draw(seed), K)
        value = prdc_of_subset(nb).values
        ci = jackknife_intervals(nb, GROUPS, seed)
        for key in KEYS:
            lo, hi = ci[key]
            assert lo <= value[key] <= hi, (key, seed)
            hits[key] += lo <= truth[key] <= hi
    rates = {key: hits[key] / REPS for key in KEYS}
    assert all(rate >= 0.90 for rate in rates.values()), rates


def test_intervals_are_centred_and_clipped():
    nb = neighbourhoods(*_draw(1), K)
    value = prdc_of_subset(nb).values
    ci = jackknife_intervals(nb, GROUPS, 0)
    for key in KEYS:
        lo, hi = ci[key]
        assert 0.0 <= lo <= value[key] <= hi
        if key != "density":
            assert hi <= 1.0
            assert hi - value[key] == pytest.approx(value[key] - lo) or hi == 1.0 or lo == 0.0
