"""The pyannote pipeline (segmentation-3.0 + CAM++): a known conversation, the speaker count, windows, the
change-of-voice check inside a local speaker, config."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import soundfile as sf

from codecprobe.cli.main import main
from codecprobe.diarize.clustering import SpeakerCount
from codecprobe.diarize.config import DiarizeConfig
from codecprobe.audio import read_audio
from codecprobe.data import Turns
from codecprobe.diarize.pyannote_pipeline import (FRAME_S, SPLIT_MIN_PIECES, WINDOW_FRAMES, WINDOW_SAMPLES,
                                                  PyannoteAnalysis, PyannotePipeline, SlidingWindows, Splits,
                                                  best_split, decide, frame_samples, piece_starts,
                                                  split_local_speakers)
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
    ("pyannote.split_threshold=0", "pyannote.split_threshold"),
    ("pyannote.split_piece_s=0", "split_piece_s"),
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


def _back_to_back(shared_data, folder, first: str, second: str, seconds: float = 4.0):
    """One 8 s window: ``seconds`` of a LibriSpeech utterance of ``first`` straight after ``seconds`` of one of
    ``second`` (the next utterance when it is the same speaker), each from its first loud sample, no pause."""
    files = librispeech_utterances(shared_data, sorted({first, second}), per_speaker=2)
    clips = []
    for file in (files[first][0], files[second][int(first == second)]):
        audio, _ = read_audio(file, target_rate=16000)
        clips.append(audio[np.argmax(np.abs(audio) > 0.01 * np.abs(audio).max()):][:int(seconds * 16000)])
    path = folder / f"{first}-{second}.wav"
    sf.write(path, np.concatenate(clips), 16000)
    recording = Recording(path.stem, str(path), 2 * seconds)
    return recording, Turns.build(path.stem, [0.0, seconds], [seconds, seconds], [f"1-{first}", f"2-{second}"])


@pytest.fixture(scope="module")
def pipeline():
    return PyannotePipeline(DiarizeConfig(pipeline="pyannote"))


def test_two_voices_back_to_back_in_one_local_speaker_are_split(shared_data, tmp_path, pipeline):
    recording, reference = _back_to_back(shared_data, tmp_path, "1688", "533")
    analysis = pipeline.analyse(recording, {})
    # segmentation-3.0 gives both voices one local speaker: it speaks in the first and the last 3 s
    assert len(analysis.on) == 1
    covers = analysis.on[0, :int(3 / FRAME_S)].any(axis=0) & analysis.on[0, -int(3 / FRAME_S):].any(axis=0)
    assert covers.sum() == 1
    unchecked = dataclasses.replace(pipeline.config.pyannote, split_threshold=None)
    without = decide(dataclasses.replace(pipeline.config, pyannote=unchecked), recording, analysis, SpeakerCount(), {})
    assert without.n_speakers == 1
    result = decide(pipeline.config, recording, analysis, SpeakerCount(), {})
    assert result.n_speakers == 2

    def der(turns):
        return score({recording.id: reference}, {recording.id: turns}).overall.der

    assert der(without.turns).conf > 40.0
    assert der(result.turns).conf < 12.0  # the change is placed within ~0.5 s of 4 s (a 1 s piece's resolution)


def test_one_voice_back_to_back_is_not_split(shared_data, tmp_path, pipeline):
    recording, _ = _back_to_back(shared_data, tmp_path, "1688", "1688")
    analysis = pipeline.analyse(recording, {})
    assert np.nanmax(analysis.splits.distance) > 0  # it was checked ...
    assert decide(pipeline.config, recording, analysis, SpeakerCount(), {}).n_speakers == 1  # ... and kept whole


def test_a_split_local_speaker_becomes_two_with_their_own_embeddings():
    on = np.zeros((2, 10, 3), bool)
    on[0, 1:9, 0] = on[0, 4:6, 1] = on[1, 2:5, 2] = True
    embeddings = np.full((2, 3, 4), np.nan)
    embeddings[0, :2], embeddings[1, 2] = np.eye(4)[:2], np.eye(4)[2]
    splits = Splits.none(2)
    splits.distance[0, 0], splits.frame[0, 0] = 1.0, 5
    splits.embeddings = np.zeros((2, 3, 2, 4))
    splits.embeddings[0, 0] = [[0.6, 0.8, 0, 0], [0, 0, 0, 1]]
    analysis = PyannoteAnalysis(on, np.array([0, 10]), 20, embeddings, splits)
    got_on, got_embeddings = split_local_speakers(analysis, 0.9)
    assert got_on.shape == (2, 10, 4) and got_embeddings.shape == (2, 4, 4)
    assert np.flatnonzero(got_on[0, :, 0]).tolist() == [1, 2, 3, 4]
    assert np.flatnonzero(got_on[0, :, 3]).tolist() == [5, 6, 7, 8]
    np.testing.assert_array_equal(got_on[:, :, :3].sum(axis=2) + got_on[:, :, 3], on.sum(axis=2))  # frames kept
    np.testing.assert_array_equal(got_embeddings[0, [0, 3]], splits.embeddings[0, 0])
    np.testing.assert_array_equal(got_embeddings[0, 1], embeddings[0, 1])
    assert np.isnan(got_embeddings[1, 3]).all() and not got_on[1, :, 3].any()
    for threshold in (1.0, None):  # not farther apart than the threshold, or no check: unchanged
        same_on, same_embeddings = split_local_speakers(analysis, threshold)
        assert same_on is on and same_embeddings is embeddings


def test_the_farthest_split_has_enough_pieces_on_each_side():
    rng = np.random.default_rng(0)
    voices = np.repeat(np.eye(8)[:2], [3, 4], axis=0) + 0.1 * rng.standard_normal((7, 8))
    distance, later, means = best_split(voices)
    assert later == 3 and distance > 1.2
    np.testing.assert_allclose(np.linalg.norm(means, axis=1), 1.0, rtol=1e-6)
    lone = np.vstack([np.eye(8)[1], np.repeat(np.eye(8)[:1], 4, axis=0)])  # one odd piece first: too few to split off
    assert best_split(lone)[1] == SPLIT_MIN_PIECES
    starts = piece_starts(50, 16)
    assert starts.tolist() == [0, 17, 34] and starts[-1] + 16 == 50
