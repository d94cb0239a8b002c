"""The resynthesis study: the bitrate axis, similarity and EER against hand-computed cases, the
decoded-audio cache, the command's bad input, and Lyra's decode step on its real weights."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from codecprobe.cli.main import main
from codecprobe.encoders import register
from codecprobe.encoders.base import Encoder, EncoderIdentity
from codecprobe.errors import InputError
from codecprobe.resynth import study, verifiers
from codecprobe.resynth.codecs import Resynthesiser, build_resynthesiser, codebooks_for
from codecprobe.resynth.study import ResynthConfig, ResynthResult, run_resynth, write_resynth
from tests.fakes import write_pitch_corpus


class IdentityCodec(Encoder):
    """A 'codec' whose decoder returns its input (16 kHz; 1 kbps per codebook, 4 codebooks)."""

    name = "resynth-identity"
    sample_rate = 16000
    max_codebooks = 4
    kbps_per_codebook = 1.0
    taps = default_taps = ("audio",)
    gain = 1.0

    def identity(self) -> EncoderIdentity:
        return EncoderIdentity(self.name, "none", False)

    def encode_batch(self, audios, taps):
        raise NotImplementedError  # the resynthesis track needs only the decode step

    def resynthesise(self, audio, n_codebooks):
        return self.gain * np.asarray(audio, np.float32)


class SilenceCodec(IdentityCodec):
    """Decodes silence, at 8 kHz: the study resamples it to 16 kHz and the input's length."""

    name = "resynth-silence"
    sample_rate = 8000
    gain = 0.0


register("resynth-identity")(lambda options: IdentityCodec())
register("resynth-silence")(lambda options: SilenceCodec())

SPEAKERS = {"ann": 220.0, "bob": 330.0, "cat": 440.0}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    """speaker-folders corpus: 3 speakers x 2 half-second files, each speaker a tone plus noise."""
    return write_pitch_corpus(tmp_path_factory.mktemp("corpus"), SPEAKERS, per_speaker=2)


def band_energies(signals):
    """A stand-in verifier: spectral energy in 12 bands of 100 Hz (each speaker's tone in its own band)."""
    return np.stack([np.abs(np.fft.rfft(s))[:600].reshape(12, -1).sum(axis=1) + 1e-6 for s in signals])


@pytest.fixture
def fake_verifiers(monkeypatch):
    monkeypatch.setattr(verifiers, "load_verifier",
                        lambda name, threads=1: verifiers.Verifier(name, f"fake-{name}", band_energies))


def test_bitrates_map_onto_whole_codebook_counts():
    assert [codebooks_for(k, 0.2, 46, "lyra") for k in (0.2, 3.2, 6, 9.2)] == [1, 16, 30, 46]
    assert codebooks_for(1.1, 0.1375, 32, "mimi") == 8  # Mimi: 11-bit codes at 12.5 Hz
    for bad in (3.3, 9.4, 0.1):
        with pytest.raises(InputError, match=f"--bitrates {bad:g}: lyra codes 0.2 kbps per codebook"):
            codebooks_for(bad, 0.2, 46, "lyra")


def test_cosine_of_an_embedding_with_itself_is_one_and_invariant_to_scale():
    rng = np.random.default_rng(3)
    for _ in range(20):  # a property over random draws (dims, scales, signs)
        a = rng.normal(size=(5, int(rng.integers(2, 300)))) * rng.uniform(1e-3, 1e3)
        np.testing.assert_allclose(verifiers.cosine_rows(a, a), 1.0, rtol=1e-6)
        np.testing.assert_allclose(verifiers.cosine_rows(a, 7.5 * a), 1.0, rtol=1e-6)
        np.testing.assert_allclose(verifiers.cosine_rows(a, -a), -1.0, rtol=1e-6)


def test_eers_known_answer():
    """Speakers A (utterances 0, 1) and B (2, 3); resynthesis moves utterance 1 onto B's direction.

    Both resynthesised: targets score [0, 1], non-targets [0, 0, 1, 1]: EER 50 %. Original enrolment:
    targets [0, 1], non-targets all 0: the ROC goes from (miss 1/2, fa 0) to (0, 1); the crossing is 1/3.
    """
    original = np.array([[1.0, 0], [1, 0], [0, 1], [0, 1]])
    resynth = np.array([[1.0, 0], [0, 1], [0, 1], [0, 1]])
    first, second = np.triu_indices(4, k=1)
    labels = (first // 2) == (second // 2)
    config = ResynthConfig(bootstrap_replicates=0)
    args = ((first, second), labels, (first // 2, second // 2), "eer")
    assert study._eers(config, original, original, *args) == {"eer": 0.0, "eer_interval": None}
    assert study._eers(config, resynth, resynth, *args)["eer"] == pytest.approx(50.0)
    assert study._eers(config, original, resynth, *args)["eer"] == pytest.approx(100 / 3)


def test_identity_codec_keeps_every_speaker_and_a_rerun_decodes_nothing(corpus_dir, tmp_path, fake_verifiers):
    config = ResynthConfig(corpus=str(corpus_dir), codec="resynth-identity", bitrates=[1.0, 4.0], verifiers=["campplus"],
                           bootstrap_replicates=0)
    result = run_resynth(config, tmp_path, progress=False)
    original, *rows = result.rows
    assert result.data | {"seconds": None} == {
        "corpus": str(corpus_dir), "segments": 6, "speakers": 3, "trials": 15, "target_trials": 3,
        "trials_source": "generated from 6 segments of 3 speakers (all pairs)", "seconds": None}
    assert [(r["kbps"], r["n_codebooks"]) for r in rows] == [(1.0, 1), (4.0, 4)]
    for row in rows:  # audio equal to the original: similarity 1 with a zero-width interval, the same EERs
        for key in ("similarity", "similarity_low", "similarity_high", "similarity_min"):
            assert row[key] == pytest.approx(1.0, rel=1e-6)
        assert row["eer"] == row["eer_original_enrol"] == original["eer"] == 0.0
    assert result.timing["decoded_now"] == 12 and result.timing["from_cache"] == 0
    assert len(list((tmp_path / "decoded").glob("resynth-identity-*cb-*.npy"))) == 12

    again = run_resynth(config, tmp_path, progress=False)
    assert again.timing["decoded_now"] == 0 and again.timing["from_cache"] == 12
    assert again.rows == result.rows

    other = run_resynth(ResynthConfig(**{**config.__dict__, "bitrates": [1.0]}), tmp_path, progress=False)
    assert other.timing["from_cache"] == 6  # keyed by codebooks: 1 codebook is cached, nothing else reused
    write_resynth(result, tmp_path)
    saved = ResynthResult.load(tmp_path / "results.json")
    assert saved.rows[1]["similarity"] == pytest.approx(result.rows[1]["similarity"], rel=1e-12)
    assert "| campplus | 4 | 4 |" in (tmp_path / "report.md").read_text()


def test_a_silenced_codec_loses_the_speaker(corpus_dir, tmp_path, fake_verifiers):
    """Silence decoded at 8 kHz: every resynthesised embedding the same, so every trial scores the same:
    chance EER (50 %) with both sides resynthesised; the decoded files are 16 kHz and the input's length."""
    result = run_resynth(ResynthConfig(corpus=str(corpus_dir), codec="resynth-silence", bitrates=[2.0],
                                       verifiers=["ge2e"], bootstrap_replicates=0), tmp_path, progress=False)
    assert result.rows[0]["eer"] == 0.0 and result.rows[1]["eer"] == pytest.approx(50.0)
    decoded = [np.load(path) for path in (tmp_path / "decoded").glob("resynth-silence-2cb-*.npy")]
    assert len(decoded) == 6 and all(d.shape == (8000,) and d.dtype == np.float32 for d in decoded)


@pytest.mark.parametrize("argv, message", [
    (["--codec", "mfcc"], "--codec mfcc: this encoder has no decoder step"),
    (["--codec", "resynth-identity", "--bitrates", "2.5"], "--bitrates 2.5: resynth-identity codes 1 kbps per codebook"),
    (["--codec", "resynth-identity", "--verifier", "ecapa"], "verifiers: ['ecapa']; known: campplus, ge2e"),
    (["--codec", "resynth-identity", "--bitrates", "1", "--corpus", "/nonexistent/corpus"], "/nonexistent/corpus"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, corpus_dir, tmp_path, capsys):
    corpus = [] if "--corpus" in argv else ["--corpus", str(corpus_dir)]
    assert main(["resynth", *corpus, *argv, "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_lyra_decodes_at_every_bitrate_to_16_khz_of_the_input_length(lyra_weights):
    from codecprobe.encoders import BuildOptions, build_encoder

    lyra = build_encoder("lyra", BuildOptions(weights=str(lyra_weights)))
    assert isinstance(lyra, Resynthesiser) and lyra.sample_rate == 16000
    t = np.arange(5000) / 16000  # 15.6 frames: the padded tail is cut off
    audio = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    decoded = {n: lyra.resynthesise(audio, n) for n in (codebooks_for(k, lyra.kbps_per_codebook, 46) for k in (3.2, 9.2))}
    for n, out in decoded.items():
        assert out.shape == audio.shape and out.dtype == np.float32 and np.isfinite(out).all()
        np.testing.assert_array_equal(out, lyra.resynthesise(audio, n))  # fresh decoder state every call
    assert not np.array_equal(decoded[16], decoded[46])
    with pytest.raises(InputError, match="lyra has codebooks 1..46, not 47"):
        lyra.resynthesise(audio, 47)


def test_results_json_keys_are_snake_case(corpus_dir, tmp_path, fake_verifiers):
    from tests.cli.test_help import snake_case_keys

    result = run_resynth(ResynthConfig(corpus=str(corpus_dir), codec="resynth-identity", bitrates=[1.0],
                                       verifiers=["campplus"], bootstrap_replicates=20), tmp_path, progress=False)
    write_resynth(result, tmp_path)
    assert snake_case_keys(json.loads((tmp_path / "results.json").read_text())) == []


def test_mimi_decodes_the_first_n_codebooks_at_24_khz_of_the_input_length():
    """A small random Mimi (the whole model, decoder included): 6-bit codes at 12.5 Hz = 0.075 kbps per codebook."""
    pytest.importorskip("transformers")
    from transformers import MimiConfig

    from codecprobe.encoders.mimi import random_mimi
    from codecprobe.resynth.mimi import MimiResynthesiser

    config = MimiConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2, head_dim=16,
                        intermediate_size=64, num_filters=4, codebook_dim=16, codebook_size=64, num_quantizers=4,
                        upsample_groups=32, vector_quantization_hidden_dimension=16)
    mimi = MimiResynthesiser(random_mimi(0, config), "random-init:seed=0", trained=False)
    assert isinstance(mimi, Resynthesiser) and mimi.sample_rate == 24000 and mimi.max_codebooks == 4
    assert mimi.kbps_per_codebook == pytest.approx(0.075, rel=1e-12)
    assert mimi.identity().weights == "untrained"
    audio = (0.3 * np.sin(2 * np.pi * 200 * np.arange(5000) / 24000)).astype(np.float32)  # 2.6 frames
    decoded = {n: mimi.resynthesise(audio, n) for n in (1, 4)}
    for out in decoded.values():
        assert out.shape == audio.shape and out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_array_equal(decoded[4], mimi.resynthesise(audio, 4))
    assert not np.array_equal(decoded[1], decoded[4])  # more codebooks, another decoding
    with pytest.raises(InputError, match="mimi has codebooks 1..4, not 5"):
        mimi.resynthesise(audio, 5)


def test_mimi_without_local_weights_asks_for_a_folder_or_the_control():
    with pytest.raises(InputError, match="--random-init for the UNTRAINED control"):
        build_resynthesiser("mimi")


def test_an_unreadable_file_is_named_and_the_run_exits_1(corpus_dir, tmp_path, fake_verifiers, capsys):
    corpus = shutil.copytree(corpus_dir, tmp_path / "corpus")
    (corpus / "dan").mkdir()
    (corpus / "dan" / "u0.wav").write_bytes(b"RIFF....WAVEfmt not really")
    argv = ["resynth", "--corpus", str(corpus), "--codec", "resynth-identity", "--bitrates", "1",
            "--verifier", "campplus", "--out", str(tmp_path / "out"), "--quiet", "--set", "bootstrap_replicates=0"]
    assert main(argv) == 1
    assert "skipped" in capsys.readouterr().err
    result = ResynthResult.load(tmp_path / "out" / "results.json")
    assert [Path(path).name for path, _ in result.failures] == ["u0.wav"]
    assert result.data["segments"] == 6 and result.data["speakers"] == 3
