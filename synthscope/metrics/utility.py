"""Is the synthetic data worth it? Learning curves on the CAS real test split (pure).

Three curves, each an accuracy on the same held-out real test images as CAS, with the same
split (``cas.stratified_split``) and the same classifier (``cas.trainer``):

- real-only, trained on nested, seeded per-class subsets of the real training split at each
  of ``fractions`` (several subsets per fraction below 1, their accuracies averaged);
- synthetic-only, trained on the whole synthetic set;
- real + synthetic, at each real subset.

Intervals bootstrap the test images with the trained models held fixed, one resampling shared
by every curve point, so differences (``gain``) and the real-image equivalent
(``synthscope.metrics.equivalence``) get paired intervals.

The metric ``utility`` is registered here, with its settings :class:`UtilitySettings`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from synthscope.documents.common import Document, Estimate, extended
from synthscope.documents.metrics import CurvePoint, CurveSeconds, Gain, SyntheticOnly, Utility
from synthscope.metrics.bootstrap import percentile_interval
from synthscope.metrics.cas import (
    CasSettings,
    LabelledSet,
    labelled_sets,
    leak_free,
    real_split,
    resolve_classifier,
    train_and_test,
)
from synthscope.metrics.equivalence import real_equivalent
from synthscope.metrics.fits import FitCache
from synthscope.metrics.metric import Metric, ScoreInputs, register_metric
from synthscope.params import CopyRule, ScoreParams

CI_METHOD = ("percentile bootstrap over real test images, models held fixed, one resampling shared by "
             "every curve point (paired)")


@dataclass(frozen=True)
class CurvePoints:
    """Per-test-image correctness of every trained model: ``real`` / ``mixed`` float (S, Nt) (mean over
    repeats, S = distinct sizes), ``synthetic`` float (Nt,); ``fractions`` and ``sizes`` int (S,): the real
    training images of each point;
    ``*_seconds`` mean training seconds (``real``/``mixed`` one per point, ``synthetic`` one)."""

    fractions: tuple[float, ...]
    sizes: np.ndarray
    real: np.ndarray
    mixed: np.ndarray
    synthetic: np.ndarray
    real_seconds: tuple[float, ...]
    mixed_seconds: tuple[float, ...]
    synthetic_seconds: float
    n_synthetic_trained: int = 0  # synthetic rows trained on (copies of real test images left out)


def nested_subset(labels: np.ndarray, fraction: float, seed: int, repeat: int) -> np.ndarray:
    """Sorted indices of ``ceil(fraction * n_c)`` rows of each class (at least one).

    One seeded permutation per (class, repeat), cut at the fraction: for a given repeat a smaller
    subset is contained in a larger one, so curve points differ by the added images only.
    """
    out = []
    for i, label in enumerate(sorted(set(labels.tolist()))):
        idx = np.flatnonzero(labels == label)
        order = np.random.default_rng([seed, repeat, i]).permutation(idx)
        out.append(order[: max(1, int(np.ceil(fraction * len(idx) - 1e-9)))])
    return np.sort(np.concatenate(out))


def curve_points(synthetic: LabelledSet, real: LabelledSet, settings: CasSettings,
                 fractions: tuple[float, ...], repeats: int, cache: FitCache | None = None) -> CurvePoints:
    """Train every model of the three curves and record which real test images each gets right.

    The split, the classifier (C chosen on the real training split), the synthetic rows left out
    (copies of real test images) and every fit are CAS's own (``metrics.cas``): with a shared
    ``cache`` the synthetic-only model, the whole-split real-only model and the whole-split
    real + synthetic model are CAS's synthetic->real, real->real and augmentation fits, served, not
    trained again.
    """
    split = real_split(real, [synthetic], settings)
    settings, _ = resolve_classifier(split, settings, cache)
    clean, _ = leak_free(synthetic, split, settings)
    train = split.train

    def correct(data: LabelledSet) -> tuple[np.ndarray, float]:
        result = train_and_test(data, split, settings, cache)
        return result.correct.astype(np.float64), result.seconds

    syn_correct, syn_seconds = correct(clean)
    kept, sizes, real_rows, mixed_rows, real_s, mixed_s = [], [], [], [], [], []
    for fraction in fractions:
        if len(nested_subset(train.labels, fraction, settings.seed, 0)) in sizes:
            continue  # small splits: two fractions round to the same per-class counts
        kept.append(fraction)
        runs = []
        for r in range(1 if fraction >= 1.0 else repeats):
            sub = train.take(nested_subset(train.labels, fraction, settings.seed, r))
            only, t_only = correct(sub)
            both, t_both = correct(sub.concat(clean))
            runs.append((len(sub.ids), only, both, t_only, t_both))
        sizes.append(round(np.mean([r[0] for r in runs])))
        real_rows.append(np.mean([r[1] for r in runs], axis=0))
        mixed_rows.append(np.mean([r[2] for r in runs], axis=0))
        real_s.append(float(np.mean([r[3] for r in runs])))
        mixed_s.append(float(np.mean([r[4] for r in runs])))
    return CurvePoints(
        fractions=tuple(kept), sizes=np.array(sizes, dtype=np.int64), real=np.array(real_rows), mixed=np.array(mixed_rows),
        synthetic=syn_correct,
        real_seconds=tuple(real_s), mixed_seconds=tuple(mixed_s), synthetic_seconds=syn_seconds,
        n_synthetic_trained=len(clean.ids),
    )


def paired_bootstrap_means(contributions: np.ndarray, reps: int, seed: int) -> np.ndarray:
    """(S, N) per-test-image contributions -> (S, reps) means over one shared resampling of N.

    Draws the same index matrices as ``bootstrap_mean_ci`` (same seed, same 64-row chunks), so
    each row's percentile interval equals ``bootstrap_mean_ci`` of that row alone.
    """
    contributions = np.atleast_2d(np.asarray(contributions, dtype=np.float64))
    n = contributions.shape[1]
    rng = np.random.default_rng(seed)
    means = np.empty((len(contributions), reps))
    for start in range(0, reps, 64):
        stop = min(reps, start + 64)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[:, start:stop] = contributions[:, idx].mean(axis=2)
    return means


def _point(value: float, replicates: np.ndarray) -> Estimate:
    return Estimate(value=float(value), ci95=percentile_interval(replicates), method=CI_METHOD)


def learning_curves(synthetic: LabelledSet, real: LabelledSet, settings: CasSettings,
                    fractions: tuple[float, ...], repeats: int, cache: FitCache | None = None) -> Utility:
    """metrics.json ``utility``: the curves, ``gain`` per real size and ``real_equivalent``."""
    pts = curve_points(synthetic, real, settings, fractions, repeats, cache)
    s = len(pts.sizes)
    stack = np.vstack([pts.real, pts.mixed, pts.mixed - pts.real, pts.synthetic[None, :]])
    boot = paired_bootstrap_means(stack, settings.bootstrap_reps, settings.seed)
    point = stack.mean(axis=1)
    curve = []
    for i, (fraction, size) in enumerate(zip(pts.fractions, pts.sizes, strict=True)):
        curve.append(CurvePoint(
            fraction=float(fraction),
            n_real=int(size),
            repeats=1 if fraction >= 1.0 else repeats,
            real_only=_point(point[i], boot[i]),
            real_plus_synthetic=_point(point[s + i], boot[s + i]),
            train_seconds=CurveSeconds(real_only=pts.real_seconds[i], real_plus_synthetic=pts.mixed_seconds[i]),
        ))
    gain = [extended(_point(point[2 * s + i], boot[2 * s + i]), Gain, n_real=int(size), fraction=float(f))
            for i, (f, size) in enumerate(zip(pts.fractions, pts.sizes, strict=True))]
    equivalent = real_equivalent(pts.sizes, point[:s], point[-1], boot[:s], boot[-1])
    return Utility(
        # the headline number, in the registry's {"value", "ci95"} form
        value=equivalent.value,
        ci95=equivalent.ci95,
        label="real training images the synthetic set is worth (real_equivalent)",
        model=settings.model,
        n_synthetic=int(len(synthetic.ids)),
        n_test_real=int(pts.synthetic.shape[0]),
        curve=curve,
        synthetic_only=extended(_point(point[-1], boot[-1]), SyntheticOnly, n_train=pts.n_synthetic_trained,
                                  train_seconds=pts.synthetic_seconds),
        gain=gain,
        real_equivalent=equivalent,
        method=f"{settings.model} classifier as CAS (split seed {settings.seed}, test fraction "
               f"{settings.test_fraction}, the same C or transforms, synthetic copies of real test images left "
               f"out); real subsets nested per class, {repeats} seeded subsets per fraction below 1",
    )


@dataclass(frozen=True)
class UtilitySettings:
    """``score.curve*``, and CAS's settings: the curves use CAS's split and classifier (the linear
    probe unless ``curve_model: cas``)."""

    curves: bool
    model: Literal["linear", "cas"]
    fractions: tuple[float, ...]
    repeats: int
    cas: CasSettings

    @classmethod
    def from_params(cls, p: ScoreParams, copies: CopyRule) -> UtilitySettings:
        return cls(curves=p.curves, model=p.curve_model, fractions=tuple(p.curve_fractions), repeats=p.curve_repeats,
                   cas=CasSettings.from_params(p, copies))

    def classifier(self) -> CasSettings:
        """CAS's settings with the curves' model."""
        return replace(self.cas, model="linear") if self.model == "linear" else self.cas


def utility_metric(inp: ScoreInputs) -> dict[str, Document]:
    """metrics.json ``utility``: learning curves with CAS's split and classifier (nothing with ``curves: false``)."""
    s = UtilitySettings.from_params(inp.params, inp.copies)
    if not s.curves:
        return {}
    settings = s.classifier()
    return {"utility": learning_curves(*labelled_sets(inp, settings.model), settings, s.fractions, s.repeats,
                                       inp.fits)}


register_metric("utility", Metric(compute=utility_metric, outputs=("utility",), needs_reference=True,
                                  needs_labels=True))
