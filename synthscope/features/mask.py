"""The object mask of one image and how far to trust it (pure numpy, no paths).

Photos break the simple "far from the border's median colour" rule: an arm crossing the
frame inflates the border's spread, vignetting darkens the corners, a cluttered scene has
no backdrop at all. So the background is modelled from the *dominant colour cluster* of
the border frame (k-means), as a smooth quadratic surface over the image (which absorbs
vignetting and lighting gradients), with its own noise level; pixels far from that
surface are the object. A surface fitted on the border alone extrapolates poorly into a
middle lit brighter or darker than the frame, so it is then re-fitted on *every* pixel it
classifies as backdrop, interior included (the gaps between a hand's fingers too), until
the split is stable. Distances are measured so that a shadow on the backdrop stays
backdrop: a shadow scales the backdrop's colour, so on a saturated backdrop (a green or
blue screen) the part of the difference along the backdrop's own colour (luma) weighs
less than the part across it (chroma). Refining the split with OpenCV's GrabCut was
measured in bench/masks.py (no gain on studio backdrops, about 0.01 of area on cluttered
ones, at 2-3x the cost), so it is not used.

Two masks come out: ``mask``, the object's own pixels (for its colour), and ``filled``,
the object with its holes filled (a ring's hole, the inside of an outline drawing), from
which size and location are read. Thin strokes (outline drawings, small glyphs) are not
opened away: the speck-removing opening is skipped below a stroke width of
``THIN_STROKE`` px. See docs/masks.md.

The mask comes with a confidence in [0, 1], the product of two scores that also say *why*
a mask is not trusted: ``bg_score`` (how much of the border the backdrop model explains;
low on cluttered backgrounds) and ``fg_score`` (whether a distinct object of plausible size
stands out; low when nothing differs from the backdrop or the "object" fills the frame,
as in a CIFAR photo).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage

# Masks are computed on the image shrunk to at most this side: the cost stays bounded on
# megapixel photos and area/centroid are fractions of the side anyway.
WORK_SIDE = 128
BORDER_FRACTION = 0.04  # width of the border frame, fraction of the shorter side
KMEANS_K = 3
KMEANS_ITERATIONS = 8
# Threshold on the distance (RGB 0-255) to the background surface: NOISE_FACTOR x the
# backdrop's median residual, never below MIN_DISTANCE (JPEG and sensor noise).
MIN_DISTANCE = 30.0
NOISE_FACTOR = 4.0
# Median backdrop residual (RGB units) from which the backdrop counts as textured (score 1 -> 0):
# sensor noise of sigma 8 gives about 12 (tuned on the composite set: bench/masks.py).
NOISY_BACKDROP = (12.0, 28.0)
# Weight of the luma part of a distance on a saturated backdrop (1 on a grey or white one,
# where only luma tells a grey object from the backdrop), between these saturations (0-1):
# a shadow 40% deep on a green screen stays under MIN_DISTANCE.
SATURATED_LUMA_WEIGHT = 0.35
SATURATION_RAMP = (0.25, 0.5)
SHADOW_GAIN = 0.5  # chroma differences of pixels darker than this gain are scaled up no further
# Re-fits of the backdrop surface on every pixel it explains; stop when fewer than this
# share of the pixels change side.
REFITS = 3
REFIT_DEGREE = 4
QUARTIC_MIN_INSIDE = 0.25  # share of the central 60% x 60% seen as backdrop for a quartic
REFIT_STABLE = 0.002
REFIT_SAMPLES = 2048  # pixels used per re-fit at most (an even subsample): bounds the cost
# Below this stroke width (px at the working resolution) the mask is not opened: the
# opening would erase 1-3 px outlines and small glyphs.
THIN_STROKE = 4.0
# bg_score: 0 -> 1 as the share of the border frame the final backdrop surface explains
# rises through this range; fg_score: 1 -> 0 as the share of the border frame the object
# covers rises through the other (an object entering from one edge covers about 5-15%).
# Tuned on bench/masks.py (cluttered photos: AUC of the confidence against good masks).
EXPLAINED = (0.6, 0.9)
ON_BORDER = (0.15, 0.4)


@dataclass(frozen=True)
class ObjectMask:
    """``mask`` (h, w) bool at the working resolution; scores in [0, 1]."""

    mask: np.ndarray  # the object's own pixels (holes and the inside of an outline excluded)
    confidence: float
    bg_score: float  # the backdrop model explains the border (0: cluttered background)
    fg_score: float  # a distinct object of plausible size stands out (0: none, or it fills the frame)
    filled: np.ndarray  # ``mask`` with its holes filled: what size and location are read from


def border_frame(h: int, w: int) -> np.ndarray:
    """(h, w) bool, True on a frame about ``BORDER_FRACTION`` of the shorter side wide (>= 1 px)."""
    b = max(1, round(BORDER_FRACTION * min(h, w)))
    frame = np.ones((h, w), dtype=bool)
    frame[b : h - b, b : w - b] = False
    return frame


def kmeans_labels(pixels: np.ndarray, k: int = KMEANS_K) -> np.ndarray:
    """Deterministic k-means of (N, 3) float pixels -> (N,) labels (init at luma quantiles)."""
    luma = pixels @ np.array([0.299, 0.587, 0.114], dtype=pixels.dtype)
    order = np.argsort(luma, kind="stable")
    centres = pixels[order[((np.arange(k) + 0.5) / k * len(pixels)).astype(int)]].copy()
    labels = np.zeros(len(pixels), dtype=np.int64)
    wide = np.ascontiguousarray(pixels.T, dtype=np.float64)  # (channels, N): long inner loops
    nonempty = np.ones(k, dtype=bool)
    for step in range(KMEANS_ITERATIONS):
        # (k, N) squared distances summed channel by channel in order (the per-channel form's values)
        sq = wide[None, :, :] - centres[:, :, None]
        sq *= sq
        d = sq[:, 0] + sq[:, 1]
        d += sq[:, 2]
        new = d.argmin(axis=0)
        if step and np.array_equal(new, labels):
            break  # the same labels give the same centres: every further iteration repeats this one
        labels = new
        counts = np.bincount(labels, minlength=k)
        np.greater(counts, 0, out=nonempty)
        sums = np.stack([np.bincount(labels, weights=channel, minlength=k) for channel in wide], axis=1)
        centres[nonempty] = sums[nonempty] / counts[nonempty, None]
    return labels


def design(ys: np.ndarray, xs: np.ndarray, degree: int = 2) -> np.ndarray:
    """Polynomial surface basis (N, terms) of normalised coordinates in [-1, 1]: 6 terms for a
    quadratic (the border fit), 15 for a quartic (the re-fits, which see the interior)."""
    terms = [np.ones_like(xs), xs, ys, xs * xs, ys * ys, xs * ys]  # the quadratic's come first
    terms += [xs**i * ys ** (d - i) for d in range(3, degree + 1) for i in range(d + 1)]
    return np.stack(terms, axis=-1)


def fit_surface(pixels: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Least-squares (terms, 3) coefficients of a per-channel polynomial surface through ``pixels``.

    Solved by the normal equations (6 x 6, in float64): a fraction of ``lstsq``'s SVD cost,
    and the basis of normalised coordinates is well conditioned; ``lstsq`` when it is singular
    (pixels all on one row or column).
    """
    b = basis.astype(np.float64)
    gram, rhs = b.T @ b, b.T @ pixels.astype(np.float64)
    try:
        return np.linalg.solve(gram + 1e-9 * np.eye(len(gram)), rhs).astype(np.float32)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(b, pixels.astype(np.float64), rcond=None)[0].astype(np.float32)


@lru_cache(maxsize=32)
def grid_basis(h: int, w: int, degree: int = 2, step: int = 1) -> np.ndarray:
    """(pixels, terms) surface basis of every ``step``-th pixel of every ``step``-th row of an
    (h, w) image (cached: images share sizes)."""
    gy, gx = np.mgrid[0:h:step, 0:w:step].astype(np.float32)
    basis = design((gy / max(h - 1, 1)) * 2 - 1, (gx / max(w - 1, 1)) * 2 - 1, degree)
    basis = basis.reshape(gy.size, -1)
    basis.flags.writeable = False
    return basis


def backdrop_distance(img: np.ndarray, surface: np.ndarray) -> np.ndarray:
    """(..., 3) pixels and backdrop colours -> (...) distance in which a shadow stays backdrop.

    The difference is split along the backdrop's colour (a shadow or a spotlight scales it:
    luma) and across it (chroma). On a saturated backdrop the first part is weighted by
    ``SATURATED_LUMA_WEIGHT``; on a grey one it keeps full weight. The second is scaled to
    the backdrop's brightness (a pixel at gain k of the backdrop: divided by k, at most by
    1 / ``SHADOW_GAIN``). On a pixel as bright as the backdrop it is the plain RGB distance.
    """
    (r, g, b), (sr, sg, sb) = (img[..., c] for c in range(3)), (surface[..., c] for c in range(3))
    norm2 = np.maximum(sr * sr + sg * sg + sb * sb, 1e-6)  # channel by channel: sum(axis=-1) is slow
    k = (r * sr + g * sg + b * sb) / norm2
    across = (r - k * sr) ** 2 + (g - k * sg) ** 2 + (b - k * sb) ** 2
    # chroma is compared at the backdrop's brightness: a dark grey object on a dim green screen
    # differs in chroma as much as a light one, only at a smaller scale (up to 1 / SHADOW_GAIN)
    across = across / np.clip(k, SHADOW_GAIN, 1.0) ** 2
    along = (1.0 - k) ** 2 * norm2
    top = np.maximum(np.maximum(sr, sg), sb)
    sat = (top - np.minimum(np.minimum(sr, sg), sb)) / np.maximum(top, 1e-6)
    ramp_sat = np.clip((sat - SATURATION_RAMP[0]) / (SATURATION_RAMP[1] - SATURATION_RAMP[0]), 0.0, 1.0)
    weight = 1.0 - (1.0 - SATURATED_LUMA_WEIGHT) * ramp_sat
    return np.sqrt(across + weight * weight * along)


def border_fit(img: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """(6, 3) surface coefficients, threshold, share of border explained, backdrop noise (the
    median residual of the border pixels it explains) of the backdrop fitted on the border.

    Fit on the dominant border cluster, then once more on every border pixel the first fit
    explains, so a backdrop that k-means split in two (vignetting) is taken whole.
    """
    h, w = img.shape[:2]
    frame = border_frame(h, w)
    ys, xs = np.nonzero(frame)
    yn, xn = (ys / max(h - 1, 1)) * 2 - 1, (xs / max(w - 1, 1)) * 2 - 1
    px = img[frame]
    labels = kmeans_labels(px)
    members = labels == np.bincount(labels).argmax()
    basis = design(yn.astype(np.float32), xn.astype(np.float32))
    threshold = MIN_DISTANCE
    for _ in range(2):
        if members.sum() < 12:  # too few pixels for a surface: a flat colour
            coef = np.zeros((6, 3), dtype=np.float32)
            coef[0] = px[members].mean(axis=0) if members.any() else px.mean(axis=0)
        else:
            coef = fit_surface(px[members], basis[members])
        resid = backdrop_distance(px, basis @ coef)
        noise = float(np.median(resid[members])) if members.any() else float(np.median(resid))
        threshold = max(MIN_DISTANCE, NOISE_FACTOR * noise)
        members = resid < threshold
    return coef, threshold, float(members.mean()), noise


def background_model(img: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """(h, w, 3) float32 -> (distance map (h, w) to the backdrop, threshold, share of the border
    frame the final surface explains, backdrop noise of the border fit, in RGB 0-255 units).

    The border fit (:func:`border_fit`) is re-fitted on every pixel classified as backdrop,
    less a one-pixel margin at the object's edge (anti-aliased pixels), until stable. The
    re-fits run on a grid of every ``step``-th pixel, about 32 px a side (the surface is
    smooth), the final distance map on all pixels.
    """
    h, w = img.shape[:2]
    coef, threshold, _, noise = border_fit(img)
    step = max(1, min(h, w) // 32)  # re-fits on a grid of about 32 px or more a side
    sub_img = img[::step, ::step]
    sub_shape = sub_img.shape[:2]
    sub = sub_img.reshape(-1, 3)
    sub_bases = {d: grid_basis(h, w, d, step) for d in (2, REFIT_DEGREE)}  # contiguous: fast products
    backdrop = (backdrop_distance(sub, sub_bases[2] @ coef) < threshold).reshape(sub_shape)
    centre = np.zeros(sub_shape, dtype=bool)
    cy, cx = round(0.2 * sub_shape[0]), round(0.2 * sub_shape[1])
    centre[cy : sub_shape[0] - cy, cx : sub_shape[1] - cx] = True
    for _ in range(REFITS):
        fit_on = np.flatnonzero(erode4(backdrop))
        if len(fit_on) < 12:
            break
        # a quartic where the backdrop is seen in the middle too (a spotlight's bump), else the
        # quadratic: a quartic through little more than the frame would swing wildly inside
        seen_inside = float(backdrop[centre].mean())
        degree = REFIT_DEGREE if seen_inside >= QUARTIC_MIN_INSIDE else 2
        fit_on = fit_on[:: max(1, len(fit_on) // REFIT_SAMPLES)]
        coef = fit_surface(sub[fit_on], sub_bases[degree][fit_on])
        dist = backdrop_distance(sub, sub_bases[degree] @ coef)
        threshold = max(MIN_DISTANCE, NOISE_FACTOR * float(np.median(dist[fit_on])))
        now = (dist < threshold).reshape(sub_shape)
        changed = float(np.mean(now != backdrop))
        backdrop = now
        if changed < REFIT_STABLE:
            break
    basis = grid_basis(h, w, REFIT_DEGREE if len(coef) > 6 else 2)
    dist = backdrop_distance(img.reshape(-1, 3), basis @ coef).reshape(h, w)
    explained = float((dist[border_frame(h, w)] < threshold).mean())
    return dist, threshold, explained, noise


def largest_component(mask: np.ndarray) -> np.ndarray:
    """Keep the largest 8-connected component of a bool mask (the most salient blob)."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n <= 1:
        return mask
    return labels == (int(np.argmax(np.bincount(labels.ravel())[1:])) + 1)


def erode4(mask: np.ndarray) -> np.ndarray:
    """Binary erosion by the 4-neighbour cross, outside the image counting as set (what
    ``ndimage.binary_erosion(mask, border_value=1)`` gives, without its per-call overhead)."""
    out = mask.copy()
    out[1:] &= mask[:-1]
    out[:-1] &= mask[1:]
    out[:, 1:] &= mask[:, :-1]
    out[:, :-1] &= mask[:, 1:]
    return out


def erode_cross(mask: np.ndarray) -> np.ndarray:
    """Binary erosion by the 4-neighbour cross, outside the image counting as unset (what
    ``ndimage.binary_erosion(mask)`` gives, without its per-call overhead)."""
    out = erode4(mask)
    out[[0, -1], :] = False
    out[:, [0, -1]] = False
    return out


def erode_square(mask: np.ndarray) -> np.ndarray:
    """Binary erosion by the 3 x 3 square, outside the image counting as unset (what
    ``ndimage.binary_erosion(mask, structure=np.ones((3, 3)))`` gives): rows, then columns."""
    rows = mask.copy()
    rows[:, 1:] &= mask[:, :-1]
    rows[:, :-1] &= mask[:, 1:]
    rows[:, [0, -1]] = False
    out = rows.copy()
    out[1:] &= rows[:-1]
    out[:-1] &= rows[1:]
    out[[0, -1], :] = False
    return out


def dilate_square(mask: np.ndarray) -> np.ndarray:
    """Binary dilation by the 3 x 3 square, outside the image counting as unset (what
    ``ndimage.binary_dilation(mask, structure=np.ones((3, 3)))`` gives): rows, then columns."""
    rows = mask.copy()
    rows[:, 1:] |= mask[:, :-1]
    rows[:, :-1] |= mask[:, 1:]
    out = rows.copy()
    out[1:] |= rows[:-1]
    out[:-1] |= rows[1:]
    return out


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """``mask`` with every background region that does not reach the image edge set (what
    ``ndimage.binary_fill_holes(mask)`` gives: 4-connected background), by one labelling."""
    labels, n = ndimage.label(~mask)
    reaches_edge = np.zeros(n + 1, dtype=bool)
    for edge in (labels[0], labels[-1], labels[:, 0], labels[:, -1]):
        reaches_edge[edge] = True
    reaches_edge[0] = False  # label 0: the mask's own pixels
    return ~reaches_edge[labels]


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width (px) of a bool mask: 2 x area / edge pixels (a w-px line about w, at
    least 2; a disk of radius r about r). 0 for an empty mask."""
    area = int(mask.sum())
    if area == 0:
        return 0.0
    edge = area - int(erode4(mask).sum())
    return 2.0 * area / max(edge, 1)


def clean(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raw "far from the backdrop" pixels -> (object pixels, object filled), the largest object.

    Specks are removed by an opening on images of 16 px or more, unless the object is drawn
    in strokes thinner than ``THIN_STROKE`` (the opening would erase it); then a closing
    bridges one-pixel breaks in the stroke so that a closed outline encloses its inside.
    Holes are filled in the second mask only.
    """
    base = raw
    thin = raw.any() and stroke_width(raw) < THIN_STROKE
    if min(raw.shape) >= 16 and not thin:
        base = dilate_square(erode_square(raw))  # ndimage.binary_opening by the 3 x 3 square
    bridged = base | erode_square(dilate_square(base)) if thin else base  # ... and its closing
    filled = largest_component(fill_holes(bridged))
    return base & filled, filled


def ramp(x: float, lo: float, hi: float) -> float:
    """0 at or below ``lo``, 1 at or above ``hi``, linear between."""
    return float(np.clip((x - lo) / (hi - lo), 0.0, 1.0))


def foreground_score(mask: np.ndarray, filled: np.ndarray, dist: np.ndarray, threshold: float) -> float:
    """How plausibly ``mask`` is one distinct object: contrast (of its own pixels), area and how
    much border it covers (of the filled object).

    Zero for an empty mask, for one covering most of the image or most of the border (an
    object that fills the frame, where no backdrop is seen), and for a faint blob.
    """
    area = float(filled.mean())
    if not mask.any():
        return 0.0
    contrast = float(np.median(dist[mask])) / threshold  # > 1 by construction of the seed
    on_border = float(filled[border_frame(*mask.shape)].mean())
    return (
        ramp(contrast, 1.2, 2.5)
        * ramp(area, 0.0, 0.01)
        * (1.0 - ramp(area, 0.6, 0.85))
        * (1.0 - ramp(on_border, *ON_BORDER))
    )


def object_mask(rgb: np.ndarray) -> ObjectMask:
    """(H, W, 3) uint8 (already at working resolution, see ``WORK_SIDE``) -> :class:`ObjectMask`."""
    img = rgb.astype(np.float32)
    dist, threshold, explained, noise = background_model(img)
    mask, filled = clean(dist > threshold)
    # a backdrop explains the border, and is smooth: texture left after the surface fit is clutter
    bg = ramp(explained, *EXPLAINED) * (1.0 - ramp(noise, NOISY_BACKDROP[0], NOISY_BACKDROP[1]))
    fg = foreground_score(mask, filled, dist, threshold)
    return ObjectMask(mask, bg * fg, bg, fg, filled)


def image_object_mask(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 at any size -> (H, W) bool object mask, for code that edits pixels (debias).

    The filled object (holes included, as the masks before thin strokes were kept), computed
    at the working resolution (``WORK_SIDE``) and scaled back with nearest-neighbour.
    """
    from PIL import Image

    h, w = rgb.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    small = rgb if scale == 1.0 else np.asarray(
        Image.fromarray(rgb).resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BOX)
    )
    mask = object_mask(small).filled
    if mask.shape == (h, w):
        return mask
    return np.asarray(Image.fromarray(mask).resize((w, h), Image.Resampling.NEAREST), dtype=bool)
