"""The report's utility section: is the synthetic data worth it? (pure: documents and frames in).

Reads ``metrics.json``'s ``utility`` (learning curves, ``real_equivalent``, ``gain``) and ``cas``
(confusion matrix, collapse findings), ``realism.parquet`` and the ``utility:`` costs of
params.yaml, and returns the section (``UtilitySection``) that ``report.json``, the HTML, ``summary.md``
and the Prefect artifact show.
"""

from __future__ import annotations

import math
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from synthscope.documents import MetricsDocument
from synthscope.documents.metrics import Utility
from synthscope.documents.report import UtilitySection
from synthscope.params import UtilityParams


class CostSentence(TypedDict, total=False):
    """report.json ``utility.cost``: the sentence and the numbers behind it (costs only when given)."""

    n_synthetic: int
    train_seconds: dict[str, float]  # synthetic, real_equivalent (training_seconds)
    decision: str | None  # saves | does not save | uncertain; None without costs
    break_even_ratio: list[float] | None
    synthetic_cost: float
    real_cost_ci95: list[float | None]  # the high end None when real_equivalent is "at least"
    sentence: str


class GalleryImage(TypedDict):
    image_id: str
    path: str
    root: str
    label: str
    role: str


class GalleryPair(TypedDict):
    """A synthetic image beside its nearest real one."""

    query: GalleryImage
    neighbour: GalleryImage
    realism: float | None  # None: +inf (on a real sample), not JSON inf
    distance: float
    outlier: bool


class GalleryClass(TypedDict):
    """report.json ``utility.realism``, one per class."""

    label: str
    n: int
    n_outliers: int
    least: list[GalleryPair]
    most: list[GalleryPair]


def _interp_log(sizes: list[float], values: list[float], n: float) -> float:
    """Value at ``n`` interpolated linearly in log(size), clamped to the measured range."""
    return float(np.interp(math.log(max(n, 1e-9)), np.log(sizes), values))


def _fmt(x: float) -> str:
    return f"{x:,.3g}" if abs(x) < 100 else f"{x:,.0f}"


def training_seconds(utility: Utility) -> dict[str, float]:
    """Measured training seconds: on the synthetic set, and (interpolated) on real data of the same value."""
    sizes = [c.n_real for c in utility.curve]
    real = [c.train_seconds.real_only for c in utility.curve]
    return {"synthetic": float(utility.synthetic_only.train_seconds),
            "real_equivalent": _interp_log(sizes, real, utility.real_equivalent.value)}


def cost_sentence(utility: Utility, costs: UtilityParams) -> CostSentence:
    """One sentence: does the synthetic set save resources against real data of the same value?

    Synthetic cost = n_synthetic / 1000 * ``cost_per_1k_synthetic``; real cost of the same value
    = real_equivalent / 1000 * ``cost_per_1k_real`` at both ends of its CI. ``decision``: "saves"
    when even the CI's low end costs more than the synthetic set, "does not save" when even its
    high end (unbounded for "at least N") costs less, else "uncertain"; None without costs, when
    the sentence names the break-even price ratio (real_equivalent / n_synthetic) instead.
    """
    eq = utility.real_equivalent
    n_syn = int(utility.n_synthetic)
    assert eq.ci95 is not None  # the curve inversion always states its interval
    lo, hi = eq.ci95
    seconds = training_seconds(utility)
    worth = f"The {n_syn:,} synthetic images are worth {eq.text} real training images (95% CI {_fmt(lo)}–{_fmt(hi)}"
    worth += " or more)" if eq.bound == "at_least" or eq.replicates_above_range > 0.025 else ")"
    train = (f"training on them took {seconds['synthetic']:.2g} s against {seconds['real_equivalent']:.2g} s for "
             "real data of the same value")
    out: CostSentence = {"n_synthetic": n_syn, "train_seconds": seconds, "decision": None,
                         "break_even_ratio": [lo / n_syn, hi / n_syn] if n_syn else None}
    c_syn, c_real = costs.cost_per_1k_synthetic, costs.cost_per_1k_real
    if c_syn is None or c_real is None:
        ratio = eq.value / n_syn if n_syn else float("nan")
        out["sentence"] = (f"{worth}; they save resources if 1,000 synthetic images cost less than {ratio:.2g} "
                           f"times as much as 1,000 real ones (CI {lo / n_syn:.2g}–{hi / n_syn:.2g}); {train}. Set "
                           "utility.cost_per_1k_synthetic and utility.cost_per_1k_real in params.yaml to decide.")
        return _available(out, costs, n_syn)
    syn_cost = n_syn / 1000 * c_syn
    real_lo, real_hi = lo / 1000 * c_real, hi / 1000 * c_real
    open_top = eq.bound == "at_least"
    if syn_cost < real_lo:
        out["decision"], verb = "saves", "Yes, it saves resources"
    elif syn_cost > real_hi and not open_top:
        out["decision"], verb = "does not save", "No, it does not save resources"
    else:
        out["decision"], verb = "uncertain", "Undecided"
    out.update(synthetic_cost=syn_cost, real_cost_ci95=[real_lo, None if open_top else real_hi])
    real_text = f"{_fmt(real_lo)}–{'?' if open_top else _fmt(real_hi)}"
    out["sentence"] = (f"{verb}: {worth[0].lower() + worth[1:]}; they cost {_fmt(syn_cost)} against "
                       f"{real_text} to collect those real images; {train}.")
    return _available(out, costs, n_syn)


def _available(out: CostSentence, costs: UtilityParams, n_syn: int) -> CostSentence:
    more = costs.synthetic_images_available
    if more is not None and more > n_syn:
        out["sentence"] += (f" {more:,} synthetic images are available; the value of more than the {n_syn:,} "
                            "measured here is not extrapolated.")
    return out


def realism_gallery(table: pd.DataFrame, index: pd.DataFrame, per_class: int) -> list[GalleryClass]:
    """Per class, the ``per_class`` least and most realistic synthetic images with their nearest real image.

    ``table``: realism.parquet; ``index``: ok manifest rows (``image_id``, ``path``, ``root``, ``label``,
    ``role``) to find the files. Rows without a score (no real reference) are left out.
    """
    scored = table[table["realism"].notna()]
    roots = index.drop_duplicates(["image_id", "role"]).set_index(["image_id", "role"])["root"]
    out: list[GalleryClass] = []
    for label, part in scored.groupby("label", sort=True):
        part = part.sort_values(["realism", "image_id"], kind="mergesort")
        least = part.head(per_class)
        most = part.drop(least.index).tail(per_class).iloc[::-1]
        out.append({"label": str(label), "n": int(len(part)), "n_outliers": int(part["outlier"].sum()),
                    "least": [_pair(r, roots) for r in least.itertuples()],
                    "most": [_pair(r, roots) for r in most.itertuples()]})
    return out


def _pair(row: Any, roots: pd.Series) -> GalleryPair:
    def ref(image_id: str, path: str, role: str, label: str) -> GalleryImage:
        return {"image_id": image_id, "path": path, "root": str(roots.get((image_id, role), "")),
                "label": label, "role": role}

    score = float(row.realism)
    return {"query": ref(row.image_id, row.path, "synthetic", row.label),
            "neighbour": ref(row.nearest_real_id, row.nearest_real_path, "real", row.nearest_real_label),
            "realism": score if math.isfinite(score) else None, "distance": float(row.distance),
            "outlier": bool(row.outlier)}


def utility_section(metrics: MetricsDocument | None, realism: pd.DataFrame | None, index: pd.DataFrame,
                    costs: UtilityParams, per_class: int) -> UtilitySection | None:
    """The section; None when neither the curves, the confusion matrix nor realism exist."""
    utility = None if metrics is None else metrics.utility
    cas = None if metrics is None else metrics.cas
    gallery = realism_gallery(realism, index, per_class) if realism is not None else []
    if utility is None and (cas is None or cas.confusion is None) and not gallery:
        return None
    scored = realism[realism["realism"].notna()] if realism is not None else None
    return UtilitySection(
        utility=utility,
        cost=cost_sentence(utility, costs) if utility else None,
        augmentation=None if metrics is None else metrics.augmentation,
        confusion=None if cas is None else cas.confusion,
        collapse=[] if cas is None else cas.collapse,
        cas_model=None if cas is None else cas.model,
        realism=gallery,
        realism_summary=None if scored is None or scored.empty else {
            "n": int(len(scored)), "n_outliers": int(scored["outlier"].sum()),
            "median": float(scored["realism"].replace(np.inf, np.nan).median())},
    )


def equivalent_line(section: UtilitySection | None) -> str | None:
    """The real-image equivalent in one short line (summary.md, the Prefect artifact's title)."""
    if section is None or section.utility is None:
        return None
    eq = section.utility.real_equivalent
    assert eq.ci95 is not None  # the curve inversion always states its interval
    return f"synthetic set worth {eq.text} real images (95% CI {_fmt(eq.ci95[0])}–{_fmt(eq.ci95[1])})"
