"""Long recordings through encoders block by block: the frames equal those of one whole pass."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from codecprobe.audio import read_audio
from codecprobe.audio.vad import speech_probabilities, stream_speech_probabilities
from codecprobe.diarize.long_audio import audio_blocks, check_streamable, encode_long, stream_frames
from codecprobe.encoders import BuildOptions, build_encoder
from codecprobe.errors import InputError
from tests.tolerance import assert_close_to_scale


@pytest.fixture(scope="module")
def stereo_44k(tmp_path_factory):
    """6.3 s of seeded noise under a syllable-rate envelope, stereo at 44.1 kHz."""
    rng = np.random.default_rng(0)
    n = int(6.3 * 44100)
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * np.arange(n) / 44100)
    audio = (0.1 * envelope[:, None] * rng.standard_normal((n, 2))).astype(np.float32)
    path = tmp_path_factory.mktemp("long") / "stereo.wav"
    sf.write(path, audio, 44100, subtype="FLOAT")
    return path


@pytest.mark.parametrize("rate", [16000, 24000, 44100])
def test_blocks_equal_the_whole_file_read_and_resampled(stereo_44k, rate):
    whole, _ = read_audio(stereo_44k, target_rate=rate)
    blocks = list(audio_blocks(stereo_44k, rate, block_s=1.7))
    assert len(blocks) == 4
    np.testing.assert_array_equal(np.concatenate(blocks), whole)


@pytest.mark.parametrize("name,settings,taps", [
    ("mfcc", {}, ["mfcc"]),
    ("ge2e", {"partials_rate": 2.5, "normalize_volume": False}, ["partials", "mel"]),
])
def test_frame_local_encoders_in_pieces_equal_one_pass(stereo_44k, name, settings, taps):
    encoder = build_encoder(name, BuildOptions(settings=settings))
    whole = encoder.encode(read_audio(stereo_44k, target_rate=16000)[0], taps)
    pieces = encode_long(encoder, audio_blocks(stereo_44k, 16000, block_s=1.7), taps, context_s=1.7, piece_s=2.1)
    for tap in taps:
        assert pieces[tap].frame_rate == whole[tap].frame_rate
        # float32 features (MFCC values near 190): a tolerance relative to their scale holds on any CPU
        assert_close_to_scale(pieces[tap].frames, whole[tap].frames)


def test_streamed_vad_equals_one_pass(stereo_44k):
    whole, _ = speech_probabilities(read_audio(stereo_44k)[0], 44100)
    streamed, n_samples = stream_speech_probabilities(audio_blocks(stereo_44k, 16000, block_s=1.1))
    assert n_samples == int(6.3 * 16000)
    np.testing.assert_array_equal(streamed, whole)


def test_one_vector_per_input_is_refused():
    with pytest.raises(InputError, match="one vector per input"):
        check_streamable(build_encoder("ge2e"), "utterance")


def _noise_recording(path, minutes: float) -> None:
    """Seeded speech-like noise at 44.1 kHz, written block by block (never whole in memory)."""
    rng = np.random.default_rng(1)
    with sf.SoundFile(path, "w", 44100, 1, subtype="PCM_16") as out:
        for _ in range(int(minutes * 6)):
            envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * np.arange(441000) / 44100)
            out.write((0.1 * envelope * rng.standard_normal(441000)).astype(np.float32))


def _peak_traced_mb(path) -> float:
    """Peak numpy/Python memory while a recording is read, resampled, encoded and VAD-scored block by block."""
    tracemalloc.start()
    try:
        frames = sum(len(out["mfcc"].frames) for out in stream_frames(
            build_encoder("mfcc"), audio_blocks(path, 16000, block_s=5.0), ["mfcc"], context_s=1.0, piece_s=5.0))
        probabilities, _ = stream_speech_probabilities(audio_blocks(path, 16000, block_s=5.0))
        assert frames > 0 and len(probabilities) > 0
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_memory_of_a_long_generated_recording_stays_bounded(tmp_path):
    """Four times the audio costs no more memory: what is held is a block, not the recording
    (0.5 and 2 minutes at 44.1 kHz; the longer one is 21 MB as float32 samples)."""
    short, long = tmp_path / "short.wav", tmp_path / "long.wav"
    _noise_recording(short, 0.5)
    _noise_recording(long, 2)
    peak_short, peak_long = _peak_traced_mb(short), _peak_traced_mb(long)
    assert peak_long < 1.3 * peak_short + 1.0
    assert peak_long < 0.5 * (2 * 60 * 44100 * 4) / 2**20
