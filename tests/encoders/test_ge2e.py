"""GE2E adapter against Resemblyzer's own ``embed_utterance`` on real speech."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch
from resemblyzer import VoiceEncoder, normalize_volume, preprocess_wav, wav_to_mel_spectrogram

from codecprobe.audio import read_audio
from codecprobe.encoders.ge2e import GE2EConfig, GE2EEncoder
from codecprobe.encoders.registry import BuildOptions
from codecprobe.errors import InputError
from tests.tolerance import assert_close_to_scale


@pytest.fixture(scope="module")
def encoder() -> GE2EEncoder:
    return GE2EEncoder()


@pytest.fixture(scope="module")
def reference() -> VoiceEncoder:
    return VoiceEncoder("cpu", verbose=False)


@pytest.fixture(scope="module")
def vctk(shared_data):
    """Two utterances each of two VCTK speakers (16 kHz, 5-7 s)."""
    paths = {speaker: sorted((shared_data / "vctk-autovc" / speaker).glob("*.wav"))[:2] for speaker in ("p225", "p226")}
    return {speaker: [read_audio(path)[0] for path in files] for speaker, files in paths.items()}


def quiet(audio: np.ndarray) -> np.ndarray:
    """The same speech at -50 dBFS or so, so that volume normalisation does something."""
    return audio * 0.01


@pytest.mark.parametrize(
    ("config", "resemblyzer_input"),
    [
        (GE2EConfig(), lambda wav: normalize_volume(wav, -30, increase_only=True)),
        (GE2EConfig(normalize_volume=False), lambda wav: wav),
        (GE2EConfig(trim_silences=True), preprocess_wav),
    ],
    ids=["normalize", "raw", "preprocess_wav"],
)
def test_utterance_and_partials_equal_embed_utterance(vctk, reference, config, resemblyzer_input):
    wav = quiet(vctk["p225"][0])
    encoder = GE2EEncoder(config=config)
    expected, expected_partials, _ = reference.embed_utterance(resemblyzer_input(wav), return_partials=True)

    out = encoder.encode(wav, encoder.taps)

    np.testing.assert_allclose(out["utterance"].frames, expected[None, :], atol=1e-6)
    assert out["utterance"].frame_rate == pytest.approx(16000 / len(wav))
    if "partials" in out:
        np.testing.assert_allclose(out["partials"].frames, expected_partials, atol=1e-6)
        np.testing.assert_allclose(np.linalg.norm(out["partials"].frames, axis=1), 1, atol=1e-6)


@pytest.mark.parametrize("rate", [1.3, 4.0])
def test_partials_frame_rate_is_resemblyzers_partial_hop(vctk, reference, rate):
    wav = vctk["p226"][0]
    encoder = GE2EEncoder(config=GE2EConfig(partials_rate=rate, normalize_volume=False))
    _, expected_partials, slices = reference.embed_utterance(wav, return_partials=True, rate=rate)

    partials = encoder.encode(wav, ["partials"])["partials"]

    assert partials.frame_rate == pytest.approx(16000 / (slices[1].start - slices[0].start))
    assert len(partials) == len(expected_partials)
    assert encoder.identity().settings["partial_hop_s"] == pytest.approx(1 / partials.frame_rate)


def test_mel_tap_is_resemblyzers_input_for_the_unpadded_audio(vctk):
    wav = vctk["p225"][1]
    mel = GE2EEncoder(config=GE2EConfig(normalize_volume=False)).encode(wav, ["mel"])["mel"]

    assert len(mel) == 1 + len(wav) // 160
    assert mel.frame_rate == 100
    np.testing.assert_allclose(mel.frames, wav_to_mel_spectrogram(wav), rtol=1e-5, atol=1e-7)


def test_batch_equals_one_by_one(encoder, vctk):
    audios = vctk["p225"] + vctk["p226"][:1]

    batch = encoder.encode_batch(audios, ["partials", "utterance"])

    for audio, got in zip(audios, batch):
        alone = encoder.encode(audio, ["partials", "utterance"])
        for tap in ("partials", "utterance"):
            assert_close_to_scale(got[tap].frames, alone[tap].frames)


def test_same_speaker_is_closer_than_other_speaker(encoder, vctk):
    embeddings = {
        speaker: [out["utterance"].frames[0] for out in encoder.encode_batch(audios, ["utterance"])]
        for speaker, audios in vctk.items()
    }
    same = [float(a @ b) for a, b in (embeddings["p225"], embeddings["p226"])]
    other = [float(a @ b) for a in embeddings["p225"] for b in embeddings["p226"]]

    assert min(same) > max(other)


def test_identity_of_the_wheel_weights(encoder):
    identity = encoder.identity()

    assert identity.encoder == "ge2e"
    assert identity.trained
    assert identity.weights_id.startswith("resemblyzer:0.1.4:")
    assert identity.settings["normalize_volume"] and not identity.settings["trim_silences"]


def test_random_init_is_seeded_and_marked_untrained(encoder, vctk):
    wav = vctk["p225"][0]
    first, again, other = (GE2EEncoder(BuildOptions(random_init=True, seed=seed)) for seed in (1, 1, 2))

    assert first.identity().weights_id == "random-init:seed=1"
    assert not first.trained
    embed = {name: enc.encode(wav, ["utterance"])["utterance"].frames for name, enc in
             {"first": first, "again": again, "other": other, "trained": encoder}.items()}
    np.testing.assert_array_equal(embed["first"], embed["again"])
    assert not np.allclose(embed["first"], embed["other"])
    assert not np.allclose(embed["first"], embed["trained"])
    with pytest.raises(InputError, match="choose one"):  # nothing random passes for given weights
        GE2EEncoder(BuildOptions(weights="my_ge2e.pt", random_init=True))


def test_local_weights_file_in_resemblyzer_format(tmp_path, vctk):
    wav = vctk["p226"][1]
    random_model = GE2EEncoder(BuildOptions(random_init=True, seed=5))
    path = tmp_path / "my_ge2e.pt"
    torch.save({"model_state": random_model._model.state_dict()}, path)

    loaded = GE2EEncoder(BuildOptions(weights=str(path)))

    assert loaded.identity().weights_id == f"file:{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}"
    assert loaded.trained
    np.testing.assert_array_equal(loaded.encode(wav)["partials"].frames, random_model.encode(wav)["partials"].frames)


def test_bad_weights_files_are_input_errors(tmp_path):
    torch.save({"model_state": {"linear.weight": torch.zeros(256, 256)}}, tmp_path / "partial.pt")
    for path, message in [(tmp_path / "absent.pt", "not found"), (tmp_path / "partial.pt", "lacks")]:
        with pytest.raises(InputError, match=message):
            GE2EEncoder(BuildOptions(weights=str(path)))


def test_trimming_offers_only_the_utterance_tap():
    encoder = GE2EEncoder(config=GE2EConfig(trim_silences=True))

    assert encoder.taps == ("utterance",)
    with pytest.raises(InputError, match="no tap"):
        encoder.encode(np.zeros(16000, np.float32), ["partials"])


@pytest.mark.parametrize("rate", [0.5, 200.0])
def test_partials_rate_outside_what_resemblyzer_allows(rate):
    with pytest.raises(InputError, match="partials_rate"):
        GE2EConfig(partials_rate=rate)


def test_registered_as_ge2e():
    pytest.importorskip("codecprobe.encoders.mimi", reason="the registry imports the Mimi module, not written yet")
    from codecprobe.encoders import available_encoders, build_encoder

    assert "ge2e" in available_encoders()
    assert isinstance(build_encoder("ge2e"), GE2EEncoder)
