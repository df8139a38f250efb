"""How many real training images is the synthetic set worth? (pure)

The real-only learning curve, accuracy a(n) at real training sizes n, is made monotone
(isotonic regression: more real data does not hurt in expectation, so dips are noise) and
inverted at the synthetic-only accuracy, linearly in log(n) between measured sizes (learning
curves are close to straight lines in log n). Where the fitted curve is flat at the target,
the smallest size reaching it is taken: the synthetic set does the work of that many real
images. Outside the measured range the answer is a bound: "at least" the largest size when
the synthetic set beats the whole real training split (or "at least" the start of a final
plateau it reaches, e.g. 100% accuracy), "at most" the smallest size when it does worse than
the smallest subset.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from sklearn.isotonic import isotonic_regression

from synthscope.documents.metrics import RealEquivalent
from synthscope.metrics.bootstrap import percentile_interval

Bound = Literal["at_least", "at_most"] | None
METHOD = ("synthetic-only accuracy mapped onto the isotonic fit of the real-only curve, interpolated "
          "linearly in log(real images); CI: the same mapping in each paired bootstrap replicate of the "
          "test images, percentile interval, clipped to the measured sizes")


def invert_curve(sizes: np.ndarray, accuracy: np.ndarray, target: float) -> tuple[float, Bound]:
    """(real images reaching ``target`` accuracy, bound). ``sizes`` ascending int (S,), ``accuracy`` (S,)."""
    fitted = isotonic_regression(np.asarray(accuracy, dtype=np.float64), increasing=True)
    logs = np.log(np.asarray(sizes, dtype=np.float64))
    if target > fitted[-1]:
        return float(sizes[-1]), "at_least"
    if target < fitted[0]:
        return float(sizes[0]), "at_most"
    i = int(np.argmax(fitted >= target))  # first size whose fitted accuracy reaches the target
    if fitted[i] == target and i < len(fitted) - 1 and fitted[-1] == target:
        # the curve has stopped rising (typically at 100% accuracy): any larger real set does no
        # better, so the synthetic set is worth at least the first size on that plateau
        return float(sizes[i]), "at_least"
    if i == 0 or fitted[i] == target:  # on a measured point: its size, exactly
        return float(sizes[i]), None
    t = (target - fitted[i - 1]) / (fitted[i] - fitted[i - 1])
    return float(np.exp(logs[i - 1] + t * (logs[i] - logs[i - 1]))), None


def describe(value: float, bound: Bound) -> str:
    n = f"{round(value):,}"
    return {"at_least": f"at least {n}", "at_most": f"at most {n}"}.get(bound or "", f"about {n}")


def real_equivalent(sizes: np.ndarray, real_acc: np.ndarray, syn_acc: float,
                    real_boot: np.ndarray, syn_boot: np.ndarray) -> RealEquivalent:
    """metrics.json ``utility.real_equivalent``.

    ``real_acc`` (S,) / ``syn_acc``: point accuracies; ``real_boot`` (S, R) / ``syn_boot`` (R,):
    the same accuracies in R paired bootstrap replicates. JSON: ``value`` (real images; the bound
    itself when censored), ``bound`` (null, "at_least" or "at_most"), ``text`` ("about 120",
    "at least 630"), ``ci95`` (clipped to the measured sizes: an end at the largest size reads
    "or more"), and the share of replicates above/below the measured range.
    """
    value, bound = invert_curve(sizes, real_acc, syn_acc)
    reps = [invert_curve(sizes, real_boot[:, r], syn_boot[r]) for r in range(real_boot.shape[1])]
    values = np.array([v for v, _ in reps])
    bounds = [b for _, b in reps]
    return RealEquivalent(
        value=value,
        bound=bound,
        text=describe(value, bound),
        ci95=percentile_interval(values),
        method=METHOD,
        replicates_above_range=bounds.count("at_least") / len(bounds),
        replicates_below_range=bounds.count("at_most") / len(bounds),
        measured_sizes=[int(s) for s in sizes],
        synthetic_accuracy=float(syn_acc),
    )
