"""Network pieces every trained model here shares (the diarization adapter, the boundary refiners)."""
from __future__ import annotations

import math

import torch
from torch import nn


class InputNorm(nn.Module):
    """``(x - mean) / std`` per dimension, with statistics set once from training frames."""

    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    @torch.no_grad()
    def fit(self, frames: torch.Tensor) -> None:
        """Set the statistics from ``[n, dim]`` frames (dimensions that never vary keep std 1)."""
        self.mean.copy_(frames.mean(dim=0))
        std = frames.std(dim=0)
        self.std.copy_(torch.where(std > 1e-6, std, torch.ones_like(std)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """``[length, dim]``: the Transformer's sine/cosine position code (Vaswani et al. 2017)."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    frequency = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    code = torch.zeros(length, dim)
    code[:, 0::2] = torch.sin(position * frequency)
    code[:, 1::2] = torch.cos(position * frequency[: dim // 2])
    return code
