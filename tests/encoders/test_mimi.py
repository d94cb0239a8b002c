"""Mimi adapter, with seeded random weights (no trained weights can be downloaded in CI).

References: transformers' own ``MimiEncoderModel`` forward in one pass on the
zero-padded signal (hidden states, latents) and its quantizer's encode/decode.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from codecprobe.encoders.mimi import MimiEncoder, MimiSettings, build_mimi
from codecprobe.encoders.registry import BuildOptions
from codecprobe.errors import InputError
from tests.tolerance import assert_close_to_scale

HOP = 1920
RATE = 24_000


@pytest.fixture(scope="module")
def mimi() -> MimiEncoder:
    return build_mimi(BuildOptions(random_init=True, seed=0))


def speechlike(seconds: float, seed: int = 0) -> np.ndarray:
    """Noise under a slow, syllable-rate envelope, so frames differ from one another."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * np.arange(n) / RATE + rng.uniform(0, 6))
    return (0.1 * envelope * rng.standard_normal(n)).astype(np.float32)


def one_pass(mimi: MimiEncoder, audio: np.ndarray):
    """transformers' non-streaming encoder forward on the signal zero-padded to a multiple of 1920."""
    padded = np.zeros(math.ceil(len(audio) / HOP) * HOP, dtype=np.float32)
    padded[: len(audio)] = audio
    with torch.no_grad():
        return mimi.model.encoder(torch.from_numpy(padded)[None, None], output_hidden_states=True)


def test_taps_in_network_order(mimi):
    assert mimi.taps == ("seanet", *(f"layer{n}" for n in range(1, 9)), "prequant", *(f"quant{n}" for n in range(1, 33)))
    assert mimi.default_taps == ("prequant",)
    assert mimi.sweep_taps == ("seanet", *(f"layer{n}" for n in range(1, 9)), "prequant", "quant1", "quant2", "quant4",
                               "quant8")
    assert mimi.sample_rate == RATE


def test_bitrates_of_the_quantizer_taps(mimi):
    # 11 bits (2048 entries) per codebook at 12.5 Hz: 8 codebooks are Mimi's published 1.1 kbps, 32 its 4.4 kbps
    assert [mimi.bitrate_kbps(f"quant{n}") for n in (1, 8, 32)] == pytest.approx([0.1375, 1.1, 4.4], rel=1e-12)
    assert mimi.bitrate_kbps("prequant") is None and mimi.bitrate_kbps("layer8") is None


def test_frame_counts_rates_and_dims(mimi):
    lengths = [1, HOP, HOP + 1, RATE + 5]
    outputs = mimi.encode_batch([speechlike(n / RATE, seed=n)[:n] for n in lengths], ["seanet", "layer8", "prequant", "quant3"])
    for n, out in zip(lengths, outputs):
        frames = math.ceil(n / HOP)
        assert [(out[t].frames.shape, out[t].frame_rate) for t in ("prequant", "quant3")] == [((frames, 512), 12.5)] * 2
        assert [(out[t].frames.shape, out[t].frame_rate) for t in ("seanet", "layer8")] == [((2 * frames, 512), 25.0)] * 2
        assert {(s.encoder, s.tap, s.weights_id) for s in out.values()} == {("mimi", t, "random-init:seed=0") for t in out}


def test_taps_equal_transformers_hidden_states_and_latents(mimi):
    audio = speechlike(2.3)
    reference = one_pass(mimi, audio)
    taps = ["seanet", "layer1", "layer4", "layer8", "prequant"]
    out = mimi.encode(audio, taps)
    expected = {"seanet": reference.hidden_states[0], "prequant": reference.latents.transpose(1, 2)}
    expected |= {f"layer{n}": reference.hidden_states[n] for n in (1, 4, 8)}
    for tap in taps:
        assert_close_to_scale(out[tap].frames, expected[tap][0].numpy(), err_msg=tap)
    # the taps are distinct stages, not copies of one another
    assert np.abs(out["layer1"].frames - out["seanet"].frames).max() > 1e-3


def test_quant_taps_are_the_decoded_first_n_codes(mimi):
    audio = speechlike(2.0, seed=1)
    latents = one_pass(mimi, audio).latents
    quantizer = mimi.model.quantizer
    with torch.no_grad():
        codes = quantizer.encode(latents).transpose(0, 1)  # [1, 32, frames]
        expected = {n: quantizer.decode(codes[:, :n])[0].T.numpy() for n in (1, 2, 8, 32)}
    out = mimi.encode(audio, [f"quant{n}" for n in expected])
    for n, reference in expected.items():
        scale = np.abs(reference).max()
        np.testing.assert_allclose(out[f"quant{n}"].frames, reference, atol=1e-6 * scale, err_msg=f"quant{n}")
    # random codebooks are non-zero, so codes (and quantized frames) follow the input
    assert len(np.unique(codes[0, 0].numpy())) > 1
    assert np.abs(expected[8] - expected[1]).max() > 1e-3


def test_batched_equals_one_by_one(mimi):
    audios = [speechlike(seconds, seed) for seed, seconds in enumerate((0.5, 1.37, 2.0))]
    taps = ["seanet", "layer8", "prequant", "quant4"]
    batched = mimi.encode_batch(audios, taps)
    for audio, together in zip(audios, batched):
        alone = mimi.encode(audio, taps)
        for tap in taps:
            assert together[tap].frames.shape == alone[tap].frames.shape
            # float rounding only: convolutions over a longer (padded) input sum in another
            # order; measured up to 2.4e-5 on values up to 13 (random weights)
            scale = np.abs(alone[tap].frames).max()
            np.testing.assert_allclose(together[tap].frames, alone[tap].frames, atol=1e-5 * scale, err_msg=tap)


def test_chunked_equals_one_pass_across_the_attention_window(mimi):
    # 12.3 s is 307 frames at 25 Hz: longer than the transformer's 250-frame window,
    # so later chunks attend to keys cached from earlier ones.
    audio = speechlike(12.3, seed=2)
    chunked = MimiEncoder(mimi.model, mimi.weights_id, trained=False, settings=MimiSettings(chunk_seconds=1.7))
    reference = one_pass(mimi, audio)
    out = chunked.encode(audio, ["seanet", "layer4", "layer8", "prequant"])
    expected = {
        "seanet": reference.hidden_states[0],
        "layer4": reference.hidden_states[4],
        "layer8": reference.hidden_states[8],
        "prequant": reference.latents.transpose(1, 2),
    }
    for tap, value in expected.items():
        assert_close_to_scale(out[tap].frames, value[0].numpy(), err_msg=tap)


def test_random_init_is_labelled_and_seeded(mimi):
    identity = mimi.identity()
    assert identity.trained is False
    assert identity.weights_id == "random-init:seed=0"
    assert identity.settings == {"sample_rate": 24000, "dtype": "float32", "pad_to_multiple_of": 1920,
                                 "chunk_seconds": 5.0, "torch": torch.__version__}  # random draws depend on torch's generator
    assert type(identity.settings["torch"]) is str  # not torch's TorchVersion: checkpoints holding it load weights_only
    again, other = (build_mimi(BuildOptions(random_init=True, seed=seed)) for seed in (0, 1))
    audio = speechlike(0.5)
    first = mimi.encode(audio)["prequant"].frames
    np.testing.assert_array_equal(again.encode(audio)["prequant"].frames, first)
    assert np.abs(other.encode(audio)["prequant"].frames - first).max() > 1e-2
    assert other.weights_id == "random-init:seed=1"


def test_random_init_with_weights_is_refused():
    with pytest.raises(InputError, match="choose one"):
        build_mimi(BuildOptions(weights="kyutai/mimi", random_init=True))


def test_transformers_folder_loads_with_its_weights_id(mimi, tmp_path):
    mimi.model.save_pretrained(tmp_path / "mimi")
    loaded = build_mimi(BuildOptions(weights=str(tmp_path / "mimi")))
    assert loaded.trained is True
    assert loaded.weights_id.startswith("dir:") and len(loaded.weights_id) == len("dir:") + 16
    assert loaded.identity().short_label() == f"Mimi (Kyutai, {tmp_path / 'mimi'})"  # issue 18 item 9
    assert mimi.identity().short_label() == "mimi (random-init control)"
    reference = mimi.model.state_dict()
    assert all(torch.equal(value, reference[key]) for key, value in loaded.model.state_dict().items())


def test_unknown_tap_is_named(mimi):
    with pytest.raises(InputError, match=r"no tap\(s\) layer9 \(--tap\)"):
        mimi.encode(speechlike(0.1), ["prequant", "layer9"])


def test_missing_weights_path_is_named(tmp_path):
    missing = tmp_path / "nowhere" / "mimi.safetensors"
    with pytest.raises(InputError, match="nowhere/mimi.safetensors: Mimi weights not found"):
        build_mimi(BuildOptions(weights=str(missing)))


def test_unreachable_hub_id_says_what_to_do():
    with pytest.raises(InputError, match="no-such-user-xyz/no-such-mimi: no such local file or folder"):
        build_mimi(BuildOptions(weights="no-such-user-xyz/no-such-mimi"))


def test_file_that_is_not_safetensors_is_named(tmp_path):
    bad = tmp_path / "mimi.safetensors"
    bad.write_text("not a checkpoint")
    with pytest.raises(InputError, match=f"{bad}: not a readable safetensors checkpoint"):
        build_mimi(BuildOptions(weights=str(bad)))


def test_checkpoint_with_unknown_keys_is_named(tmp_path):
    odd = tmp_path / "odd.safetensors"
    save_file({"encoder.model.0.conv.conv.weight": torch.zeros(64, 1, 7), "mystery.weight": torch.zeros(2)}, str(odd))
    with pytest.raises(InputError, match=f"{odd}: not a moshi-format Mimi checkpoint: 1 unknown key.*mystery.weight"):
        build_mimi(BuildOptions(weights=str(odd)))


def test_checkpoint_with_missing_keys_is_named(tmp_path):
    partial = tmp_path / "partial.safetensors"
    save_file({"encoder.model.0.conv.conv.weight": torch.zeros(64, 1, 7)}, str(partial))
    with pytest.raises(InputError, match=f"{partial}: weights do not fit Mimi's encoder: .* missing keys"):
        build_mimi(BuildOptions(weights=str(partial)))


def test_folder_without_config_is_named(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(InputError, match=f"{tmp_path}: not a transformers-format Mimi folder"):
        build_mimi(BuildOptions(weights=str(tmp_path)))


def test_folder_with_broken_weights_is_named(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "mimi"}))
    (tmp_path / "model.safetensors").write_text("garbage")
    with pytest.raises(InputError, match=f"{tmp_path}: could not load Mimi"):
        build_mimi(BuildOptions(weights=str(tmp_path)))


def test_encode_stream_over_uneven_blocks_equals_encode(mimi):
    audio = speechlike(5.5, seed=3)  # two 5 s chunks
    cuts = [0, 5000, 100000, 125000, 126000, len(audio)]  # blocks shorter and longer than a chunk
    whole = mimi.encode(audio, ["prequant", "layer3"])
    streamed = list(mimi.encode_stream((audio[a:b] for a, b in zip(cuts[:-1], cuts[1:])), ["prequant", "layer3"]))
    for tap in ("prequant", "layer3"):
        np.testing.assert_array_equal(np.concatenate([out[tap].frames for out in streamed]), whole[tap].frames)
        assert {out[tap].frame_rate for out in streamed} == {whole[tap].frame_rate}
