"""Which images the augmented set holds: counts per class, copies, undersampling, both roles."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from synthscope.debias.build import VARIANT_EXTRA, build_items
from synthscope.errors import DataError
from synthscope.params import DebiasParams, ScanParams
from tests.bias_fakes import make_attributes

SKEWED = {"circle": 30, "square": 12, "triangle": 4}
BALANCED = {"circle": 20, "square": 20, "triangle": 20}
COLOR_FINDING = pd.DataFrame([("shortcut", "color", "circle", "high")],
                             columns=["check", "attribute", "class", "severity"])


def inputs(syn_counts: dict, real_counts: dict, seed: int = 0):
    attrs = pd.concat([make_attributes(syn_counts, seed=1), make_attributes(real_counts, seed=2, role="real")],
                      ignore_index=True)
    rng = np.random.default_rng(seed)
    # Class clusters in different directions, far from the 0.98 near-duplicate cosine.
    onehot = np.eye(16)[attrs["label"].map({"circle": 0, "square": 1, "triangle": 2}).to_numpy()]
    features = rng.normal(size=(len(attrs), 16)) + 3.0 * onehot
    index = attrs[["image_id", "role", "label", "path"]].assign(root="/data")
    return attrs, index, features


def test_synthetic_set_is_filled_to_the_target_with_transformed_copies():
    attrs, index, features = inputs(SKEWED, BALANCED)
    plan, items, counts = build_items(attrs, index, features, COLOR_FINDING, DebiasParams(), ScanParams())
    assert plan.role == "synthetic" and plan.attributes == ("color",)
    per_class = Counter(it.label for it in items)
    circles = [it for it in items if it.label == "circle"]
    assert all(it.variant == 0 for it in circles)  # the best-stocked class gets no copies
    assert per_class == Counter(dict.fromkeys(SKEWED, len(circles)))  # the real set is balanced
    assert sum(it.variant == 0 for it in items) == counts.n_kept  # every kept image is used
    originals = [it for it in items if it.variant == 0]
    copies = [it for it in items if it.variant > 0]
    assert all(it.attributes == ("color",) for it in originals)
    assert all(it.attributes == ("color", *VARIANT_EXTRA) for it in copies)
    assert {it.source_role for it in items} == {"synthetic"}
    assert len({(it.image_id, it.variant) for it in items}) == len(items)  # no output twice
    # The triangle copies cycle through its sources best first: variant k+1 after variant k.
    tri = [it for it in items if it.label == "triangle"]
    assert max(it.variant for it in tri) == -(-per_class["triangle"] // sum(it.variant == 0 for it in tri)) - 1


def test_undersampling_keeps_the_total_and_the_most_realistic():
    attrs, index, features = inputs(SKEWED, BALANCED)
    _, full, _ = build_items(attrs, index, features, COLOR_FINDING, DebiasParams(), ScanParams())
    _, items, _ = build_items(attrs, index, features, COLOR_FINDING, DebiasParams(undersample=True), ScanParams())
    n_kept = sum(it.variant == 0 for it in full)
    assert abs(len(items) - n_kept) <= 1  # rounding of the shares
    assert len({Counter(it.label for it in items)[c] for c in SKEWED}) == 1


def test_items_do_not_depend_on_the_input_order():
    attrs, index, features = inputs(SKEWED, BALANCED)
    order = np.random.default_rng(3).permutation(len(attrs))
    _, a, _ = build_items(attrs, index, features, COLOR_FINDING, DebiasParams(), ScanParams())
    shuffled = attrs.iloc[order].reset_index(drop=True)
    _, b, _ = build_items(shuffled, index.iloc[order].reset_index(drop=True), features[order], COLOR_FINDING,
                          DebiasParams(), ScanParams())
    assert a == b


def test_an_imbalanced_real_set_keeps_every_real_image_and_gets_synthetic_fill():
    attrs, index, features = inputs(BALANCED, SKEWED)
    plan, items, _ = build_items(attrs, index, features, COLOR_FINDING, DebiasParams(target="uniform"), ScanParams())
    assert plan.role == "real" and plan.target_counts == dict.fromkeys(SKEWED, 30)
    real = [it for it in items if it.source_role == "real"]
    assert Counter(it.label for it in real) == Counter(SKEWED) and all(it.attributes == () for it in real)
    fill = Counter(it.label for it in items if it.source_role == "synthetic")
    assert fill == Counter({"square": 18, "triangle": 26})


def test_a_class_without_synthetic_images_cannot_be_filled():
    attrs, index, features = inputs({"circle": 10, "square": 10}, BALANCED)
    with pytest.raises(DataError, match="'triangle' has no usable synthetic image"):
        build_items(attrs, index, features, COLOR_FINDING, DebiasParams(), ScanParams())
