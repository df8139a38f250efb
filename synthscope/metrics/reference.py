"""Features -> real-vs-real references at matched N and a two-sample permutation test, from one Gram matrix.

Why: a Frechet distance of 57.8 means nothing on its own. It depends on N (FD is biased
upwards by roughly ``k (1/n1 + 1/n2)``) and on the network (each has its own scale). What a
user can trust is the comparison with the same number computed between two *real* samples of
the same size: "synthetic differs from real more than two real samples differ from each other".

Design (``real_vs_real``): the real set is split at random into two disjoint parts A and B of
``m`` rows each, and a synthetic subset S of ``m`` rows is drawn; per split, every gated number
is computed twice on the *same* real part B: synthetic vs real (S, B) and real vs real (A, B).

- ``m = min(n_synthetic, n_real // 2, max_per_side)``: when the real set holds fewer than
  ``2 n_synthetic`` rows, both sides are compared at the largest matched size (a note says so);
  below ``min_per_side`` rows per part there is no reference (the real set is too small to split).
- The reference's value is the mean over splits; its interval the 2.5th-97.5th percentiles of
  the per-split values (the spread of one real-vs-real comparison at this N).
- The *relative* numbers the gates read are paired per split: FD ratio FD(S,B) / FD(A,B), KID
  excess (MMD^2(S,B) - MMD^2(A,B)) over the real kernel variance, coverage ratio
  cov(S,B) / cov(A,B), ...; value from the split means, interval the percentiles of the
  per-split values, widened to hold the value and then by sqrt(2) around it (``widen``: splits
  of one fixed set vary less than independent samples would).

Everything comes from one Gram matrix ``G = Z Z^T`` of the pooled rows (float64): centred
blocks give the FD (nuclear-norm route: ``tr sqrt(S1 S2) = ||A B^T||_* / (m - 1)``), the
polynomial kernel is ``(G / D + coef0) ** degree`` and squared distances ``g_ii + g_jj - 2 g_ij``.
So no split recomputes a feature product. Pools are capped (``max_per_side``) (at most ``2 max_per_side`` rows a
side), so memory stays O((4 max_per_side)^2): 128 MB at the default 1,000.

The permutation test (``two_sample_test``) reuses the pooled kernel: the unbiased MMD^2 of the
observed labelling against ``permutations`` random relabellings (all computed as one K @ A
product), p = (1 + #{perm >= observed}) / (1 + permutations), with a Clopper-Pearson interval
for the Monte Carlo error of p. Its effect size is the MMD^2 over the mean within-set kernel
variance ``E k(x,x) - E k(x,x')``: a scale-free number (0 = same distribution).

The metric ``real_vs_real`` (both keys) is registered here, with its settings
:class:`ReferenceSettings`; :func:`attach_references` then sets each reference beside its metric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from threadpoolctl import threadpool_limits

from synthscope.documents.common import Document, extended
from synthscope.documents.metrics import (
    EffectSize,
    MatchedMetric,
    RealVsReal,
    Reference,
    Relative,
    Spread,
    TwoSampleTest,
)
from synthscope.metrics.features_to_stats import as_float64_2d
from synthscope.metrics.metric import Metric, ScoreInputs, register_metric
from synthscope.params import ScoreParams

DECISION_RULE = (
    "A gate fails only when the metric's 95% interval lies wholly beyond its limit, warns when the "
    "estimate is beyond the limit but its interval reaches back within it, and passes when the "
    "estimate is within the limit (saying so when the interval also reaches past it); a gate that cannot apply (no real set, no "
    "labels, a real set too small to split) is not applicable and does not warn. Gated units do not "
    "depend on the network or N: FD as a multiple of its real-vs-real reference at matched N, KID "
    "excess over its reference as a fraction of the real kernel variance, coverage relative to "
    "real-vs-real coverage, CAS synthetic->real / real->real."
)
REFERENCE_METHOD = (
    "{splits} random splits of the real set into two disjoint parts of {m} rows (A, B) and a random "
    "synthetic subset of {m} rows (S); reference = real vs real (A, B), matched = synthetic vs real "
    "(S, B); value = mean over splits, interval = 2.5th-97.5th percentiles over splits"
)
TEST_METHOD = (
    "permutation test on the unbiased MMD^2 (KID polynomial kernel, kernel matrix computed once), "
    "p = (1 + #{{permuted >= observed}}) / (1 + {permutations}); interval: Clopper-Pearson on the "
    "Monte Carlo p-value"
)
EFFECT_METHOD = "normalised MMD^2: unbiased MMD^2 / mean within-set kernel variance (E k(x,x) - E k(x,x'))"
# metric -> how the synthetic side is set against the reference per split
RELATIVE = {"fid": "ratio", "kid": "excess", "precision": "ratio", "recall": "ratio",
            "density": "ratio", "coverage": "ratio"}


@dataclass(frozen=True)
class Pooled:
    """Pooled rows (synthetic pool first, then real pool): the Gram matrix of the *centred* rows
    (accurate squared distances and FD), plus what recovers the raw products for the kernel:
    ``x_i . x_j = g_ij + u_i + u_j + mm`` with ``u = c @ mu`` and ``mm = mu . mu``."""

    gram: np.ndarray  # float64 (n, n), centred rows
    offset: np.ndarray  # float64 (n,): u = centred row . mean
    mm: float
    n_syn: int  # rows 0..n_syn-1 are synthetic
    dim: int
    degree: int
    coef0: float

    def kernel(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """KID's polynomial kernel (x.y / D + coef0) ** degree of rows p vs q."""
        raw = self.gram[np.ix_(p, q)] + self.offset[p, None] + self.offset[None, q] + self.mm
        base = raw / self.dim + self.coef0
        out = base.copy()
        for _ in range(self.degree - 1):  # repeated products: numpy's ** 3 goes through pow(), 10x slower
            out *= base
        return out if self.degree >= 1 else np.ones_like(base)

    def sq_dist(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        d = np.diag(self.gram)
        return np.maximum(d[p, None] + d[None, q] - 2.0 * self.gram[np.ix_(p, q)], 0.0)


def pool(synthetic: np.ndarray, real: np.ndarray, max_syn: int, max_real: int, seed: int,
         degree: int = 3, coef0: float = 1.0) -> Pooled:
    """Random pools of at most ``max_syn`` / ``max_real`` rows and their Gram matrix (computed once)."""
    x = as_float64_2d(synthetic, "synthetic features")
    y = as_float64_2d(real, "real features")
    rng = np.random.default_rng(seed)
    xs = x[np.sort(rng.choice(len(x), min(len(x), max_syn), replace=False))]
    ys = y[np.sort(rng.choice(len(y), min(len(y), max_real), replace=False))]
    z = np.concatenate([xs, ys])
    mu = z.mean(axis=0)
    c = z - mu  # centring changes no distance or FD and keeps g_ii + g_jj - 2 g_ij accurate
    return Pooled(c @ c.T, c @ mu, float(mu @ mu), len(xs), x.shape[1], degree, coef0)


def frechet_from_gram(g: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """Frechet distance of rows ``p`` vs ``q`` from the Gram matrix ``g`` (nuclear-norm route)."""
    gpp, gqq, gpq = g[np.ix_(p, p)], g[np.ix_(q, q)], g[np.ix_(p, q)]
    mean_term = gpp.mean() + gqq.mean() - 2.0 * gpq.mean()

    def centred_trace(block: np.ndarray) -> float:
        return float(np.trace(block) - block.sum() / len(block))

    n1, n2 = len(p), len(q)
    cross = gpq - gpq.mean(axis=1, keepdims=True) - gpq.mean(axis=0, keepdims=True) + gpq.mean()
    small = cross @ cross.T if n1 <= n2 else cross.T @ cross
    eig = np.linalg.eigvalsh((small + small.T) / 2.0)
    nuclear = float(np.sqrt(np.clip(eig, 0.0, None)).sum())
    value = (mean_term + centred_trace(gpp) / (n1 - 1) + centred_trace(gqq) / (n2 - 1)
             - 2.0 * nuclear / np.sqrt((n1 - 1) * (n2 - 1)))
    return float(max(value, 0.0))


def mmd2_unbiased(k_pp: np.ndarray, k_qq: np.ndarray, k_pq: np.ndarray) -> float:
    """Unbiased MMD^2 from kernel blocks (sizes may differ): within-set sums drop the diagonal."""
    n1, n2 = len(k_pp), len(k_qq)
    within_p = (k_pp.sum() - np.trace(k_pp)) / (n1 * (n1 - 1))
    within_q = (k_qq.sum() - np.trace(k_qq)) / (n2 * (n2 - 1))
    return float(within_p + within_q - 2.0 * k_pq.mean())


def kernel_variance(k: np.ndarray) -> float:
    """E k(x,x) - E k(x,x') within one set (unbiased off-diagonal mean): its spread in kernel space."""
    n = len(k)
    return float(np.trace(k) / n - (k.sum() - np.trace(k)) / (n * (n - 1)))


def kth_radius_sq(d2: np.ndarray, k: int) -> np.ndarray:
    """Squared distance to each row's k-th nearest *other* row of a square within-set matrix."""
    return np.partition(d2, k, axis=1)[:, k]  # column 0 after partition is the row itself (0)


def prdc_from_sq(d_rr: np.ndarray, d_ff: np.ndarray, d_rf: np.ndarray, k: int) -> dict[str, float]:
    """Precision, recall, density, coverage (Naeem et al. 2020) from squared-distance blocks
    (real-real, fake-fake, real-fake); strict comparisons, as the ``prdc`` package."""
    r_real = kth_radius_sq(d_rr, k)
    r_fake = kth_radius_sq(d_ff, k)
    inside = d_rf < r_real[:, None]  # (real i, fake j): fake j inside real i's ball
    return {
        "precision": float(inside.any(axis=0).mean()),
        "recall": float((d_rf < r_fake[None, :]).any(axis=1).mean()),
        "density": float(inside.sum(axis=0).mean() / k),
        "coverage": float((d_rf.min(axis=1) < r_real).mean()),
    }


SPREAD_METHOD = "2.5th-97.5th percentiles over the random splits"


def _spread(values: np.ndarray) -> Spread:
    return Spread(value=float(values.mean()), ci95=_interval(values), method=SPREAD_METHOD)


def _interval(values: np.ndarray) -> list[float]:
    lo, hi = np.percentile(values, [2.5, 97.5])
    return [float(lo), float(hi)]


def _held(value: float, ci: list[float]) -> list[float]:
    return [min(ci[0], value), max(ci[1], value)]


FINITE_POOL = float(np.sqrt(2.0))
WIDENED = "half-widths x sqrt(2) (splits of one fixed set vary less than independent samples)"


def widen(value: float, ci: list[float]) -> list[float]:
    """Scale an interval's half-widths around ``value`` by sqrt(2).

    Why: every split draws its parts out of the *same* finite sets. A subset of m out of n rows
    varies around the full set with variance sigma^2 (1/m - 1/n), which at m = n/2 is half that
    of an independent sample of m, so the spread over splits understates the spread a new sample
    would show by up to sqrt(2) (measured: without it one null pair of composite photos in 20
    failed the FD-ratio gate at N = 300, its split interval [1.105, 1.157])."""
    lo, hi = _held(value, ci)
    return [value - FINITE_POOL * (value - lo), value + FINITE_POOL * (hi - value)]


def matched_size(n_syn: int, n_real: int, max_per_side: int) -> int:
    """Rows per side of the matched comparison: the synthetic N, unless the real set cannot give two parts that big."""
    return int(min(n_syn, n_real // 2, max_per_side))


def real_vs_real(synthetic: np.ndarray, real: np.ndarray, splits: int = 10, seed: int = 0, k: int = 5,
                 degree: int = 3, coef0: float = 1.0, max_per_side: int = 1000, min_per_side: int = 10,
                 pooled: Pooled | None = None) -> RealVsReal:
    """The ``real_vs_real`` entry of metrics.json (see the module docstring); ``available`` False with a
    ``note`` when the real set is too small to split into two parts of ``min_per_side`` rows."""
    n_syn, n_real = len(synthetic), len(real)
    m = matched_size(n_syn, n_real, max_per_side)
    base = {"n_synthetic": n_syn, "n_real": n_real, "splits": splits, "decision_rule": DECISION_RULE}
    if m < max(min_per_side, k + 2):
        return RealVsReal(
            **base, available=False, n_per_side=None, value=None, ci95=None, method=None,
            note=f"the real set ({n_real} images) is too small to split into two parts of at least "
                 f"{max(min_per_side, k + 2)}: no real-vs-real reference, so the relative gates do not apply",
            metrics={},
        )
    pooled = pooled or pool(synthetic, real, max_syn=min(n_syn, 2 * m), max_real=min(n_real, 2 * m),
                            seed=seed, degree=degree, coef0=coef0)
    rng = np.random.default_rng(seed + 1)
    syn_rows = np.arange(pooled.n_syn)
    real_rows = np.arange(pooled.n_syn, len(pooled.gram))
    per: dict[str, dict[str, list[float]]] = {key: {"matched": [], "reference": []} for key in RELATIVE}
    spread = []
    with threadpool_limits(1):  # SPLIT_THREADS: m x m eigensolves, 60x faster on one BLAS thread on a busy box
        for _ in range(splits):
            order = rng.permutation(real_rows)
            a, b = np.sort(order[:m]), np.sort(order[m:2 * m])
            s = np.sort(rng.choice(syn_rows, m, replace=False))
            k_bb = pooled.kernel(b, b)
            spread.append(kernel_variance(k_bb))
            d_bb = pooled.sq_dist(b, b)
            for side, other in (("matched", s), ("reference", a)):
                per["fid"][side].append(frechet_from_gram(pooled.gram, other, b))
                per["kid"][side].append(mmd2_unbiased(pooled.kernel(other, other), k_bb, pooled.kernel(other, b)))
                prdc = prdc_from_sq(d_bb, pooled.sq_dist(other, other), pooled.sq_dist(b, other), k)
                for key, value in prdc.items():
                    per[key][side].append(value)
    var = float(np.mean(spread))
    out_metrics: dict[str, MatchedMetric] = {}
    for key, kind in RELATIVE.items():
        matched, reference = np.asarray(per[key]["matched"]), np.asarray(per[key]["reference"])
        if kind == "ratio":
            denominator = float(reference.mean())
            rel_value = float(matched.mean() / denominator) if denominator > 0 else None
            with np.errstate(divide="ignore", invalid="ignore"):
                per_split = matched / reference
            per_split = per_split[np.isfinite(per_split)]
            rel_method = "synthetic-vs-real / real-vs-real, paired per split on the same real part"
        else:
            rel_value = float((matched.mean() - reference.mean()) / var) if var > 0 else None
            per_split = (matched - reference) / var if var > 0 else np.empty(0)
            rel_method = ("(synthetic-vs-real - real-vs-real MMD^2) / real kernel variance "
                          "(E k(x,x) - E k(x,x')), paired per split")
        relative = None
        if rel_value is not None and len(per_split) >= 2:
            relative = Relative(value=rel_value, ci95=widen(rel_value, _interval(per_split)),
                                method=f"{rel_method}; interval: {SPREAD_METHOD}, widened to hold the value, "
                                       f"{WIDENED}",
                                kind=kind)
        out_metrics[key] = MatchedMetric(reference=_spread(reference), matched=_spread(matched), relative=relative)
    note = None
    if m < min(n_syn, n_real):
        why = (f"the real set ({n_real}) holds fewer than 2 x {n_syn} images" if m == n_real // 2
               else f"score.reference_max_per_side caps it at {max_per_side}")
        note = (f"matched at {m} per side ({why}): the reference and the synthetic-vs-real numbers it is set "
                f"against are both computed at {m} vs {m}")
    fd = out_metrics["fid"].relative
    return RealVsReal(
        **base,
        available=True,
        n_per_side=m,
        value=None if fd is None else fd.value,
        ci95=None if fd is None else fd.ci95,
        method=REFERENCE_METHOD.format(splits=splits, m=m),
        note=note,
        kernel_variance=var,
        metrics=out_metrics,
    )


def clopper_pearson(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    a = (1 - level) / 2
    lo = 0.0 if successes == 0 else float(stats.beta.ppf(a, successes, trials - successes + 1))
    hi = 1.0 if successes == trials else float(stats.beta.ppf(1 - a, successes + 1, trials - successes))
    return lo, hi


def _mmd2_of_labelling(kernel: np.ndarray, ka: np.ndarray, a: np.ndarray, diag: np.ndarray) -> np.ndarray:
    """Unbiased MMD^2 for each column of the 0/1 matrix ``a`` (n, P) (1 = first set); ``ka = K @ a``."""
    b = 1.0 - a
    n1, n2 = a.sum(axis=0), b.sum(axis=0)
    total = kernel.sum(axis=1)  # K @ 1
    aka = (a * ka).sum(axis=0)
    akb = (a * (total[:, None] - ka)).sum(axis=0)
    bkb = kernel.sum() - aka - 2.0 * akb
    tr_a, tr_b = diag @ a, diag @ b
    return (aka - tr_a) / (n1 * (n1 - 1)) + (bkb - tr_b) / (n2 * (n2 - 1)) - 2.0 * akb / (n1 * n2)


def permutation_test(pooled: Pooled, permutations: int = 500, seed: int = 0) -> TwoSampleTest:
    """The ``two_sample_test`` entry: can synthetic be told from real beyond sampling noise?"""
    n = len(pooled.gram)
    rows = np.arange(n)
    kernel = pooled.kernel(rows, rows)
    diag = np.diag(kernel).copy()
    observed_labels = (rows < pooled.n_syn).astype(np.float64)[:, None]
    observed = float(_mmd2_of_labelling(kernel, kernel @ observed_labels, observed_labels, diag)[0])
    rng = np.random.default_rng(seed)
    exceed = 0
    for start in range(0, permutations, 100):
        p = min(100, permutations - start)
        a = np.stack([rng.permutation(observed_labels[:, 0]) for _ in range(p)], axis=1)
        exceed += int((_mmd2_of_labelling(kernel, kernel @ a, a, diag) >= observed).sum())
    p_value = (1 + exceed) / (1 + permutations)
    syn, real = rows[: pooled.n_syn], rows[pooled.n_syn:]
    var = (kernel_variance(kernel[np.ix_(syn, syn)]) + kernel_variance(kernel[np.ix_(real, real)])) / 2.0
    lo, hi = clopper_pearson(1 + exceed, 1 + permutations)
    return TwoSampleTest(
        value=p_value,
        ci95=(min(lo, p_value), max(hi, p_value)),
        method=TEST_METHOD.format(permutations=permutations),
        statistic=observed,
        permutations=permutations,
        n_synthetic=int(pooled.n_syn),
        n_real=int(n - pooled.n_syn),
        effect_size=EffectSize(value=float(observed / var) if var > 0 else 0.0, method=EFFECT_METHOD),
    )


@dataclass(frozen=True)
class ReferenceSettings:
    """``score.reference_*`` and ``score.permutations``; the references are computed with the same
    PRDC ``k`` and KID kernel as the metrics they stand beside, so those are read too."""

    splits: int
    max_per_side: int
    permutations: int
    prdc_k: int
    kid_degree: int
    kid_coef0: float
    seed: int

    @classmethod
    def from_params(cls, p: ScoreParams) -> ReferenceSettings:
        return cls(splits=p.reference_splits, max_per_side=p.reference_max_per_side, permutations=p.permutations,
                   prdc_k=p.prdc_k, kid_degree=p.kid_degree, kid_coef0=p.kid_coef0, seed=p.seed)


def real_vs_real_metric(inp: ScoreInputs) -> dict[str, Document]:
    """metrics.json ``real_vs_real`` (references at matched N) and ``two_sample_test``, from one Gram matrix."""
    s, syn, real = ReferenceSettings.from_params(inp.params), inp.synthetic, inp.real
    assert real is not None
    cap = s.max_per_side
    pooled = pool(syn.features, real.features, max_syn=min(len(syn.ids), 2 * cap),
                  max_real=min(len(real.ids), 2 * cap), seed=s.seed, degree=s.kid_degree, coef0=s.kid_coef0)
    reference = real_vs_real(syn.features, real.features, s.splits, s.seed, s.prdc_k, s.kid_degree,
                             s.kid_coef0, cap, pooled=pooled)
    return {"real_vs_real": reference, "two_sample_test": permutation_test(pooled, s.permutations, s.seed)}


def attach_references(entries: dict[str, Document]) -> dict[str, Document]:
    """Put each metric's real-vs-real reference beside its value (``fid.reference``, ...), so every
    gated number reads "synthetic vs real X; real vs real at the same N Y [lo, hi]"."""
    block = entries.get("real_vs_real")
    if not isinstance(block, RealVsReal) or not block.available or block.n_per_side is None:
        return entries
    out = dict(entries)
    for key in RELATIVE:
        if key in out and key in block.metrics:
            entry = block.metrics[key]  # type: ignore[index]
            reference = extended(entry.reference, Reference, n_per_side=block.n_per_side,
                                 synthetic_vs_real=entry.matched, relative=entry.relative)
            out[key] = out[key].model_copy(update={"reference": reference})
    return out


register_metric("real_vs_real", Metric(compute=real_vs_real_metric, outputs=("real_vs_real", "two_sample_test"),
                                       needs_reference=True))
