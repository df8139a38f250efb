"""Inception v3 exactly as used for FID (TensorFlow's 2015-12-05 graph, ported to PyTorch).

The FID network is torchvision's Inception v3 with 1008 classes, no auxiliary head and
three kinds of block that differ from torchvision's:
- the average-pool branches of the A, C and first E blocks exclude the zero padding from
  the average (TensorFlow's ``SAME`` average pooling);
- the last E block pools its branch with a *max* pool.
The state-dict keys are torchvision's, so the published ``pt_inception-2015-12-05-*.pth``
file loads as is. Input: (B, 3, 299, 299) float in [-1, 1] (see ``extractors.fid_preprocess``).
Output: pool3 features (B, 2048) and the 1008 logits of its classifier *without the fc bias*
(pool3 @ W^T), as the original TensorFlow Inception Score and torch-fidelity's
``logits_unbiased`` compute them, so Inception Scores are comparable with published ones.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import inception as tv


def _tf_avg_pool(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class TFInceptionA(tv.InceptionA):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(_tf_avg_pool(x))], 1)


class TFInceptionC(tv.InceptionC):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            d = layer(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(_tf_avg_pool(x))], 1)


class TFInceptionE(tv.InceptionE):
    """E block; ``max_pool=True`` is the FID graph's last block (max instead of average pool)."""

    def __init__(self, in_channels: int, max_pool: bool) -> None:
        super().__init__(in_channels)
        self.max_pool = max_pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.max_pool else _tf_avg_pool(x)
        return torch.cat([self.branch1x1(x), b3, d, self.branch_pool(pooled)], 1)


class FIDInception(nn.Module):
    """(B, 3, 299, 299) in [-1, 1] -> (pool3 (B, 2048), unbiased logits (B, 1008)), both float32."""

    dim = 2048
    n_logits = 1008

    def __init__(self) -> None:
        super().__init__()
        net = tv.inception_v3(weights=None, aux_logits=False, num_classes=1008, init_weights=False)
        net.Mixed_5b = TFInceptionA(192, pool_features=32)
        net.Mixed_5c = TFInceptionA(256, pool_features=64)
        net.Mixed_5d = TFInceptionA(288, pool_features=64)
        net.Mixed_6b = TFInceptionC(768, channels_7x7=128)
        net.Mixed_6c = TFInceptionC(768, channels_7x7=160)
        net.Mixed_6d = TFInceptionC(768, channels_7x7=160)
        net.Mixed_6e = TFInceptionC(768, channels_7x7=192)
        net.Mixed_7b = TFInceptionE(1280, max_pool=False)
        net.Mixed_7c = TFInceptionE(2048, max_pool=True)
        self.net = net
        names = (
            "Conv2d_1a_3x3",
            "Conv2d_2a_3x3",
            "Conv2d_2b_3x3",
            "maxpool1",
            "Conv2d_3b_1x1",
            "Conv2d_4a_3x3",
            "maxpool2",
            "Mixed_5b",
            "Mixed_5c",
            "Mixed_5d",
            "Mixed_6a",
            "Mixed_6b",
            "Mixed_6c",
            "Mixed_6d",
            "Mixed_6e",
            "Mixed_7a",
            "Mixed_7b",
            "Mixed_7c",
        )
        self.trunk = nn.Sequential(*[getattr(net, n) for n in names])

    def load_fid_state_dict(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Load a pytorch-fid checkpoint (torchvision key names, no ``net.`` prefix)."""
        self.net.load_state_dict(state_dict, strict=True)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pool3 = torch.flatten(F.adaptive_avg_pool2d(self.trunk(x), (1, 1)), 1)
        return pool3, F.linear(pool3, self.net.fc.weight)  # no fc.bias: see the module docstring

