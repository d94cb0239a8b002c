"""MFCC and log-mel baselines against librosa's own functions and known signals."""
from __future__ import annotations

import librosa
import numpy as np
import pytest

from codecprobe.audio import read_audio
from codecprobe.encoders.features import LogMelConfig, LogMelEncoder, MfccConfig, MfccEncoder, build_logmel, build_mfcc
from codecprobe.encoders.registry import BuildOptions
from codecprobe.errors import InputError
from tests.tolerance import assert_close_to_scale

RATE = 16000


def chirp(seconds: float = 1.0) -> np.ndarray:
    return librosa.chirp(fmin=100, fmax=6000, sr=RATE, duration=seconds).astype(np.float32) * 0.5


@pytest.fixture(scope="module")
def speech(shared_data) -> np.ndarray:
    return read_audio(sorted((shared_data / "vctk-autovc" / "p225").glob("*.wav"))[0])[0]


@pytest.mark.parametrize("config", [MfccConfig(), MfccConfig(n_mfcc=13, n_mels=64, window="hann", fmin=0, fmax=8000)])
def test_mfcc_equals_librosa_mfcc(speech, config):
    # librosa.feature.mfcc(y=...) clips the log-mel 80 dB below its maximum; a noise floor
    # at -40 dBFS keeps this signal's range under that, so no clipping happens there either.
    noisy = speech + 0.01 * np.random.default_rng(0).standard_normal(len(speech)).astype(np.float32)
    log_mel = LogMelEncoder(config).encode(noisy)["logmel"].frames
    assert log_mel.max() - log_mel.min() < 80
    expected = librosa.feature.mfcc(
        y=noisy, sr=RATE, n_mfcc=config.n_mfcc, n_fft=config.n_fft, hop_length=config.hop_length,
        win_length=config.win_length, window=config.window, n_mels=config.n_mels, fmin=config.fmin, fmax=config.fmax,
    ).T

    got = MfccEncoder(config).encode(noisy)["mfcc"]

    assert got.frames.shape == (1 + len(speech) // 160, config.n_mfcc)
    np.testing.assert_allclose(got.frames, expected, rtol=1e-4, atol=1e-3)


def test_logmel_is_the_log_of_mel_filtered_stft_power(speech):
    config = LogMelConfig()
    spectrum = librosa.stft(speech, n_fft=512, hop_length=160, win_length=400, window="hamming", pad_mode="constant")
    filters = librosa.filters.mel(sr=RATE, n_fft=512, n_mels=40, fmin=20, fmax=7600)
    expected = 10 * np.log10(np.maximum(filters @ np.abs(spectrum) ** 2, config.amin)).T

    got = LogMelEncoder(config).encode(speech)["logmel"]

    assert_close_to_scale(got.frames, expected)


@pytest.mark.parametrize("frequency", [300.0, 1000.0, 4000.0])
def test_a_sine_peaks_in_the_mel_band_centred_nearest_it(frequency):
    sine = (0.5 * np.sin(2 * np.pi * frequency * np.arange(RATE) / RATE)).astype(np.float32)
    centres = librosa.mel_frequencies(n_mels=40 + 2, fmin=20, fmax=7600)[1:-1]

    frames = LogMelEncoder().encode(sine)["logmel"].frames

    assert set(frames[5:-5].argmax(axis=1)) == {int(np.argmin(np.abs(centres - frequency)))}


@pytest.mark.filterwarnings("ignore:n_fft=512 is too large")  # librosa's note on inputs shorter than a window
@pytest.mark.parametrize("samples", [1, 159, 160, 161, 16000, 16001])
@pytest.mark.parametrize("encoder_class", [LogMelEncoder, MfccEncoder])
def test_frame_count_and_rate_of_centred_frames(encoder_class, samples):
    sequence = encoder_class().encode(chirp()[:samples])[encoder_class.name]

    assert len(sequence) == 1 + samples // 160
    assert sequence.frame_rate == 100


def test_cmn_removes_each_utterances_mean_frame():
    audio = chirp()
    plain = MfccEncoder().encode(audio)["mfcc"].frames
    normalised = MfccEncoder(MfccConfig(cmn=True)).encode(audio)["mfcc"].frames

    assert_close_to_scale(normalised, plain - plain.mean(axis=0))
    np.testing.assert_allclose(normalised.mean(axis=0), 0, atol=1e-5 * np.abs(plain).max())


def test_batch_equals_one_by_one():
    audios = [chirp(0.5), chirp(1.0)[::-1].copy()]
    encoder = LogMelEncoder()

    for audio, got in zip(audios, encoder.encode_batch(audios, ["logmel"])):
        np.testing.assert_array_equal(got["logmel"].frames, encoder.encode(audio)["logmel"].frames)


def test_identity_lists_the_settings_each_encoder_uses():
    mfcc, logmel = MfccEncoder().identity(), LogMelEncoder().identity()

    assert mfcc.weights_id == logmel.weights_id == f"librosa:{librosa.__version__}"
    # item 3: baselines with no weights, never "trained" (nor a random control)
    assert (mfcc.weights, logmel.weights) == ("none", "none") and not (mfcc.trained or logmel.trained)
    assert mfcc.describe() == f"mfcc: no weights - a fixed baseline (librosa:{librosa.__version__})"
    assert mfcc.settings["n_mfcc"] == 20 and "n_mfcc" not in logmel.settings
    assert logmel.settings == {
        "n_mels": 40, "window_s": 0.025, "hop_s": 0.010, "n_fft": 512, "window": "hamming",
        "fmin": 20.0, "fmax": 7600.0, "amin": 1e-10, "cmn": False,
    }


@pytest.mark.parametrize("factory", [build_logmel, build_mfcc])
@pytest.mark.parametrize("options", [BuildOptions(random_init=True), BuildOptions(weights="some.pt")])
def test_weights_options_are_refused(factory, options):
    with pytest.raises(InputError, match="feature extractor and has no weights"):
        factory(options)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (lambda: LogMelConfig(window_s=0.05), "window_s"),
        (lambda: LogMelConfig(hop_s=0.00001), "hop_s"),
        (lambda: LogMelConfig(fmax=9000), "fmax"),
        (lambda: MfccConfig(n_mfcc=41), "n_mfcc"),
    ],
)
def test_invalid_configs(config, message):
    with pytest.raises(InputError, match=message):
        config()
