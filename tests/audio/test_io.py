import numpy as np
import pytest
import soundfile as sf
import soxr

from codecprobe.audio import AudioError, audio_info, read_audio
from codecprobe.errors import InputError


@pytest.fixture
def stereo_wav(tmp_path):
    rate = 8000
    t = np.arange(rate * 2) / rate
    left = 0.5 * np.sin(2 * np.pi * 200 * t)
    right = 0.25 * np.sin(2 * np.pi * 300 * t)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1).astype(np.float32), rate, subtype="FLOAT")
    return path, left.astype(np.float32), right.astype(np.float32), rate


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
def test_reads_each_container(tmp_path, fmt):
    rate = 16000
    audio = (0.3 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)).astype(np.float32)
    path = tmp_path / f"tone.{fmt}"
    sf.write(path, audio, rate)
    samples, got_rate = read_audio(path)
    assert got_rate == rate
    assert abs(len(samples) - rate) <= 1152  # lossy codecs may pad by one frame
    if fmt in ("wav", "flac"):
        np.testing.assert_allclose(samples, audio, atol=1e-4)


def test_range_downmix_and_resample(stereo_wav):
    path, left, right, rate = stereo_wav
    samples, got_rate = read_audio(path, start=0.5, end=1.25)
    assert got_rate == rate
    np.testing.assert_allclose(samples, ((left + right) / 2)[4000:10000], atol=1e-7)
    resampled, got_rate = read_audio(path, start=0.5, end=1.25, target_rate=24000)
    assert got_rate == 24000 and len(resampled) == 18000
    np.testing.assert_allclose(resampled, soxr.resample(samples, 8000, 24000, quality="VHQ"), atol=1e-6)
    channels, _ = read_audio(path, mono=False)
    assert channels.shape == (16000, 2)


def test_info_reads_header(stereo_wav):
    path, *_ = stereo_wav
    info = audio_info(path)
    assert (info.sampling_rate, info.num_samples, info.num_channels, info.duration) == (8000, 16000, 2, 2.0)


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda p: p.write_bytes(b""), ""),
        (lambda p: p.write_text("this is not audio\n" * 10), ""),
        (lambda p: None, ""),  # missing file
    ],
    ids=["empty", "not-audio", "missing"],
)
def test_bad_files_raise_one_error_naming_the_file(tmp_path, make, reason):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(AudioError) as caught:
        read_audio(path)
    assert str(path) in str(caught.value)
    assert isinstance(caught.value, InputError)


def test_truncated_file_is_an_audio_error(tmp_path):
    path = tmp_path / "cut.wav"
    sf.write(path, np.zeros(16000, np.float32), 16000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # header still claims 16000 samples
    with pytest.raises(AudioError, match="cut.wav.*truncated"):
        read_audio(path)


def test_range_outside_file(stereo_wav):
    path, *_ = stereo_wav
    with pytest.raises(AudioError, match="outside the file"):
        read_audio(path, start=1.5, end=3.0)
