"""Silero VAD helper: against Silero's own pipeline, a reference RTTM, and non-speech."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from codecprobe.audio import read_audio, resample
from codecprobe.audio import vad
from codecprobe.audio.vad import segments_to_frame_mask, speech_frame_mask, speech_probabilities, speech_segments
from codecprobe.threads import torch_threads


@pytest.fixture(scope="module")
def conversation(shared_data):
    """pyannote's 30 s two-speaker sample at 16 kHz and its reference speech regions (union of turns)."""
    folder = shared_data / "pyannote-sample"
    audio, rate = read_audio(folder / "sample.wav")
    turns = sorted(
        (float(fields[3]), float(fields[3]) + float(fields[4]))
        for fields in (line.split() for line in (folder / "sample.rttm").read_text().splitlines())
    )
    regions: list[tuple[float, float]] = []
    for start, end in turns:
        if regions and start <= regions[-1][1]:
            regions[-1] = (regions[-1][0], max(regions[-1][1], end))
        else:
            regions.append((start, end))
    return audio, rate, regions


def test_segments_equal_silero_get_speech_timestamps(conversation):
    audio = conversation[0][: 12 * 16000]  # 12 s: silence, then both speakers
    with torch_threads(1):  # Silero's own loop calls the model once per 32 ms window
        expected = vad._silero().get_speech_timestamps(torch.from_numpy(audio), vad._model(), sampling_rate=16000)

    assert speech_segments(audio, 16000) == [(s["start"] / 16000, s["end"] / 16000) for s in expected]


def test_mask_agrees_with_the_reference_rttm(conversation):
    # The reference has 4 speech regions, so 8 boundaries. Silero decides in 32 ms
    # windows, pads speech by 30 ms and waits 100 ms of silence before ending it, and
    # the annotators' boundaries are themselves uncertain by ~0.1 s: allowing each
    # boundary ~0.15 s of disagreement is 8 * 0.15 / 30 s = 4 %, so we ask for 95 %
    # frame agreement and speech fractions within 0.05. (Measured: 98.8 %, 0.751 vs 0.749.)
    audio, rate, regions = conversation
    n_frames = 3000  # 100 Hz
    reference_fraction = sum(end - start for start, end in regions) / 30.0

    mask = speech_frame_mask(audio, rate, 100.0, n_frames)

    assert mask.shape == (n_frames,) and mask.dtype == bool
    assert abs(mask.mean() - reference_fraction) < 0.05
    assert (mask == segments_to_frame_mask(regions, 100.0, n_frames)).mean() > 0.95
    assert not mask[: int(6.5 * 100)].any()  # nobody speaks before 6.69 s


def test_other_rates_are_resampled_to_16k(conversation):
    audio, _, _ = conversation
    at_16k = speech_frame_mask(audio, 16000, 100.0, 3000)

    at_8k = speech_frame_mask(resample(audio, 16000, 8000), 8000, 100.0, 3000)

    assert (at_8k == at_16k).mean() > 0.97


@pytest.mark.parametrize("level", [0.0, 0.01, 0.2])
def test_silence_and_white_noise_are_not_speech(level):
    noise = (level * np.random.default_rng(0).standard_normal(5 * 16000)).astype(np.float32)

    probs, frame_rate = speech_probabilities(noise, 16000)

    assert frame_rate == 31.25
    assert (probs < 0.5).mean() > 0.95
    assert speech_segments(noise, 16000) == []


@pytest.mark.parametrize(("samples", "windows"), [(0, 0), (1, 1), (512, 1), (513, 2), (16000, 32)])
def test_one_probability_per_started_512_sample_window(samples, windows):
    probs, _ = speech_probabilities(np.zeros(samples, np.float32), 16000)

    assert probs.shape == (windows,)
    assert ((probs >= 0) & (probs <= 1)).all()


@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        ([], [False] * 6),
        ([(0.0, 0.15), (0.42, 0.5)], [True, True, False, False, True, False]),  # 0.05 s of 0.1 s is half: speech
        ([(0.0, 0.149)], [True, False, False, False, False, False]),
        ([(0.55, 2.0)], [False, False, False, False, False, True]),  # frames stop at n_frames
    ],
)
def test_segments_to_frame_mask_covers_at_least_half_a_frame(segments, expected):
    np.testing.assert_array_equal(segments_to_frame_mask(segments, 10.0, 6), expected)


def test_importing_silero_does_not_leave_torch_on_one_thread():
    # silero_vad's model.py calls torch.set_num_threads(1) on import; run in a fresh
    # process, since this one may have imported it already.
    script = (
        "import numpy as np, torch; torch.set_num_threads(2)\n"
        "from codecprobe.audio.vad import speech_probabilities\n"
        "speech_probabilities(np.zeros(1024, np.float32), 16000)\n"
        "print(torch.get_num_threads())"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "2"
