"""Attribute accuracy against known truth: our own crisp renders and the demo generator."""

from __future__ import annotations

import colorsys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from synthscope.features.attributes import ATTRIBUTE_COLUMNS, dhash, image_attributes, noise_sigma, rgb_to_hsv
from synthscope.features.mask import object_mask
from synthscope.schema import ATTRIBUTE_GROUPS, MASK_COLUMNS, QUALITY_COLUMNS
from tests.shapes import SHAPES, render_shape

SIZE = 64
PIXEL = 1 / SIZE


def crisp_cases(n: int = 45, seed: int = 1):
    """Seeded (image, true mask, colour, background, texture) with colours >= 100 apart."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < n:
        color, bg = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        if np.linalg.norm(color - bg) < 100:
            continue
        texture = float(rng.uniform(0, 10))
        img, mask = render_shape(
            SHAPES[len(cases) % 3],
            SIZE,
            tuple(map(int, color)),
            tuple(map(int, bg)),
            tuple(rng.uniform(0.3, 0.7, 2)),
            float(rng.uniform(0.12, 0.25)),
            texture,
            seed=len(cases),
        )
        cases.append((img, mask, color / 255, bg / 255, texture))
    return cases


def test_every_schema_column_is_produced() -> None:
    img, _ = render_shape("circle", SIZE, (200, 30, 30), (240, 240, 240), (0.5, 0.5), 0.2)
    attrs = image_attributes(img)
    expected = {c for cols in ATTRIBUTE_GROUPS.values() for c in cols} | set(QUALITY_COLUMNS) | set(MASK_COLUMNS)
    expected |= {"dhash"}
    assert set(attrs) == expected == set(ATTRIBUTE_COLUMNS) | {"dhash"}
    assert all(np.isfinite(v) for v in attrs.values())


def test_attributes_match_the_truth_on_crisp_shapes() -> None:
    """Bounds, for uniform objects >= 100 RGB units from a background with noise std <= 10:

    - object colour and hue: the eroded mask holds only object pixels, so exact (< 1e-6);
    - area and centroid: the mask may miss or add edge pixels only: < 0.5% of the image
      and < 0.5 px;
    - bounding box: the opening (3x3) may shave a triangle's 1-2 px tips: < 5 px;
    - background colour: the mean of zero-mean noise over >= 2,400 pixels: < 0.01;
    - clutter (luma std) equals the noise std / 255 up to clipping at 0 and 255: < 0.02.
    """
    for img, mask, color, bg, texture in crisp_cases():
        a = image_attributes(img)
        ys, xs = np.nonzero(mask)
        np.testing.assert_allclose([a["obj_r"], a["obj_g"], a["obj_b"]], color, atol=1e-6)
        h, s, v = colorsys.rgb_to_hsv(*color)
        if s > 0.3 and v > 0.3:
            assert abs((a["obj_hue"] - h * 360 + 180) % 360 - 180) < 1e-3
            assert np.hypot(a["obj_hue_cos"], a["obj_hue_sin"]) == pytest.approx(1.0)
        assert abs(a["fg_area"] - mask.mean()) < 0.005
        assert abs(a["centroid_x"] - (xs.mean() + 0.5) / SIZE) < 0.5 * PIXEL
        assert abs(a["centroid_y"] - (ys.mean() + 0.5) / SIZE) < 0.5 * PIXEL
        assert abs(a["bbox_w"] - (xs.max() + 1 - xs.min()) / SIZE) < 5 * PIXEL
        assert abs(a["bbox_h"] - (ys.max() + 1 - ys.min()) / SIZE) < 5 * PIXEL
        np.testing.assert_allclose([a["bg_r"], a["bg_g"], a["bg_b"]], bg, atol=0.01)
        assert abs(a["bg_clutter"] - texture / 255) < 0.02


def test_attributes_on_the_demo_generator(tmp_path: Path) -> None:
    """On the demo generator (anti-aliased edges; textured backgrounds; "real" adds blur and
    sensor noise), per image against its truth:

    - object RGB: < 0.05 synthetic, < 0.06 real (edge blur, radius 0.6 and 0.7 px, bleeds into the
      eroded mask; noise std 2.5/255 and 4/255 averages out); hue: < 2 degrees (saturation >= 0.6 keeps hue well defined);
    - area: < 0.03 absolute, about the one-pixel ring around the largest object
      (perimeter ~ 100 px of 4096): a threshold on anti-aliased edges moves the border by
      at most a pixel; centroid: < 1 px (0.5 px for the seed's threshold rule; the backdrop
      model's lower threshold adds texture specks next to the object on 2 of 24 images with
      texture amplitude about 35/255);
    - background colour: the rendered background's own mean (texture included) within
      0.03; the sampled base colour within 0.16, since texture up to 40/255 with clipping
      moves the mean;
    - clutter ranks images by the generator's texture amplitude: Spearman > 0.9;
    - these bounds hold on images whose mask is trusted (confidence >= 0.5), at least 75% of them.
    """
    from synthscope.datasets.image import load_rgb
    from synthscope.demo import generate as gen
    from synthscope.demo.shapes import true_mask

    for style, rgb_bound in (("synthetic", 0.05), ("real", 0.06)):
        truth = gen.generate_dataset(tmp_path / style, 12, gen.Biases(), style, 0, SIZE)
        clutter, texture, trusted = [], [], 0
        for _, row in truth.iterrows():
            img = load_rgb(tmp_path / style / row["path"])
            a = image_attributes(img)
            clutter.append(a["bg_clutter"])
            texture.append(row["texture"])
            trusted += a["mask_confidence"] >= 0.5
            if a["mask_confidence"] < 0.5:  # the checks leave such images out; the bounds are for trusted masks
                continue
            obj = np.array([row["obj_r"], row["obj_g"], row["obj_b"]]) / 255
            np.testing.assert_allclose([a["obj_r"], a["obj_g"], a["obj_b"]], obj, atol=rgb_bound)
            assert abs((a["obj_hue"] - row["hue"] + 180) % 360 - 180) < 2.0
            assert abs(a["fg_area"] - row["area"]) < 0.03
            assert abs(a["centroid_x"] - row["cx"]) < PIXEL
            assert abs(a["centroid_y"] - row["cy"]) < PIXEL
            mask = true_mask(row["label"], row["area"], row["cx"], row["cy"], row["rotation"], SIZE)
            rendered_bg = img[~mask].mean(axis=0) / 255
            np.testing.assert_allclose([a["bg_r"], a["bg_g"], a["bg_b"]], rendered_bg, atol=0.03)
            base = np.array([row["bg_r"], row["bg_g"], row["bg_b"]]) / 255
            np.testing.assert_allclose([a["bg_r"], a["bg_g"], a["bg_b"]], base, atol=0.16)
        assert trusted >= 0.75 * len(truth)  # textured backgrounds (up to 40/255) lower some confidences
        assert spearmanr(clutter, texture).statistic > 0.9


def test_mask_is_empty_on_a_flat_image_and_attributes_stay_finite() -> None:
    flat = np.full((32, 48, 3), 90, dtype=np.uint8)
    found = object_mask(flat)
    assert not found.mask.any() and found.confidence == 0.0
    a = image_attributes(flat)
    assert a["fg_area"] == 0.0 and (a["centroid_x"], a["centroid_y"]) == (0.5, 0.5)
    assert a["aspect"] == pytest.approx(1.5) and a["colorfulness"] == 0.0 and a["entropy"] == 0.0


def test_large_images_are_measured_on_a_shrunk_copy() -> None:
    """A 1024 px render gives the same size/location as its 64 px version (scale invariance)."""
    big, mask = render_shape("square", 1024, (20, 200, 40), (250, 250, 250), (0.4, 0.6), 0.2)
    a = image_attributes(big)
    assert (a["width"], a["height"]) == (1024.0, 1024.0)
    assert abs(a["fg_area"] - mask.mean()) < 0.005
    ys, xs = np.nonzero(mask)
    assert abs(a["centroid_x"] - (xs.mean() + 0.5) / 1024) < 0.005


def test_hsv_matches_colorsys() -> None:
    rng = np.random.default_rng(0)
    px = rng.uniform(size=(200, 3))
    h, s, v = rgb_to_hsv(px)
    ref = np.array([colorsys.rgb_to_hsv(*p) for p in px])
    np.testing.assert_allclose(h, ref[:, 0] * 360, atol=1e-9)
    np.testing.assert_allclose(s, ref[:, 1], atol=1e-12)
    np.testing.assert_allclose(v, ref[:, 2], atol=1e-12)


def test_quality_measures_move_the_right_way() -> None:
    """Blur lowers sharpness; an all-grey image has no colourfulness; entropy of 2 equal levels is 1 bit."""
    from scipy import ndimage

    img, _ = render_shape("circle", SIZE, (250, 20, 20), (20, 20, 250), (0.5, 0.5), 0.25, texture=8)
    blurred = ndimage.gaussian_filter(img.astype(float), sigma=(2, 2, 0)).round().astype(np.uint8)
    assert image_attributes(blurred)["sharpness"] < 0.5 * image_attributes(img)["sharpness"]
    half = np.zeros((8, 8, 3), dtype=np.uint8)
    half[:, 4:] = 255
    assert image_attributes(half)["entropy"] == pytest.approx(1.0)
    assert image_attributes(half)["colorfulness"] == pytest.approx(0.0)


def test_dhash_is_stable_under_small_changes_and_differs_between_images() -> None:
    img, _ = render_shape("triangle", SIZE, (10, 120, 200), (230, 220, 200), (0.45, 0.5), 0.22)
    other, _ = render_shape("circle", SIZE, (200, 120, 10), (30, 30, 30), (0.6, 0.4), 0.15)
    noisy = np.clip(img + np.random.default_rng(0).normal(0, 2, img.shape), 0, 255).astype(np.uint8)

    def hamming(a: int, b: int) -> int:
        return bin((a ^ b) & (2**64 - 1)).count("1")

    assert hamming(dhash(img), dhash(noisy)) <= 4
    assert hamming(dhash(img), dhash(other)) > 16


@pytest.mark.parametrize("sigma", [2.0, 5.0, 12.0])
def test_noise_estimate_recovers_the_sigma_of_added_gaussian_noise(sigma: float) -> None:
    """Closed form: on a smooth ramp plus N(0, sigma^2) noise, Immerkaer's estimate is sigma (+-5%)."""
    rng = np.random.default_rng(0)
    ramp = np.add.outer(np.linspace(50, 150, 256), np.linspace(0, 50, 256))
    assert noise_sigma(ramp + rng.normal(0, sigma, ramp.shape)) == pytest.approx(sigma, rel=0.05)
    assert noise_sigma(ramp) == pytest.approx(0.0, abs=1e-9)
