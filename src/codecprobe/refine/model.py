"""The networks of seed 003's four refiners, each mapping a window of frames centred on a hypothesised
boundary (plus the left/right speaker context) to the true boundary's offset from it.

Every network reads ``features [B, W, D]`` (the fused taps on the system's grid), ``mask [B, W]``
(False outside the recording), ``context [B, C]`` (left/right speaker embeddings, their presence,
onset or offset, and the hypothesised time's place inside its grid frame) and ``positions [B, W]``:
where each frame's centre lies relative to the hypothesised boundary, in seconds. Offsets are
seconds relative to the hypothesised boundary.

- V1 :class:`FlatMlp`: each frame projected to a few dims, the whole window flattened (so that
  *where* in the window something happens stays visible: mean pooling would lose it), an MLP.
- V2 :class:`SoftArgmax` over a :class:`WindowEncoder` (a small Transformer over patches of frames
  whose first token is the speaker context): a score per frame, the offset as the expected frame
  position.
- V3 :class:`Denoiser`: DiffSED's idea for one boundary: the offset is denoised from Gaussian noise
  in a few DDIM steps; the noisy offset queries the window by cross-attention.
- V4 :class:`CandidateRanker`: every frame a candidate position, ranked against the others by its
  similarity to a query from the speaker context (InfoNCE over the window).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from codecprobe.train.layers import InputNorm, sinusoidal_positions


class FlatMlp(nn.Module):
    """V1: ``Linear(D -> project)`` per frame, the window flattened, concatenated with the context, an MLP.

    The last layer starts at zero: an untrained V1 predicts offset 0, the hypothesis itself.
    """

    def __init__(self, input_dim: int, context_dim: int, window: int, project: int, hidden: int, dropout: float,
                 scale_s: float):
        super().__init__()
        self.norm = InputNorm(input_dim)
        self.project = nn.Sequential(nn.Linear(input_dim, project), nn.GELU())
        self.mlp = nn.Sequential(nn.Linear(window * project + context_dim, hidden), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, 1))
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)
        self.scale_s = scale_s

    def forward(self, features, mask, context) -> torch.Tensor:
        frames = self.project(self.norm(features)) * mask[..., None]
        return self.scale_s * self.mlp(torch.cat([frames.flatten(1), context], dim=1)).squeeze(-1)


class WindowEncoder(nn.Module):
    """Frames and speaker context -> token encodings ``[B, W / patch, d]``, a context token ``[B, d]`` and the
    tokens' mask.

    Per-dimension standardisation; ``patch`` consecutive frames concatenated into one token and
    projected to ``d`` (ViT's patches: a 4 s window of 10 ms frames is 100 tokens, not 400, which
    makes attention 16 times cheaper, while the heads still score every frame); sinusoidal
    positions; the context as a first token; pre-norm Transformer layers (padding masked).
    """

    def __init__(self, input_dim: int, context_dim: int, d_model: int, layers: int, heads: int, feedforward: int,
                 dropout: float, patch: int = 1):
        super().__init__()
        self.norm = InputNorm(input_dim)
        self.project = nn.Linear(input_dim * patch, d_model)
        self.context = nn.Linear(context_dim, d_model)
        layer = nn.TransformerEncoderLayer(d_model, heads, feedforward, dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.d_model, self.patch = d_model, patch

    def forward(self, features, mask, context) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        size, window, _ = features.shape
        frames = self.norm(features) * mask[..., None]
        hidden = self.project(frames.reshape(size, window // self.patch, -1))
        hidden = hidden + sinusoidal_positions(hidden.shape[1], self.d_model).to(hidden)
        valid = mask.reshape(size, -1, self.patch).any(dim=-1)
        tokens = torch.cat([self.context(context)[:, None], hidden], dim=1)
        padding = torch.cat([torch.zeros_like(valid[:, :1]), ~valid], dim=1)
        out = self.encoder(tokens, src_key_padding_mask=padding)
        return out[:, 1:], out[:, 0], valid


def masked_softmax(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return torch.softmax(logits.masked_fill(~mask, float("-inf")), dim=-1)


class SoftArgmax(nn.Module):
    """V2: a score per frame (``patch`` per token) of the window encoding; the offset is the softmax-weighted
    mean frame position."""

    def __init__(self, encoder: WindowEncoder):
        super().__init__()
        self.encoder = encoder
        self.score = nn.Linear(encoder.d_model, encoder.patch)

    def forward(self, features, mask, context, positions) -> torch.Tensor:
        tokens, _, _ = self.encoder(features, mask, context)
        weights = masked_softmax(self.score(tokens).flatten(1), mask)
        return (weights * positions).sum(dim=-1)


class CandidateRanker(nn.Module):
    """V4: logits ``[B, W]`` of every frame as the boundary's position: ``<query(context token), key(frame)>``
    scaled by ``1 / (sqrt(d) * temperature)`` (a token gives the keys of its ``patch`` frames); padding
    gets ``-inf``."""

    def __init__(self, encoder: WindowEncoder, temperature: float):
        super().__init__()
        self.encoder = encoder
        self.query = nn.Linear(encoder.d_model, encoder.d_model)
        self.key = nn.Linear(encoder.d_model, encoder.d_model * encoder.patch)
        self.scale = 1.0 / (math.sqrt(encoder.d_model) * temperature)

    def forward(self, features, mask, context) -> torch.Tensor:
        tokens, token, _ = self.encoder(features, mask, context)
        keys = self.key(tokens).reshape(len(tokens), -1, self.encoder.d_model)  # [B, W, d]
        logits = torch.einsum("bd,bwd->bw", self.query(token), keys) * self.scale
        return logits.masked_fill(~mask, float("-inf"))


def fourier(x: torch.Tensor, bands: int = 6) -> torch.Tensor:
    """``[..., 1 + 2 * bands]``: x and sin/cos of ``2^j * pi * x`` (offsets in units of ``max_offset_s``)."""
    frequencies = (2.0 ** torch.arange(bands, device=x.device, dtype=x.dtype)) * math.pi
    angles = x[..., None] * frequencies
    return torch.cat([x[..., None], torch.sin(angles), torch.cos(angles)], dim=-1)


class Denoiser(nn.Module):
    """V3's network: ``(noisy offset y_t, step t, window)`` -> the clean offset ``y_0`` (both in units of
    ``max_offset_s``).

    The query (the noisy offset's Fourier features, the step's sinusoidal code and the context token)
    attends over the frame encodings, to which each frame's own position is added with the same
    Fourier features, so that a query can find the frames near the offset it currently believes.
    """

    def __init__(self, encoder: WindowEncoder, heads: int, steps: int, bands: int = 6):
        super().__init__()
        d = encoder.d_model
        self.encoder, self.bands, self.steps = encoder, bands, steps
        self.position = nn.Linear(1 + 2 * bands, d)
        self.query = nn.Sequential(nn.Linear(1 + 2 * bands + 2 * d, d), nn.GELU(), nn.Linear(d, d))
        self.attend = nn.MultiheadAttention(d, heads, batch_first=True)
        self.out = nn.Sequential(nn.Linear(2 * d, d), nn.GELU(), nn.Linear(d, 1))
        self.register_buffer("step_code", sinusoidal_positions(steps, d))

    def encode(self, features, mask, context, positions) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The window's keys ``[B, T, d]`` (token encodings plus their mean frame positions), its context
        token ``[B, d]`` and the tokens' mask ``[B, T]``."""
        tokens, token, valid = self.encoder(features, mask, context)
        centres = positions.reshape(len(tokens), -1, self.encoder.patch).mean(dim=-1)
        return tokens + self.position(fourier(centres, self.bands)), token, valid

    def denoise(self, keys, token, valid, noisy, step) -> torch.Tensor:
        """``y_0`` estimates ``[B]`` from ``noisy`` ``[B]`` at integer steps ``step`` ``[B]``."""
        query = self.query(torch.cat([fourier(noisy, self.bands), self.step_code[step], token], dim=-1))
        attended, _ = self.attend(query[:, None], keys, keys, key_padding_mask=~valid, need_weights=False)
        return self.out(torch.cat([attended[:, 0], query], dim=-1)).squeeze(-1)


def cosine_alphas(steps: int, s: float = 0.008) -> torch.Tensor:
    """Cumulative signal shares ``alpha_bar_t``, t = 0..steps-1, of the cosine schedule (Nichol & Dhariwal 2021).

    >>> a = cosine_alphas(100)
    >>> round(float(a[0]), 4), round(float(a[-1]), 4), bool(torch.all(a[1:] < a[:-1]))
    (0.9994, 0.0001, True)
    """
    t = torch.arange(steps + 1, dtype=torch.float64) / steps
    f = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2
    return (f[1:] / f[0]).clamp(1e-4, 1.0).float()


def normal_quantiles(n: int) -> torch.Tensor:
    """``n`` evenly spread standard normal quantiles: V3's starting noise, the same for every boundary, so its
    predictions do not depend on a random generator or on which boundaries share a batch.

    >>> [round(q, 3) for q in normal_quantiles(4).tolist()]
    [-1.15, -0.319, 0.319, 1.15]
    """
    return torch.special.ndtri((torch.arange(n, dtype=torch.float64) + 0.5) / n).float()
