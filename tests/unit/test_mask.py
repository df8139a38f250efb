"""Object masks on composites with known alpha mattes, and the confidence on real photos."""

from __future__ import annotations

import time

import numpy as np
import pytest

from synthscope.demo.composite import LARGE_SIZES, composite_set, truth
from synthscope.features.attributes import image_attributes
from tests.shared_data import cifar_sample


def errors(items: list) -> np.ndarray:
    """(N, 3): |fg_area error|, max centroid error per axis (fractions of the side), confidence."""
    rows = []
    for c in items:
        got, want = image_attributes(c.rgb), truth(c.alpha)
        centroid = max(abs(got["centroid_x"] - want["centroid_x"]), abs(got["centroid_y"] - want["centroid_y"]))
        rows.append((abs(got["fg_area"] - want["fg_area"]), centroid, got["mask_confidence"]))
    return np.array(rows)


@pytest.mark.parametrize("crosses_edge", [False, True])
def test_flat_noisy_vignetted_backdrops_meet_the_acceptance(crosses_edge: bool) -> None:
    items = [c for c in composite_set(80, seed=3, backdrops=("flat",)) if c.crosses_edge == crosses_edge]
    err = errors(items)
    print(f"flat, crosses_edge={crosses_edge}: median |area err| {np.median(err[:, 0]):.4f}, "
          f"median centroid err {np.median(err[:, 1]):.4f} on {len(items)} images")
    assert np.median(err[:, 0]) <= 0.05
    assert np.median(err[:, 1]) <= 0.05
    assert np.median(err[:, 2]) >= 0.5  # studio backdrops: the masks are trusted


def test_megapixel_composites_are_measured_at_bounded_cost() -> None:
    items = composite_set(4, seed=4, backdrops=("flat",), sizes=LARGE_SIZES)
    started = time.perf_counter()
    err = errors(items)
    elapsed = time.perf_counter() - started
    print(f"megapixel: median |area err| {np.median(err[:, 0]):.4f}, centroid {np.median(err[:, 1]):.4f}, "
          f"{elapsed / len(items):.2f} s/image")
    assert np.median(err[:, 0]) <= 0.05 and np.median(err[:, 1]) <= 0.05


def test_confidence_separates_good_from_bad_masks_on_cluttered_photos() -> None:
    err = errors(composite_set(80, seed=5, backdrops=("photo",)))
    good = (err[:, 0] <= 0.05) & (err[:, 1] <= 0.05)
    trusted = err[:, 2] >= 0.5
    from sklearn.metrics import roc_auc_score

    auc = roc_auc_score(good, err[:, 2])
    print(f"cluttered: {trusted.sum()} trusted masks, median |area err| {np.median(err[trusted, 0]):.3f} / "
          f"centroid {np.median(err[trusted, 1]):.3f}; {(~trusted).sum()} untrusted, "
          f"{np.median(err[~trusted, 0]):.3f} / {np.median(err[~trusted, 1]):.3f}; AUC {auc:.3f}")
    assert auc >= 0.75
    assert np.median(err[trusted, 0]) < np.median(err[~trusted, 0]) / 2
    assert np.median(err[trusted, 1]) < np.median(err[~trusted, 1]) / 2


def test_cifar_photos_whose_object_fills_the_frame_get_low_confidence() -> None:
    attrs = [image_attributes(img) for _, img in cifar_sample(per_class=20)]
    conf = np.array([a["mask_confidence"] for a in attrs])
    fills = np.array([a["fg_area"] > 0.6 or a["mask_fg_score"] < 0.5 for a in attrs])
    print(f"cifar: {np.mean(conf >= 0.5):.2f} trusted overall; {fills.sum()} fill the frame, "
          f"{np.mean(conf[fills] >= 0.5):.2f} of them trusted")
    assert np.all((conf >= 0) & (conf <= 1))
    assert np.mean(conf[fills] >= 0.5) <= 0.1
    assert np.mean(conf >= 0.5) < 0.6  # cluttered photos: most masks are not trusted


def test_plain_image_has_no_object_and_zero_confidence() -> None:
    rng = np.random.default_rng(0)
    img = np.clip(rng.normal(128, 4, size=(64, 64, 3)), 0, 255).astype(np.uint8)
    a = image_attributes(img)
    assert a["mask_confidence"] == 0.0 and a["mask_fg_score"] == 0.0
