"""EnCodec and DAC adapters on tiny random models (no trained weights can be downloaded in CI).

References: transformers' own ``EncodecModel.encode`` / ``DacModel.encode`` and quantizer
decoding on the same zero-padded signal, and the encoder's modules run by hand.
"""
from __future__ import annotations

import math

import huggingface_hub
import numpy as np
import pytest
import torch
from transformers import DacConfig, DacModel, EncodecConfig, EncodecModel

from codecprobe.encoders.hf_codecs import (DAC_VARIANTS, DacEncoder, DacSettings, EncodecEncoder, build_dac,
                                           build_encodec, random_dac, random_encodec)
from codecprobe.encoders.registry import BuildOptions, build_encoder
from codecprobe.encoders.windowed import WindowSettings
from codecprobe.errors import InputError

RATE = 1600  # tiny models: hop 16 -> 100 Hz latents
TINY_ENCODEC = dict(sampling_rate=RATE, num_filters=4, hidden_size=8, upsampling_ratios=[4, 4], codebook_size=16,
                    target_bandwidths=[0.8, 3.2], num_lstm_layers=1)  # 0.4 kbps per codebook: 8 codebooks
TINY_DAC = dict(sampling_rate=RATE, encoder_hidden_size=4, downsampling_ratios=[2, 8], decoder_hidden_size=8,
                n_codebooks=5, codebook_size=16, codebook_dim=2)


@pytest.fixture(scope="module")
def encodec() -> EncodecEncoder:
    return EncodecEncoder(random_encodec(0, EncodecConfig(**TINY_ENCODEC)), "random-init:seed=0", trained=False)


@pytest.fixture(scope="module")
def dac() -> DacEncoder:
    return DacEncoder(random_dac(0, DacConfig(**TINY_DAC)), "random-init:seed=0", trained=False)


@pytest.fixture(params=["encodec", "dac"])
def codec(request, encodec, dac):
    return {"encodec": encodec, "dac": dac}[request.param]


def speechlike(samples: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * np.arange(samples) / RATE + rng.uniform(0, 6))
    return (0.3 * envelope * rng.standard_normal(samples)).astype(np.float32)


def padded(audio: np.ndarray, hop: int = 16) -> torch.Tensor:
    """``[1, 1, samples]``, zero-padded on the right to whole hops."""
    out = np.zeros(math.ceil(len(audio) / hop) * hop, dtype=np.float32)
    out[: len(audio)] = audio
    return torch.from_numpy(out)[None, None]


def close(actual, expected, name, rtol=1e-5):
    """Equal up to float32 rounding, relative to the reference's magnitude."""
    expected = np.asarray(expected)
    np.testing.assert_allclose(actual, expected, atol=rtol * max(np.abs(expected).max(), 1e-6), err_msg=name)


def test_taps_rates_and_bitrates(encodec, dac):
    assert encodec.taps == ("block1", "block2", "lstm", "prequant", *(f"quant{n}" for n in range(1, 9)))
    assert dac.taps == ("block1", "block2", "prequant", *(f"quant{n}" for n in range(1, 6)))
    assert [encodec.frame_rate(t) for t in ("block1", "block2", "lstm", "prequant", "quant3")] == [400, 100, 100, 100, 100]
    assert [dac.frame_rate(t) for t in ("block1", "block2", "prequant")] == [800, 100, 100]
    # n codebooks of 16 entries (4 bits) per 100 Hz frame; the tiny EnCodec's target bandwidths agree
    assert [encodec.bitrate_kbps(f"quant{n}") for n in (1, 2, 8)] == [0.4, 0.8, 3.2] == [0.4, *TINY_ENCODEC["target_bandwidths"]]
    assert encodec.bitrate_kbps("prequant") is None and dac.bitrate_kbps("block1") is None
    assert encodec.default_taps == dac.default_taps == ("prequant",)
    # sweeps leave out the 400 and 800 Hz block taps and keep quant 1, 2, 4, 8, ... and all
    assert encodec.sweep_taps == ("block2", "lstm", "prequant", "quant1", "quant2", "quant4", "quant8")
    assert dac.sweep_taps == ("block2", "prequant", "quant1", "quant2", "quant4", "quant5")


def test_published_bitrates():
    """The default architectures' quantN bitrates: EnCodec 24 kHz's 1.5-24 kbps modes, DAC's 6 / 24 / 7.75 kbps."""
    with torch.device("meta"):  # configs and module layout only, no weights
        encodec = EncodecEncoder(EncodecModel(EncodecConfig()), "x", True)
        dacs = {variant: DacEncoder(DacModel(DacConfig(**config)), "x", True) for variant, config in DAC_VARIANTS.items()}
    assert [encodec.bitrate_kbps(f"quant{n}") for n in (2, 4, 8, 16, 32)] == [1.5, 3.0, 6.0, 12.0, 24.0]
    assert (encodec.frame_rate("prequant"), encodec.frame_rate("block1")) == (75.0, 12000.0)
    assert {variant: (dac.frame_rate("prequant"), dac.bitrate_kbps(f"quant{dac.num_quantizers()}"))
            for variant, dac in dacs.items()} == {"16khz": (50.0, 6.0), "24khz": (75.0, 24.0), "44khz": (44100 / 512, 7.751953125)}


def test_frame_counts(codec):
    lengths = [1, 16, 17, 250]
    outputs = codec.encode_batch([speechlike(n, seed=n) for n in lengths], list(codec.taps))
    for n, out in zip(lengths, outputs):
        frames = math.ceil(n / 16)
        for tap, sequence in out.items():
            assert len(sequence) == frames * codec.frame_rate(tap) / 100, tap
            assert (sequence.encoder, sequence.tap, sequence.weights_id) == (codec.name, tap, "random-init:seed=0")
    assert outputs[0]["prequant"].dim == codec.model.config.hidden_size


def test_encodec_taps_equal_transformers(encodec):
    audio = speechlike(333)
    model = encodec.model
    x = padded(audio)
    with torch.no_grad():
        stages, hidden = [], x
        for layer in model.encoder.layers:  # the SEANet stack by hand
            hidden = layer(hidden)
            stages.append(hidden)
        codes = model.encode(x, bandwidth=3.2).audio_codes[0]  # [batch, 8 codebooks, frames]
        expected = {f"quant{n}": model.quantizer.decode(codes[:, :n].transpose(0, 1))[0].T.numpy() for n in (1, 3, 8)}
    # layers: conv, (resblock, ELU, strided conv) x 2, LSTM, ELU, conv
    expected |= {"block1": stages[3][0].T, "block2": stages[6][0].T, "lstm": stages[7][0].T, "prequant": stages[-1][0].T}
    out = encodec.encode(audio, list(expected))
    for tap, reference in expected.items():
        close(out[tap].frames, reference, tap)
    assert len(np.unique(codes[0, 0].numpy())) > 1  # random non-zero codebooks: codes follow the input
    assert np.abs(expected["quant8"] - expected["quant1"]).max() > 1e-3


def test_dac_taps_equal_transformers(dac):
    audio = speechlike(333)
    model = dac.model
    x = padded(audio)
    with torch.no_grad():
        first = model.encoder.block[0](model.encoder.conv1(x))
        encoded = {n: model.encode(x, n_quantizers=n) for n in (1, 3, 5)}
        expected = {"block1": first[0].T, "block2": model.encoder.block[1](first)[0].T,
                    "prequant": model.encoder(x)[0].T}
    expected |= {f"quant{n}": value.quantized_representation[0].T for n, value in encoded.items()}
    out = dac.encode(audio, list(expected))
    for tap, reference in expected.items():
        close(out[tap].frames, reference, tap)
    assert len(np.unique(encoded[5].audio_codes[0, 0].numpy())) > 1


def test_batched_equals_one_by_one(codec):
    audios = [speechlike(n, seed=n) for n in (40, 47, 160, 161, 300, 305)]
    taps = ["block1", "prequant", "quant3"]
    batched = codec.encode_batch(audios, taps)
    for audio, together in zip(audios, batched):
        alone = codec.encode(audio, taps)
        for tap in taps:
            close(together[tap].frames, alone[tap].frames, tap)


def test_only_causal_encodec_pads_across_lengths(encodec, dac):
    # EnCodec: from 7 frames (112 samples: the last convolution's reflect padding stays inside the
    # signal) any lengths share a batch; shorter ones only with equal padded lengths (33, 40, 47 -> 48)
    assert encodec._batches([40, 160, 161, 300, 305, 33, 47, 20]) == [[7], [5, 0, 6], [1, 2, 3, 4]]
    assert dac._batches([40, 300, 33, 305, 47]) == [[2, 0, 4], [1], [3]]


def test_batches_hold_at_most_chunk_seconds(encodec):
    small = EncodecEncoder(encodec.model, encodec.weights_id, False, WindowSettings(chunk_seconds=0.24))  # 384 samples
    assert small._batches([120, 120, 120, 120]) == [[0, 1, 2], [3]]  # 3 x 128 padded samples fit, 4 do not


def test_long_signals_in_windows_equal_one_pass_when_the_context_covers_the_receptive_field(dac):
    audio = speechlike(3000, seed=5)
    # window cores of 320 samples (20 frames), 0.5 s (50 frames) of context either side
    windowed = DacEncoder(dac.model, dac.weights_id, False, DacSettings(chunk_seconds=0.2, context_seconds=0.5))
    out = windowed.encode(audio, ["block1", "prequant", "quant2"])
    whole = dac.encode(audio, ["block1", "prequant", "quant2"])
    for tap in out:
        close(out[tap].frames, whole[tap].frames, tap)
    without_context = DacEncoder(dac.model, dac.weights_id, False, DacSettings(chunk_seconds=0.2, context_seconds=0))
    scale = np.abs(whole["prequant"].frames).max()
    assert np.abs(without_context.encode(audio)["prequant"].frames - whole["prequant"].frames).max() > 1e-3 * scale


def test_random_init_is_seeded_labelled_and_built_in():
    encoder = build_encoder("dac", BuildOptions(random_init=True, seed=3, settings={"variant": "16khz"}))
    identity = encoder.identity()
    assert (identity.trained, identity.weights_id, identity.weights) == (False, "random-init:seed=3", "untrained")
    assert identity.settings == {"sample_rate": 16000, "dtype": "float32", "pad_to_multiple_of": 320,
                                 "chunk_seconds": 30.0, "context_seconds": 5.0, "variant": "16khz",
                                 "torch": torch.__version__}
    assert encoder.num_quantizers() == 12


def test_random_encodec_differs_by_seed(encodec):
    audio = speechlike(200)
    again = EncodecEncoder(random_encodec(0, EncodecConfig(**TINY_ENCODEC)), "random-init:seed=0", False)
    other = EncodecEncoder(random_encodec(1, EncodecConfig(**TINY_ENCODEC)), "random-init:seed=1", False)
    first = encodec.encode(audio)["prequant"].frames
    np.testing.assert_array_equal(again.encode(audio)["prequant"].frames, first)
    assert np.abs(other.encode(audio)["prequant"].frames - first).max() > 1e-3


@pytest.mark.parametrize("name", ["encodec", "dac"])
def test_folder_and_hub_snapshot_load_the_same_weights(name, encodec, dac, tmp_path, monkeypatch):
    source = {"encodec": encodec, "dac": dac}[name]
    snapshot = tmp_path / "models--owner--tiny" / "snapshots" / "0123abcd"
    source.model.save_pretrained(snapshot)
    settings = {"variant": "16khz"} if name == "dac" else {}
    if name == "dac":  # the tiny DAC runs at 1600 Hz: a variant of another rate is refused
        with pytest.raises(InputError, match="a 1600 Hz DAC, but variant=16khz"):
            build_encoder(name, BuildOptions(weights=str(snapshot), settings=settings))
        monkeypatch.setitem(DAC_VARIANTS["16khz"], "sampling_rate", RATE)
    loaded = build_encoder(name, BuildOptions(weights=str(snapshot), settings=settings))
    assert loaded.trained is True and loaded.weights_id.startswith("dir:") and len(loaded.weights_id) == 20
    reference = source.model.state_dict()
    assert all(torch.equal(value, reference[key]) for key, value in loaded.model.state_dict().items())
    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda repo, revision, allow_patterns: str(snapshot))
    from_hub = build_encoder(name, BuildOptions(weights="owner/tiny", settings=settings))
    assert from_hub.weights_id == "hf:owner/tiny@0123abcd"
    audio = speechlike(100)
    np.testing.assert_array_equal(from_hub.encode(audio)["prequant"].frames, source.encode(audio)["prequant"].frames)


def test_bad_weights_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="nowhere: EnCodec weights not found"):
        build_encodec(BuildOptions(weights=str(tmp_path / "nowhere")))
    with pytest.raises(InputError, match=f"{tmp_path}: not a transformers-format DAC folder"):
        build_dac(BuildOptions(weights=str(tmp_path)))
    with pytest.raises(InputError, match="no-such-user-xyz/no-such-dac: no such local file or folder.*local transformers-format folder"):
        build_dac(BuildOptions(weights="no-such-user-xyz/no-such-dac"))
    with pytest.raises(InputError, match="choose one"):
        build_encodec(BuildOptions(weights="facebook/encodec_24khz", random_init=True))


def test_stereo_or_normalised_encodec_is_refused():
    with torch.device("meta"):
        model = EncodecModel(EncodecConfig(**{**TINY_ENCODEC, "audio_channels": 2, "normalize": True}))
    with pytest.raises(InputError, match="only mono models .* audio_channels=2, normalize=True"):
        EncodecEncoder(model, "x", True)
