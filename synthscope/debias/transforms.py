"""Targeted transforms that each change one attribute of an image's object (pure: arrays in and out).

An image is split into two layers with :func:`synthscope.features.mask.image_object_mask`:
the object, and the background with the object's hole filled from the nearest background
pixels. Each transform edits one layer, so it changes only its attribute:

- ``color``: the object's hue rotated by a uniform angle over the full circle, its saturation
  and brightness jittered by up to ``color_jitter`` (or the object turned grey, with
  ``grayscale_p``); background pixels are untouched;
- ``size``: the object layer (pixels and mask) scaled about its centroid;
- ``location``: the object layer translated (kept inside the frame);
- ``background``: the background layer replaced by a texture or another image's background;
  object pixels are untouched.

Geometry and colour use ``torchvision.transforms.v2.functional``. Every random draw comes from
one ``numpy`` generator seeded per image (:func:`image_seed`), so a result depends only on
(seed, image_id, variant), not on the order or the number of workers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import torch
from PIL import Image
from scipy import ndimage
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as F

from synthscope.features.mask import image_object_mask
from synthscope.params import DebiasParams

# Backgrounds must stay this far (RGB distance, 0-255) from the object colour, else the object
# would vanish into its new background and its measured colour, size and place would change.
MIN_CONTRAST = 90.0
ORDER = ("background", "color", "size", "location")  # layers first, then geometry
TransformRecord: TypeAlias = dict[str, float | str | bool]  # one transform's parameters, as the manifest logs them


def image_seed(seed: int, image_id: str, variant: int) -> int:
    """A 64-bit seed from (params seed, image id, variant): independent of processing order."""
    digest = hashlib.sha256(f"{seed}:{image_id}:{variant}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


@dataclass
class Layers:
    """``object`` / ``background``: uint8 (H, W, 3); ``mask``: bool (H, W), True on the object."""

    object: np.ndarray
    background: np.ndarray
    mask: np.ndarray

    def compose(self) -> np.ndarray:
        return np.where(self.mask[..., None], self.object, self.background).astype(np.uint8)


def split_layers(rgb: np.ndarray, mask: np.ndarray | None = None) -> Layers:
    """(H, W, 3) uint8 -> layers; the background's hole takes each pixel's nearest background value."""
    mask = image_object_mask(rgb) if mask is None else mask
    background = rgb.copy()
    if mask.any() and (~mask).any():
        _, (iy, ix) = ndimage.distance_transform_edt(mask, return_indices=True)
        background = rgb[iy, ix]
    return Layers(rgb.copy(), background, mask.copy())


def _to_tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.permute(1, 2, 0).contiguous().numpy()


def recolor(layers: Layers, rng: np.random.Generator, params: DebiasParams) -> TransformRecord:
    """Rotate the object's hue by a uniform angle (full circle) and jitter its saturation and
    brightness, or make it grey. The jitter matters: a hue shift alone keeps each source's
    saturation and value, which still cluster by class when a class has few sources."""
    if rng.random() < params.grayscale_p:
        layers.object = _to_numpy(F.rgb_to_grayscale(_to_tensor(layers.object), num_output_channels=3))
        return {"grayscale": True}
    shift = float(rng.uniform(-0.5, 0.5))  # hue factor: a fraction of the circle
    j = params.color_jitter
    saturation, brightness = (float(rng.uniform(1.0 - j, 1.0 + j)) for _ in range(2))
    obj = F.adjust_hue(_to_tensor(layers.object), shift)
    obj = F.adjust_brightness(F.adjust_saturation(obj, saturation), brightness)
    layers.object = _to_numpy(obj)
    return {"hue_shift_deg": round(shift * 360.0, 3), "saturation": round(saturation, 4),
            "brightness": round(brightness, 4)}


def _move_object(layers: Layers, scale: float, dx: float, dy: float) -> None:
    """Affine-map the object layer and its mask: scale about the centroid, then shift by (dx, dy) px."""
    ys, xs = np.nonzero(layers.mask)
    center = [float(xs.mean()), float(ys.mean())]
    kwargs: dict[str, Any] = {"angle": 0.0, "translate": [dx, dy], "scale": scale, "shear": [0.0, 0.0],
                              "center": center}
    obj = F.affine(_to_tensor(layers.object).float(), interpolation=InterpolationMode.BILINEAR, **kwargs)
    mask = F.affine(torch.from_numpy(layers.mask)[None].to(torch.uint8), interpolation=InterpolationMode.NEAREST,
                    **kwargs)
    layers.object = obj.round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
    layers.mask = mask[0].numpy().astype(bool)


def rescale(layers: Layers, rng: np.random.Generator, params: DebiasParams) -> TransformRecord:
    """Scale the object by a factor drawn log-uniformly from ``scale_range`` (shrunk to fit the frame)."""
    lo, hi = params.scale_range
    scale = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    ys, xs = np.nonzero(layers.mask)
    h, w = layers.mask.shape
    cx, cy = xs.mean(), ys.mean()
    # Largest scale that keeps the object's box inside the image.
    reach = max((cx - xs.min() + 1) / max(cx, 1), (xs.max() + 1 - cx) / max(w - cx, 1),
                (cy - ys.min() + 1) / max(cy, 1), (ys.max() + 1 - cy) / max(h - cy, 1))
    scale = min(scale, 0.95 / reach)
    _move_object(layers, scale, 0.0, 0.0)
    return {"scale": round(scale, 4)}


def translate(layers: Layers, rng: np.random.Generator, params: DebiasParams) -> TransformRecord:
    """Move the object by up to ``max_translate`` of the side per axis, keeping its box in the image."""
    ys, xs = np.nonzero(layers.mask)
    h, w = layers.mask.shape
    lim_x, lim_y = params.max_translate * w, params.max_translate * h
    dx = float(rng.uniform(max(-lim_x, -xs.min()), min(lim_x, w - 1 - xs.max())))
    dy = float(rng.uniform(max(-lim_y, -ys.min()), min(lim_y, h - 1 - ys.max())))
    dx, dy = round(dx), round(dy)  # whole pixels: the mask moves exactly with the object
    _move_object(layers, 1.0, dx, dy)
    return {"dx": dx / w, "dy": dy / h}


def texture_backdrop(shape: tuple[int, int], rng: np.random.Generator, avoid: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: a random colour (far from ``avoid``, the object's mean RGB) plus smooth
    noise blobs and a gradient of random amplitude."""
    h, w = shape
    for _ in range(100):
        base = np.array([rng.uniform(0, 255) for _ in range(3)])
        if np.linalg.norm(base - avoid) >= MIN_CONTRAST + 40.0:
            break
    coarse = rng.normal(0.0, 1.0, size=(max(2, h // 8), max(2, w // 8), 3))
    up = np.stack([np.asarray(Image.fromarray(coarse[..., c].astype(np.float32)).resize((w, h), Image.Resampling.BICUBIC))
                   for c in range(3)], axis=-1)
    yy, xx = np.mgrid[0:h, 0:w] / max(h - 1, w - 1, 1)
    angle = rng.uniform(0, 2 * np.pi)
    gradient = (np.cos(angle) * xx + np.sin(angle) * yy - 0.5)[..., None]
    amplitude = rng.uniform(5.0, 35.0)
    return np.rint(base + amplitude * (0.6 * up + 0.8 * gradient)).clip(0, 255).astype(np.uint8)


def image_backdrop(donor: np.ndarray, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Another image's background layer (its object filled in), randomly flipped, resized to ``shape``."""
    bg = split_layers(donor).background
    if rng.random() < 0.5:
        bg = bg[:, ::-1]
    if rng.random() < 0.5:
        bg = bg[::-1]
    h, w = shape
    return np.asarray(Image.fromarray(np.ascontiguousarray(bg)).resize((w, h), Image.Resampling.BILINEAR))


def replace_background(
    layers: Layers, rng: np.random.Generator, params: DebiasParams, donor: np.ndarray | None = None
) -> TransformRecord:
    """New background layer: ``donor``'s background when given and contrasting, else a texture."""
    avoid = layers.object[layers.mask].mean(axis=0) if layers.mask.any() else np.full(3, 128.0)
    if donor is not None:
        backdrop = image_backdrop(donor, layers.mask.shape, rng)
        if np.linalg.norm(np.median(backdrop.reshape(-1, 3), axis=0) - avoid) >= MIN_CONTRAST:
            layers.background = backdrop
            return {"background": "image"}
    layers.background = texture_backdrop(layers.mask.shape, rng, avoid)
    return {"background": "texture"}


TRANSFORMS: dict[str, Callable[..., TransformRecord]] = {
    "background": replace_background,
    "color": recolor,
    "size": rescale,
    "location": translate,
}


def apply_transforms(
    rgb: np.ndarray,
    attributes: tuple[str, ...],
    seed: int,
    params: DebiasParams,
    donor: np.ndarray | None = None,
) -> tuple[np.ndarray, list[TransformRecord]]:
    """Apply the transform of each attribute in ``attributes`` (in ``ORDER``) -> (image, log).

    ``rgb``: (H, W, 3) uint8. ``donor``: an image whose background the background transform may
    use. The log lists ``{"name", **parameters}`` per transform applied. An image with no object
    (empty mask) is returned unchanged with an empty log: there is nothing to decorrelate.
    """
    layers = split_layers(rgb)
    if not layers.mask.any() or not attributes:
        return rgb, []
    rng = np.random.default_rng(seed)
    log: list[TransformRecord] = []
    with torch.inference_mode():
        for name in ORDER:
            if name in attributes:
                extra = {"donor": donor} if name == "background" else {}
                log.append({"name": name, **TRANSFORMS[name](layers, rng, params, **extra)})
    return layers.compose(), log
