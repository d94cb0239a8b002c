"""The diarization adapter and the top of Mimi that partial unfreezing trains with it.

:class:`DiarizationAdapter` (the seeds' Step 1): per-dimension input standardisation
(statistics of the training frames, kept in the checkpoint), ``Linear(D -> d_model)``,
sinusoidal positions (the sort loss trains slot k to mean "the k-th speaker to appear",
which needs to know where in the window a frame is), a stack of Transformer encoder
layers (pre-norm), and a per-frame head: S sigmoid outputs, or the powerset classes.
At the seeds' sizes (D = 512, d_model 384, 4 layers, 8 heads, feed-forward 1536, S = 4)
it has 7.30 M parameters, the seeds' "~7.3 M".

:class:`MimiTop` (Step 1.5): Mimi's top k encoder-transformer layers and its stride-2
downsample (25 -> 12.5 Hz), with Mimi's own weights, trained together with the adapter.
Its input is the cached output of the last frozen layer (tap ``layer{8-k}``), not
SEANet's output: the frozen layers would compute exactly that tap again on every step,
so starting from it gives the trainable layers the same input at a fraction of the cost
(and with the full left context the frozen layers had during extraction, where
recomputing them per window would cut it at the window start).
"""
from __future__ import annotations

import torch
from torch import nn

from codecprobe.train.layers import InputNorm, sinusoidal_positions


class DiarizationAdapter(nn.Module):
    """Frames ``[B, T, input_dim]`` -> per-frame logits ``[B, T, outputs]``.

    >>> adapter = DiarizationAdapter(512)
    >>> sum(p.numel() for p in adapter.parameters())
    7297156
    >>> adapter(torch.zeros(2, 10, 512), torch.ones(2, 10, dtype=torch.bool)).shape
    torch.Size([2, 10, 4])
    """

    def __init__(self, input_dim: int, d_model: int = 384, layers: int = 4, heads: int = 8,
                 feedforward: int = 1536, dropout: float = 0.1, outputs: int = 4):
        super().__init__()
        self.norm = InputNorm(input_dim)
        self.project = nn.Linear(input_dim, d_model)
        layer = nn.TransformerEncoderLayer(d_model, heads, feedforward, dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.head = nn.Linear(d_model, outputs)
        self.d_model = d_model

    def forward(self, frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``mask``: ``[B, T]``, True for real frames (padding is ignored by attention)."""
        hidden = self.project(self.norm(frames))
        hidden = hidden + sinusoidal_positions(hidden.shape[1], self.d_model).to(hidden)
        hidden = self.encoder(hidden, src_key_padding_mask=~mask)
        return self.head(hidden)


class MimiTop(nn.Module):
    """Mimi's top ``layers`` encoder-transformer layers and its downsample: ``[B, 2T, 512]`` at 25 Hz
    (the output of layer ``8 - layers``) -> ``[B, T, 512]`` at 12.5 Hz (the ``prequant`` latent)."""

    def __init__(self, mimi_config: dict, layers: int):
        super().__init__()
        from transformers import MimiConfig
        from transformers.models.mimi.modeling_mimi import MimiConv1d, MimiTransformerModel

        config = MimiConfig.from_dict(mimi_config)
        if not 1 <= layers <= config.num_hidden_layers:
            raise ValueError(f"Mimi has {config.num_hidden_layers} transformer layers; cannot unfreeze {layers}")
        top = MimiConfig.from_dict({**mimi_config, "num_hidden_layers": layers})
        top._attn_implementation = "sdpa"  # as a loaded MimiModel's; left unset, the sliding-window mask is lost
        self.layers = layers
        self.transformer = MimiTransformerModel(top)
        # as MimiEncoderModel builds it
        self.downsample = MimiConv1d(config, config.hidden_size, config.latent_dim, kernel_size=2 * config.latent_stride,
                                     stride=config.latent_stride, bias=False, pad_mode="replicate")

    @torch.no_grad()
    def load_from(self, mimi) -> None:
        """Copy the weights of the top layers and the downsample from a transformers ``MimiModel``."""
        encoder = mimi.encoder
        source = encoder.encoder_transformer.layers[len(encoder.encoder_transformer.layers) - self.layers:]
        for target, layer in zip(self.transformer.layers, source):
            target.load_state_dict(layer.state_dict())
        self.downsample.load_state_dict(encoder.downsample.state_dict())

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        hidden = self.transformer(hidden_states=hidden, use_cache=False).last_hidden_state
        return self.downsample(hidden.transpose(1, 2)).transpose(1, 2)


def mimi_config_dict(mimi) -> dict:
    """The plain-data config of a transformers ``MimiModel`` (what a checkpoint needs to rebuild :class:`MimiTop`)."""
    config = mimi.config.to_dict()
    for key in ("id2label", "label2id"):
        config.pop(key, None)
    return config
