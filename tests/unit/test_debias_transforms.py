"""Each targeted transform changes only its attribute; results depend only on (seed, id, variant)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from synthscope.debias.transforms import apply_transforms, image_seed, split_layers
from synthscope.demo.shapes import render
from synthscope.features.attributes import image_attributes
from synthscope.features.mask import image_object_mask as object_mask
from synthscope.params import DebiasParams

P = DebiasParams()


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    """A red square on a textured grey-blue background, 64 px."""
    rng = np.random.default_rng(0)
    return render("square", (220, 40, 40), 0.08, 0.45, 0.55, 20.0, (90, 100, 130), 15.0, 64, "real", rng)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_split_layers_fills_the_hole_and_recomposes_exactly(image):
    layers = split_layers(image)
    assert np.array_equal(layers.compose(), image)
    assert np.array_equal(layers.background[~layers.mask], image[~layers.mask])
    hole = layers.background[layers.mask].astype(float)
    assert np.linalg.norm(hole.mean(axis=0) - image[~layers.mask].mean(axis=0)) < 30  # background-coloured


def test_color_changes_object_pixels_only_and_keeps_the_mask(image):
    mask = object_mask(image)
    out, log = apply_transforms(image, ("color",), 7, P)
    assert [s["name"] for s in log] == ["color"]
    assert np.array_equal(out[~mask], image[~mask])
    assert not np.array_equal(out[mask], image[mask])
    assert iou(object_mask(out), mask) > 0.95
    before, after = image_attributes(image), image_attributes(out)
    delta = abs((after["obj_hue"] - before["obj_hue"] + 180) % 360 - 180)
    assert delta == pytest.approx(abs(log[0]["hue_shift_deg"]), abs=15)
    assert after["fg_area"] == pytest.approx(before["fg_area"], abs=0.01)


def test_background_keeps_object_pixels(image):
    mask = object_mask(image)
    out, log = apply_transforms(image, ("background",), 3, P)
    assert log == [{"name": "background", "background": "texture"}]
    assert np.array_equal(out[mask], image[mask])
    assert np.abs(out[~mask].astype(int) - image[~mask].astype(int)).mean() > 20
    assert iou(object_mask(out), mask) > 0.9


def test_background_from_another_image_when_it_contrasts(image):
    rng = np.random.default_rng(5)
    donor = render("circle", (30, 200, 60), 0.05, 0.3, 0.3, 0.0, (200, 200, 60), 20.0, 64, "real", rng)
    mask = object_mask(image)
    out, log = apply_transforms(image, ("background",), 3, DebiasParams(background_source="images"), donor)
    assert log[0]["background"] == "image"
    assert np.array_equal(out[mask], image[mask])
    assert abs(out[~mask].astype(float).mean() - donor.astype(float).mean()) < 25


def test_size_scales_the_area_about_the_centroid(image):
    before = image_attributes(image)
    out, log = apply_transforms(image, ("size",), 11, P)
    after = image_attributes(out)
    scale = log[0]["scale"]
    assert P.scale_range[0] <= scale <= P.scale_range[1] and abs(scale - 1) > 0.05
    assert after["fg_area"] / before["fg_area"] == pytest.approx(scale**2, rel=0.15)
    assert after["centroid_x"] == pytest.approx(before["centroid_x"], abs=1.5 / 64)
    assert after["centroid_y"] == pytest.approx(before["centroid_y"], abs=1.5 / 64)
    # hue is circular: a red object may read 359.97 before and 0.01 after
    assert (after["obj_hue"] - before["obj_hue"] + 180) % 360 - 180 == pytest.approx(0, abs=3)


def test_location_moves_the_object_whole(image):
    mask = object_mask(image)
    out, log = apply_transforms(image, ("location",), 2, P)
    dx, dy = round(log[0]["dx"] * 64), round(log[0]["dy"] * 64)
    assert (dx, dy) != (0, 0)
    moved = np.roll(image, (dy, dx), axis=(0, 1))
    shifted = np.roll(mask, (dy, dx), axis=(0, 1))
    assert np.array_equal(out[shifted], moved[shifted])  # object pixels travel unchanged
    assert iou(object_mask(out), shifted) > 0.95
    # within 12 pixels (3% of this object): the backdrop surface is re-fitted on every backdrop
    # pixel of this textured background, the refilled hole included, so the move changes it a little
    assert image_attributes(out)["fg_area"] == pytest.approx(image_attributes(image)["fg_area"], abs=12 / 64**2)


def test_transforms_are_deterministic_per_seed(image):
    attrs = ("background", "color", "size", "location")
    a, log_a = apply_transforms(image, attrs, 42, P)
    b, log_b = apply_transforms(image, attrs, 42, P)
    c, _ = apply_transforms(image, attrs, 43, P)
    assert np.array_equal(a, b) and log_a == log_b and not np.array_equal(a, c)
    assert [s["name"] for s in log_a] == list(attrs)


def test_image_seed_depends_on_seed_id_and_variant_only():
    expected = int.from_bytes(hashlib.sha256(b"0:abc:1").digest()[:8], "little")
    assert image_seed(0, "abc", 1) == expected
    assert len({image_seed(0, "abc", 1), image_seed(1, "abc", 1), image_seed(0, "abd", 1), image_seed(0, "abc", 2)}) == 4


def test_an_image_without_an_object_is_left_alone():
    flat = np.full((32, 32, 3), 90, dtype=np.uint8)
    out, log = apply_transforms(flat, ("color", "background"), 0, P)
    assert out is flat and log == []
