"""Backdrop re-fit, shadow-proof distance, thin strokes and the filled object (small synthetic images)."""

from __future__ import annotations

import numpy as np
import pytest

from synthscope.demo.composite import HARD_KINDS, hard_set, truth
from synthscope.features import mask as masks
from synthscope.features.attributes import image_attributes
from synthscope.features.mask import (
    MIN_DISTANCE,
    backdrop_distance,
    object_mask,
    stroke_width,
)

GREEN = np.array([40.0, 150.0, 60.0])
WHITE = np.array([245.0, 245.0, 240.0])


def spotlit(backdrop: np.ndarray, size: int = 64, low: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """A backdrop lit brighter in the middle (gain ``low`` at the corners) with a magenta
    U-shaped object whose gap shows the lit backdrop; -> (uint8 image, true object mask)."""
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1) - 0.5
    light = low + (1 - low) * np.exp(-(xx**2 + yy**2) / (2 * 0.3**2))
    obj = np.zeros((size, size), dtype=bool)
    a, b = size // 4, 3 * size // 4
    obj[a:b, a : a + size // 8] = obj[a:b, b - size // 8 : b] = obj[b - size // 8 : b, a:b] = True
    rgb = np.where(obj[..., None], np.array([200.0, 40.0, 180.0]), backdrop) * light[..., None]
    rng = np.random.default_rng(0)
    return np.clip(np.rint(rgb + rng.normal(0, 2, rgb.shape)), 0, 255).astype(np.uint8), obj


def test_plain_rgb_distance_on_a_grey_backdrop_and_shadows_stay_backdrop_on_a_green_one() -> None:
    rng = np.random.default_rng(1)
    pix, grey = rng.uniform(0, 255, (50, 3)), np.full((50, 3), 128.0)
    # on a grey backdrop the distance is the plain RGB one (reference: numpy's norm) for pixels
    # at least as bright as it; darker ones have their chroma part scaled up, by 2x at most
    got, plain = backdrop_distance(pix, grey), np.linalg.norm(pix - grey, axis=1)
    brighter = pix @ grey[0] >= grey[0] @ grey[0]
    assert 0 < brighter.sum() < len(pix)
    np.testing.assert_allclose(got[brighter], plain[brighter], rtol=1e-9)
    assert np.all(got >= plain - 1e-9) and np.all(got <= 2 * plain + 1e-9)
    for gain in (0.6, 0.8):  # a shadow 20-40% deep
        assert backdrop_distance(GREEN * gain, GREEN) < MIN_DISTANCE  # green screen: still backdrop
        assert backdrop_distance(WHITE * gain, WHITE) > MIN_DISTANCE  # white: luma is all there is
    # a dark grey object on a dim green screen differs by chroma, so it is still the object
    assert backdrop_distance(np.array([26.0, 26, 26]), GREEN * 0.5) > MIN_DISTANCE


@pytest.mark.parametrize("backdrop", [WHITE, GREEN])
def test_refit_holds_in_a_lit_middle_and_the_gap_of_a_concave_object_stays_backdrop(monkeypatch, backdrop) -> None:
    img, obj = spotlit(backdrop)
    found = object_mask(img)
    gap = np.zeros_like(obj)
    gap[16:40, 24:40] = True  # inside the U, open to the top
    assert abs(found.filled.mean() - obj.mean()) < 0.01
    assert not found.filled[gap].any() and found.confidence > 0.5
    if backdrop is WHITE:  # the border-only surface: the lit middle becomes "object" (on green the
        # spotlight only scales the backdrop's colour, which the distance discounts)
        monkeypatch.setattr(masks, "REFITS", 0)
        assert object_mask(img).filled.mean() - obj.mean() > 0.05


@pytest.mark.parametrize(("width", "expected"), [(1, 2.0), (2, 2.0), (3, 3.0)])
def test_stroke_width_of_lines(width: int, expected: float) -> None:
    line = np.zeros((40, 40), dtype=bool)
    line[10 : 10 + width, 5:35] = True
    assert stroke_width(line) == pytest.approx(expected, rel=0.1)


def test_stroke_width_of_a_disk_is_about_its_radius() -> None:
    yy, xx = np.mgrid[0:80, 0:80]
    assert stroke_width(np.hypot(yy - 40, xx - 40) <= 20) == pytest.approx(20, rel=0.15)


@pytest.mark.parametrize("pen", [1, 2, 3])
def test_outline_keeps_its_strokes_and_size_and_location_come_from_its_inside(pen: int) -> None:
    rng = np.random.default_rng(pen)
    img = np.clip(rng.normal(245, 2, (64, 64, 3)), 0, 255)
    outline = np.zeros((64, 64), dtype=bool)
    outline[12:44, 20:52] = True
    outline[12 + pen : 44 - pen, 20 + pen : 52 - pen] = False
    img[outline] = (20, 20, 60)
    found = object_mask(np.rint(img).astype(np.uint8))
    assert found.mask.sum() == pytest.approx(outline.sum(), rel=0.05)  # the strokes, not opened away
    assert found.filled.sum() == 32 * 32 and found.fg_score > 0.5
    a = image_attributes(np.rint(img).astype(np.uint8))
    assert a["fg_area"] == pytest.approx(32 * 32 / 64**2)
    assert (a["centroid_x"], a["centroid_y"]) == pytest.approx((36 / 64, 28 / 64))
    assert (a["bbox_w"], a["bbox_h"]) == pytest.approx((0.5, 0.5))
    # the colour is the pen's, not the paper inside the outline
    assert (a["obj_r"], a["obj_b"]) == pytest.approx((20 / 255, 60 / 255), abs=0.02)


def test_ring_size_is_the_filled_disk_and_its_colour_the_ring() -> None:
    yy, xx = np.mgrid[0:64, 0:64] + 0.5
    r = np.hypot(yy - 32, xx - 32)
    ring = (r <= 18) & (r > 10)
    img = np.where(ring[..., None], np.array([220, 200, 30]), np.array([30, 70, 170])).astype(np.uint8)
    a = image_attributes(img)
    assert a["fg_area"] == pytest.approx((r <= 18).mean(), abs=2 / 64**2)
    assert (a["centroid_x"], a["centroid_y"]) == pytest.approx((0.5, 0.5), abs=0.5 / 64)
    assert (a["obj_r"], a["obj_g"], a["obj_b"]) == pytest.approx((220 / 255, 200 / 255, 30 / 255), abs=0.01)


@pytest.mark.parametrize("kind", HARD_KINDS)
def test_harder_composites_meet_the_acceptance(kind: str) -> None:
    """A small slice of bench/masks.py: median errors <= 0.03 against the filled object, and on
    the stroke kinds 'no distinct object' on at most 5% of images."""
    rows = []
    for c in hard_set(kind, 14, seed=7):
        got, want = image_attributes(c.rgb), truth(c.truth_alpha)
        centroid = max(abs(got["centroid_x"] - want["centroid_x"]), abs(got["centroid_y"] - want["centroid_y"]))
        rows.append((abs(got["fg_area"] - want["fg_area"]), centroid, got["mask_fg_score"] == 0.0))
    err = np.array(rows, dtype=float)
    print(f"{kind}: median |area err| {np.median(err[:, 0]):.4f}, centroid {np.median(err[:, 1]):.4f}, "
          f"no object {err[:, 2].mean():.2f}")
    assert np.median(err[:, 0]) <= 0.03 and np.median(err[:, 1]) <= 0.03
    if kind in ("outline", "glyph"):
        assert err[:, 2].mean() <= 0.05
