"""The pyannote pipeline (segmentation-3.0 + CAM++): a known conversation, the speaker count, windows, config."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from codecprobe.cli.main import main
from codecprobe.diarize.clustering import SpeakerCount
from codecprobe.diarize.config import DiarizeConfig
from codecprobe.diarize.pyannote_pipeline import (FRAME_S, WINDOW_FRAMES, WINDOW_SAMPLES, PyannotePipeline,
                                                  SlidingWindows, decide, frame_samples)
from codecprobe.diarize.recordings import Recording
from codecprobe.errors import InputError
from codecprobe.models.pyannet import PyanNet, num_frames
from codecprobe.score import score
from tests.diarize.conversation import librispeech_utterances, write_conversation


@pytest.fixture(scope="module")
def analysed(shared_data, tmp_path_factory):
    """A 2-speaker conversation of real LibriSpeech utterances (a woman and a man, every other change
    overlapping by 2.5 s: the utterances end in quiet stretches), analysed once: segmentation and embeddings."""
    folder = tmp_path_factory.mktemp("conversation")
    path, reference = write_conversation(folder, librispeech_utterances(shared_data, ["1688", "533"], per_speaker=4),
                                         n_turns=6, overlap_s=2.5, seed=3)
    config = DiarizeConfig(pipeline="pyannote")
    recording = Recording("conversation", str(path), sf.info(path).duration)
    return config, recording, PyannotePipeline(config).analyse(recording, {}), reference


def test_a_known_two_speaker_conversation(analysed):
    config, recording, analysis, reference = analysed
    result = decide(config, recording, analysis, SpeakerCount(), {})
    der = score({"conversation": reference}, {"conversation": result.turns}).overall.der
    assert result.n_speakers == 2
    # no one confused, nothing heard that is not there; what is missed is mostly the pauses inside
    # each utterance, which the reference counts as speech (it spans each utterance whole)
    assert der.conf < 2.0 and der.fa < 2.0 and der.der < 30.0
    starts, ends = result.turns.start, result.turns.end
    overlapped = sum(max(0.0, min(ends[i], ends[j]) - max(starts[i], starts[j]))
                     for i in range(len(starts)) for j in range(i + 1, len(starts)))
    assert overlapped > 1.0  # overlap survives to the RTTM


def test_a_known_speaker_count_is_honoured(analysed):
    config, recording, analysis, _ = analysed
    assert decide(config, recording, analysis, SpeakerCount(num=1), {}).n_speakers == 1
    assert decide(config, recording, analysis, SpeakerCount(maximum=1), {}).n_speakers == 1


def test_windows_of_a_stream_are_those_of_the_whole_signal():
    signal = np.random.default_rng(0).standard_normal(int(23.3 * 16000)).astype(np.float32)
    step = 300  # frames: 81000 samples
    blocks = [signal[i:i + 7000] for i in range(0, len(signal), 7000)]
    windows = SlidingWindows(blocks, step)
    got = list(windows)
    frames = num_frames(len(signal))
    assert [start for start, _ in got] == [0, 300, 600, frames - WINDOW_FRAMES]
    for start, samples in got:
        first = start * PyanNet.frame_step
        np.testing.assert_array_equal(samples[:len(signal) - first], signal[first:first + WINDOW_SAMPLES])
    assert windows.total_samples == len(signal)
    # the last window's frames end on the last frame of the whole signal
    assert got[-1][0] + WINDOW_FRAMES == frames


def test_a_recording_shorter_than_a_window_is_one_padded_window():
    signal = np.ones(32000, np.float32)
    ((start, samples),) = SlidingWindows([signal[:20000], signal[20000:]], 100)
    assert start == 0 and len(samples) == WINDOW_SAMPLES
    assert samples[:32000].all() and not samples[32000:].any()
    assert list(SlidingWindows([np.ones(990, np.float32)], 100)) == []  # shorter than one frame


def test_frames_to_samples():
    mask = np.zeros(WINDOW_FRAMES, bool)
    mask[[0, 1, 10]] = True
    index = frame_samples(mask, WINDOW_SAMPLES)
    assert len(index) == 3 * PyanNet.frame_step and len(np.unique(index)) == len(index)
    centres = PyanNet.first_centre + PyanNet.frame_step * np.array([0, 1, 10])
    assert all(np.any(index == c) for c in centres)  # each frame's samples hold its centre
    assert FRAME_S == pytest.approx(270 / 16000)


@pytest.mark.parametrize("override,message", [
    ("pyannote.step_s=0", "pyannote.step_s"),
    ("pyannote.min_solo_s=-1", "min_solo_s"),
    ("pyannote.clustering.threshold=0", "clustering.threshold: must be positive"),
])
def test_bad_settings_are_one_line_errors(tmp_path, capsys, override, message):
    speech = tmp_path / "speech.wav"
    sf.write(speech, np.zeros(1600, np.float32), 16000)
    argv = ["diarize", str(speech), "--pipeline", "pyannote", "--set", override, "--out", str(tmp_path / "out"), "--quiet"]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error and len(error.strip().splitlines()) == 1


def test_the_default_pipeline_is_pyannote_unless_a_model_is_given():
    assert DiarizeConfig().pipeline == "pyannote"
    assert DiarizeConfig(model="adapter.ckpt").pipeline == "adapter"
    with pytest.raises(InputError, match="adapter pipeline's"):
        DiarizeConfig(pipeline="pyannote", model="adapter.ckpt")
