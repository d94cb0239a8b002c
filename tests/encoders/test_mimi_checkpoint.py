"""Kyutai's moshi-format Mimi checkpoint through our converter, against moshi's own Mimi.

moshi builds its Mimi with random weights here; its state dict, saved as a safetensors
file, is what Kyutai publishes (trained). Loaded through our converter into transformers'
Mimi, the latents and codes must match moshi's own forward pass.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from codecprobe.encoders.mimi import build_mimi, encoder_only_config
from codecprobe.encoders.mimi_checkpoint import convert_moshi_state_dict
from codecprobe.encoders.registry import BuildOptions
from tests.tolerance import assert_close_to_scale

loaders = pytest.importorskip("moshi.models.loaders", reason="moshi (installed --no-deps) is needed as the reference")


@pytest.fixture(scope="module")
def moshi_mimi():
    """moshi's Mimi with seeded random weights, non-zero codebooks and non-trivial layer scales."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = loaders.get_mimi(None, num_codebooks=32)
        for name, buffer in model.named_buffers():
            if name.endswith("_codebook.embedding_sum"):
                buffer.normal_()
            elif name.endswith("_codebook._initialized"):
                buffer.fill_(1.0)
        for name, parameter in model.named_parameters():
            if "layer_scale" in name:  # 0.01 at init would hide most of the attention
                parameter.data.uniform_(0.5, 1.5)
    return model.eval()


@pytest.fixture(scope="module")
def checkpoint(moshi_mimi, tmp_path_factory):
    path = tmp_path_factory.mktemp("moshi") / "tokenizer-random.safetensors"
    save_file({key: value.contiguous() for key, value in moshi_mimi.state_dict().items()}, str(path))
    return path


def test_latents_and_codes_match_moshi(moshi_mimi, checkpoint):
    ours = build_mimi(BuildOptions(weights=str(checkpoint)))
    # 11 s (275 frames at 25 Hz) reaches past the 250-frame attention window;
    # the length is not a multiple of 1920, so moshi's own padding is exercised too
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal(11 * 24000 + 777)).astype(np.float32)
    with torch.no_grad():
        x = torch.from_numpy(audio)[None, None]
        latent = moshi_mimi.encode_to_latent(x, quantize=False)  # [1, 512, frames]
        codes = moshi_mimi.quantizer.encode(latent)  # [1, 32, frames], as moshi_mimi.encode(x)
        latents = latent[0].T.numpy()
        quantized = {n: moshi_mimi.decode_latent(codes[:, :n])[0].T.numpy() for n in (1, 8, 32)}
    out = ours.encode(audio, ["prequant", *(f"quant{n}" for n in quantized)])
    assert out["prequant"].frames.shape == latents.shape == (138, 512)
    assert_close_to_scale(out["prequant"].frames, latents)
    ours_codes = ours.model.quantizer.encode(torch.from_numpy(out["prequant"].frames.T[None].copy())).transpose(0, 1)
    assert torch.equal(ours_codes, codes)
    for n, reference in quantized.items():
        np.testing.assert_allclose(out[f"quant{n}"].frames, reference, atol=1e-5 * np.abs(reference).max(), err_msg=f"quant{n}")
    assert ours.trained is True
    assert re.fullmatch(r"file:[0-9a-f]{16}", ours.weights_id)


def test_published_attention_key_names_convert_the_same(moshi_mimi):
    """Kyutai's file says ``in_proj_weight``/``out_proj.weight`` where moshi's modules say ``in_projs.0``/``out_projs.0``."""
    state = moshi_mimi.state_dict()
    published = {key.replace("in_projs.0.weight", "in_proj_weight").replace("out_projs.0.", "out_proj."): value for key, value in state.items()}
    assert published.keys() != state.keys()
    config = encoder_only_config()
    from_modules, from_file = convert_moshi_state_dict(state, config), convert_moshi_state_dict(published, config)
    assert from_modules.keys() == from_file.keys()
    assert all(torch.equal(from_modules[key], from_file[key]) for key in from_modules)
