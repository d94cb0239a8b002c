"""Kyutai's original (moshi) Mimi checkpoint, converted to transformers' ``MimiModel`` keys.

Kyutai publishes Mimi as one safetensors file in the layout of its ``moshi`` package
(``tokenizer-e351c8d8-checkpoint125.safetensors``). Loading it into transformers'
``MimiModel`` (5.21+ layout, encoder half only) takes three kinds of change:

* module paths are renamed (``encoder.model.N`` -> ``encoder.encoder_seanet.layers.N``,
  ``quantizer.rvq_first`` -> ``quantizer.semantic_residual_vector_quantizer``, ...);
* each attention's packed ``in_proj_weight`` is split into ``q_proj``/``k_proj``/``v_proj``;
* the q and k rows are reordered: moshi rotates interleaved pairs of channels
  ``(2i, 2i+1)`` of each head, transformers rotates the halves ``(i, i + head_dim/2)``.

The decoder half (``decoder.*``, ``decoder_transformer.*``, ``upsample.*``) is dropped.
Moshi's own modules save attention weights as ``in_projs.0.weight``/``out_projs.0.weight``
where the published file says ``in_proj_weight``/``out_proj.weight``; both are accepted.
"""
from __future__ import annotations

import re
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from transformers import MimiConfig

from codecprobe.errors import InputError

_LAYER = r"encoder_transformer\.transformer\.layers\.(\d+)\."
_NEW_LAYER = r"encoder.encoder_transformer.layers.\1."

# (moshi key pattern, transformers key template); the patterns are disjoint.
_RENAMES: tuple[tuple[str, str], ...] = (
    (r"encoder\.model\.(\d+)\.conv\.conv\.(weight|bias)", r"encoder.encoder_seanet.layers.\1.conv.\2"),
    (r"encoder\.model\.(\d+)\.block\.(\d+)\.conv\.conv\.(weight|bias)", r"encoder.encoder_seanet.layers.\1.block.\2.conv.\3"),
    (_LAYER + r"norm1\.(weight|bias)", _NEW_LAYER + r"input_layernorm.\2"),
    (_LAYER + r"norm2\.(weight|bias)", _NEW_LAYER + r"post_attention_layernorm.\2"),
    (_LAYER + r"linear1\.weight", _NEW_LAYER + "mlp.fc1.weight"),
    (_LAYER + r"linear2\.weight", _NEW_LAYER + "mlp.fc2.weight"),
    (_LAYER + r"layer_scale_1\.scale", _NEW_LAYER + "self_attn_layer_scale.scale"),
    (_LAYER + r"layer_scale_2\.scale", _NEW_LAYER + "mlp_layer_scale.scale"),
    (_LAYER + r"self_attn\.(?:out_proj\.weight|out_projs\.0\.weight)", _NEW_LAYER + "self_attn.o_proj.weight"),
    (r"downsample\.conv\.conv\.conv\.weight", "encoder.downsample.conv.weight"),
    (r"quantizer\.(rvq_first|rvq_rest)\.(input_proj|output_proj)\.weight", r"quantizer.\1.\2.weight"),
    (
        r"quantizer\.(rvq_first|rvq_rest)\.vq\.layers\.(\d+)\._codebook\.(_initialized|cluster_usage|embedding_sum)",
        r"quantizer.\1.layers.\2.codebook.\3",
    ),
)
# Renamed path segments of the quantizer (applied after the patterns above).
_SEGMENTS = {
    "rvq_first": "semantic_residual_vector_quantizer",
    "rvq_rest": "acoustic_residual_vector_quantizer",
    "_initialized": "initialized",
    "embedding_sum": "embed_sum",
}
_PACKED_QKV = re.compile(_LAYER + r"self_attn\.(?:in_proj_weight|in_projs\.0\.weight)")
_DECODER_HALF = re.compile(r"(decoder|decoder_transformer|upsample)\..*")


def load_moshi_checkpoint(path: Path, config: MimiConfig) -> dict[str, torch.Tensor]:
    """Read a moshi-format Mimi safetensors file as a state dict for an encoder-only ``MimiModel``."""
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError) as error:
        raise InputError(f"{path}: not a readable safetensors checkpoint ({error})") from error
    try:
        return convert_moshi_state_dict(state, config)
    except ValueError as error:
        raise InputError(f"{path}: not a moshi-format Mimi checkpoint: {error}") from error


def convert_moshi_state_dict(state: dict[str, torch.Tensor], config: MimiConfig) -> dict[str, torch.Tensor]:
    """Rename, split and permute moshi's keys; raises ValueError naming keys it does not know."""
    converted: dict[str, torch.Tensor] = {}
    unknown: list[str] = []
    for key, value in state.items():
        if _DECODER_HALF.fullmatch(key):
            continue
        packed = _PACKED_QKV.fullmatch(key)
        if packed:
            prefix = f"encoder.encoder_transformer.layers.{packed.group(1)}.self_attn."
            query, key_, value_ = value.chunk(3, dim=0)
            converted[prefix + "q_proj.weight"] = _interleaved_to_halves(query, config.num_attention_heads)
            converted[prefix + "k_proj.weight"] = _interleaved_to_halves(key_, config.num_key_value_heads)
            converted[prefix + "v_proj.weight"] = value_
            continue
        new_key = _rename(key)
        if new_key is None:
            unknown.append(key)
        else:
            converted[new_key] = value
    if unknown:
        raise ValueError(f"{len(unknown)} unknown key(s), e.g. {', '.join(sorted(unknown)[:5])}")
    return converted


def _rename(key: str) -> str | None:
    for pattern, template in _RENAMES:
        match = re.fullmatch(pattern, key)
        if match:
            return ".".join(_SEGMENTS.get(segment, segment) for segment in match.expand(template).split("."))
    return None


def _interleaved_to_halves(weight: torch.Tensor, heads: int) -> torch.Tensor:
    """Reorder each head's output rows from pairs ``(2i, 2i+1)`` to ``(i, i + head_dim/2)``.

    Rotating pair ``(2i, 2i+1)`` of the old rows is then rotating ``(i, i + head_dim/2)``
    of the new ones, which is what transformers' ``rotate_half`` RoPE does.
    """
    rows, columns = weight.shape
    head_dim = rows // heads
    return weight.reshape(heads, head_dim // 2, 2, columns).transpose(1, 2).reshape(rows, columns)
