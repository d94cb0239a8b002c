"""Long recordings through encoders block by block: the frames equal those of one whole pass."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from codecprobe.audio import read_audio
from codecprobe.audio.vad import speech_probabilities, stream_speech_probabilities
from codecprobe.diarize.long_audio import audio_blocks, check_streamable, encode_long
from codecprobe.encoders import BuildOptions, build_encoder
from codecprobe.errors import InputError


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
        np.testing.assert_allclose(pieces[tap].frames, whole[tap].frames, atol=1e-5)


def test_streamed_vad_equals_one_pass(stereo_44k):
    whole, _ = speech_probabilities(read_audio(stereo_44k)[0], 44100)
    streamed, n_samples = stream_speech_probabilities(audio_blocks(stereo_44k, 16000, block_s=1.1))
    assert n_samples == int(6.3 * 16000)
    np.testing.assert_array_equal(streamed, whole)


def test_one_vector_per_input_is_refused():
    with pytest.raises(InputError, match="one vector per input"):
        check_streamable(build_encoder("ge2e"), "utterance")
