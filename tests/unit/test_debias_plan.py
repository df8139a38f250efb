"""Debias plan: target shares, per-class counts, role choice and flagged attributes."""

from __future__ import annotations

import pandas as pd
import pytest

from synthscope.bias import ScanData
from synthscope.bias.imbalance import Imbalance
from synthscope.debias.plan import (
    choose_role,
    class_counts_for,
    debias_reasons,
    flagged_attributes,
    make_plan,
    max_deficit,
    target_shares,
)
from synthscope.errors import ConfigError
from synthscope.params import DebiasParams, ScanParams, build_params

SKEWED = pd.Series({"circle": 40, "square": 18, "triangle": 6})
EVEN = pd.Series({"circle": 30, "square": 30, "triangle": 30})


def findings(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["check", "attribute", "class", "severity"])


def test_target_shares_real_uniform_and_given():
    assert target_shares("real", SKEWED, pd.Series({"circle": 10, "square": 30, "triangle": 60})) == {
        "circle": 0.1, "square": 0.3, "triangle": 0.6}
    assert target_shares("uniform", SKEWED, None) == pytest.approx(dict.fromkeys(SKEWED.index, 1 / 3))
    assert target_shares({"circle": 2, "square": 1, "triangle": 1}, SKEWED, None) == {
        "circle": 0.5, "square": 0.25, "triangle": 0.25}


@pytest.mark.parametrize(("target", "real", "key"), [
    ("real", None, "debias.target"),
    ({"circle": 1.0, "square": 1.0}, None, "triangle"),
])
def test_impossible_targets_name_the_fix(target, real, key):
    with pytest.raises(ConfigError, match=key):
        target_shares(target, SKEWED, real)


def test_max_deficit_equals_the_scans_imbalance_flag():
    """Independent reference: the scan's own imbalance check on the same counts (against real)."""
    reference = pd.Series({"circle": 20, "square": 20, "triangle": 20})
    frame = lambda counts, role: pd.DataFrame(  # noqa: E731
        {"label": [c for c, n in counts.items() for _ in range(n)], "role": role})
    scored = Imbalance().score(ScanData(frame(SKEWED, "synthetic"), frame(reference, "real")), ScanParams())
    worst = scored["flag_value"].max()
    assert max_deficit(SKEWED, dict.fromkeys(SKEWED.index, 1 / 3)) == pytest.approx(worst)
    assert max_deficit(SKEWED, dict.fromkeys(SKEWED.index, 1 / 3)) == pytest.approx(1 - 6 / 40)
    assert max_deficit(EVEN, dict.fromkeys(EVEN.index, 1 / 3)) == 0.0


def test_class_counts_fill_up_or_keep_the_total():
    uniform = dict.fromkeys(SKEWED.index, 1 / 3)
    assert class_counts_for(SKEWED, uniform, undersample=False) == dict.fromkeys(SKEWED.index, 40)
    assert class_counts_for(SKEWED, uniform, undersample=True) == dict.fromkeys(SKEWED.index, 21)
    given = {"circle": 0.5, "square": 0.25, "triangle": 0.25}
    # 40 circles at 50% -> 80 in all; 18 squares at 25% would need 72 in all: circle decides.
    assert class_counts_for(SKEWED, given, undersample=False) == {"circle": 40, "square": 20, "triangle": 20}
    for counts in (class_counts_for(SKEWED, given, False), class_counts_for(SKEWED, uniform, False)):
        assert all(counts[c] >= SKEWED[c] for c in SKEWED.index)  # filling never drops images


def test_flagged_attributes_respect_min_severity_and_checks():
    frame = findings(
        ("shortcut", "color", "circle", "high"),
        ("consistency", "background", None, "low"),
        ("shortcut", "location", "square", "info"),
        ("imbalance", None, "triangle", "high"),
        ("diversity", None, None, "medium"),
    )
    assert flagged_attributes(frame, "low") == ("color", "background")  # schema.ATTRIBUTES order
    assert flagged_attributes(frame, "medium") == ("color",)
    assert flagged_attributes(findings(), "low") == ()


def test_role_auto_fills_real_only_when_real_misses_the_target():
    uniform = dict.fromkeys(SKEWED.index, 1 / 3)
    assert choose_role("auto", "uniform", SKEWED, uniform, 0.3) == "real"
    assert choose_role("auto", "uniform", EVEN, uniform, 0.3) == "synthetic"
    assert choose_role("auto", "real", SKEWED, uniform, 0.3) == "synthetic"  # real is the target itself
    assert choose_role("auto", "uniform", None, uniform, 0.3) == "synthetic"
    with pytest.raises(ConfigError, match="debias.role"):
        choose_role("real", "uniform", None, uniform, 0.3)


def test_make_plan_for_a_biased_synthetic_set():
    plan = make_plan(findings(("shortcut", "color", "circle", "high")), SKEWED, EVEN, DebiasParams(), 0.3)
    assert plan.role == "synthetic" and plan.attributes == ("color",)
    assert plan.target_counts == dict.fromkeys(SKEWED.index, 40)
    assert plan.deficit_before == pytest.approx(0.85)
    real_plan = make_plan(findings(), EVEN, SKEWED, DebiasParams(target="uniform"), 0.3)
    assert real_plan.role == "real" and real_plan.target_counts == dict.fromkeys(SKEWED.index, 40)


def test_params_reject_bad_debias_values():
    with pytest.raises(ConfigError, match=r"debias\.target\.circle: 0\.0 is out of range; use a finite number > 0"):
        build_params({"debias": {"target": {"circle": 0.0}}})
    with pytest.raises(ConfigError, match="debias.scale_range"):
        DebiasParams(scale_range=(1.5, 0.5))


def test_debias_reasons_are_the_findings_at_min_severity_and_a_missed_target():
    none = findings(("shortcut", "color", "circle", "low"), ("duplicates", None, None, "info"))
    real = DebiasParams(min_severity="medium")
    plan = make_plan(none, EVEN, EVEN, real, 0.3)
    assert debias_reasons(none, plan, real, 0.3) == []
    assert debias_reasons(none, plan, DebiasParams(min_severity="low"), 0.3) == ["shortcut finding (color, circle): low"]
    uniform = DebiasParams(min_severity="medium", target="uniform")
    skewed = make_plan(none, SKEWED, None, uniform, 0.3)
    (reason,) = debias_reasons(none, skewed, uniform, 0.3)
    assert "misses the uniform class target by 0.85" in reason
    assert debias_reasons(none, make_plan(none, EVEN, None, uniform, 0.3), uniform, 0.3) == []
