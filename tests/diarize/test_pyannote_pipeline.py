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


def _back_to_back(shared_data, first: str, second: str, seconds: float = 4.0) -> np.ndarray:
    """``seconds`` of a LibriSpeech utterance of ``first`` straight after ``seconds`` of one of ``second`` (the
    next one when it is the same speaker), each from its first loud sample on, no pause: the first utterances
    that last that long."""
    files = librispeech_utterances(shared_data, sorted({first, second}), per_speaker=6)
    n = int(seconds * 16000)
    long_enough = {speaker: [] for speaker in files}
    for speaker, paths in files.items():
        for path in paths:
            audio, _ = read_audio(path, target_rate=16000)
            audio = audio[np.argmax(np.abs(audio) > 0.01 * np.abs(audio).max()):]
            if len(audio) >= n:
                long_enough[speaker].append(audio[:n])
    return np.concatenate([long_enough[first][0], long_enough[second][int(first == second)]]).astype(np.float32)


def _one_local_speaker(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 10 s window of ``audio`` (zero-padded) and its hard local speakers: the first one speaks on every
    frame that lies inside ``audio``, as segmentation-3.0 sometimes hears two consecutive speakers."""
    samples = np.zeros(WINDOW_SAMPLES, np.float32)
    samples[:len(audio)] = audio
    on = np.zeros((WINDOW_FRAMES, 3), bool)
    on[:num_frames(len(audio)), 0] = True
    return samples, on


@pytest.fixture(scope="module")
def pipeline():
    return PyannotePipeline(DiarizeConfig(pipeline="pyannote"))


@pytest.mark.parametrize("first, second", [("1688", "533"), ("1688", "2033")])  # a man, then a woman or a man
def test_two_voices_in_one_local_speaker_are_split_where_the_voice_changes(shared_data, pipeline, first, second):
    audio = _back_to_back(shared_data, first, second)
    samples, on = _one_local_speaker(audio)
    embeddings, splits = pipeline.embed_window(samples, on)
    threshold = pipeline.config.pyannote.split_threshold
    assert splits.statistic[0, 0] > threshold and np.isnan(splits.statistic[0, 1:]).all()
    # the later part starts near 4 s (frame i starts at sample 360 + 270 i): the cut falls halfway between two
    # pieces, so a change inside the piece next to it is missed by up to a piece and half the gap (< 1.5 pieces)
    error = abs((360 + 270 * splits.frame[0, 0]) / 16000 - 4.0)
    assert error < 1.5 * pipeline.config.pyannote.split_piece_s
    # the two parts' own embeddings are two voices' (same-voice crops of 4 s lie at cosine similarity ~0.7)
    earlier, later = splits.embeddings[0, 0] / np.linalg.norm(splits.embeddings[0, 0], axis=1, keepdims=True)
    assert earlier @ later < 0.5

    recording = Recording("back-to-back", "unused.wav", len(audio) / 16000)
    reference = Turns.build(recording.id, [0.0, 4.0], [4.0, 4.0], [first, second])
    analysis = PyannoteAnalysis(on[None], np.array([0]), num_frames(len(audio)), embeddings[None], splits)
    unchecked = dataclasses.replace(pipeline.config.pyannote, split_threshold=None)
    results = {name: decide(config, recording, analysis, SpeakerCount(), {}) for name, config in
               (("checked", pipeline.config), ("unchecked", dataclasses.replace(pipeline.config, pyannote=unchecked)))}
    assert results["unchecked"].n_speakers == 1 and results["checked"].n_speakers == 2
    confusion = {name: 100 * score({recording.id: reference}, {recording.id: result.turns}).overall.der.conf / 8.0
                 for name, result in results.items()}
    assert confusion["unchecked"] > 45.0  # one of the two voices is all confused
    assert confusion["checked"] < 100 * (error + 0.2) / 8.0  # only between the change and the cut


def test_one_voice_in_one_local_speaker_is_checked_and_kept_whole(shared_data, pipeline):
    samples, on = _one_local_speaker(_back_to_back(shared_data, "1688", "1688"))
    _, splits = pipeline.embed_window(samples, on)
    assert 0 < splits.statistic[0, 0] < pipeline.config.pyannote.split_threshold
    assert np.isnan(splits.embeddings).all()  # not split, so its parts were not embedded


def test_one_voice_split_by_a_low_threshold_stays_one_speaker(shared_data, pipeline):
    # the two parts of a split never speak at once, so they may share a global speaker: a false split costs
    # nothing when the clustering finds the two parts one voice (4 s crops of one voice lie ~0.77 apart, under
    # the clustering's 0.85)
    audio = _back_to_back(shared_data, "1688", "1688")
    samples, on = _one_local_speaker(audio)
    low = dataclasses.replace(pipeline.config, pyannote=dataclasses.replace(pipeline.config.pyannote,
                                                                            split_threshold=0.1))
    embeddings, splits = PyannotePipeline(low).embed_window(samples, on)
    assert splits.statistic[0, 0] > 0.1 and not np.isnan(splits.embeddings[0, 0]).any()  # split
    recording = Recording("one-voice", "unused.wav", len(audio) / 16000)
    analysis = PyannoteAnalysis(on[None], np.array([0]), num_frames(len(audio)), embeddings[None], splits)
    result = decide(low, recording, analysis, SpeakerCount(), {})
    assert result.n_speakers == 1
    reference = Turns.build(recording.id, [0.0], [8.0], ["1688"])
    assert score({recording.id: reference}, {recording.id: result.turns}).overall.der.conf == 0.0


def test_without_the_check_or_with_a_threshold_nothing_passes_the_pipeline_is_unchanged(analysed):
    config, recording, checked, _ = analysed  # analysed with the check on (the default)
    unchecked_config = dataclasses.replace(config, pyannote=dataclasses.replace(config.pyannote, split_threshold=None))
    unchecked = PyannotePipeline(unchecked_config).analyse(recording, {})
    assert np.isnan(unchecked.splits.statistic).all() and not np.isnan(checked.splits.statistic).all()
    # the pieces' embeddings leave the local speakers' own untouched
    np.testing.assert_array_equal(checked.on, unchecked.on)
    np.testing.assert_array_equal(checked.embeddings, unchecked.embeddings)
    above_all = float(np.nanmax(checked.splits.statistic)) + 1.0
    never = dataclasses.replace(config, pyannote=dataclasses.replace(config.pyannote, split_threshold=above_all))
    without = decide(unchecked_config, recording, unchecked, SpeakerCount(), {})
    passed = decide(never, recording, checked, SpeakerCount(), {})
    for field in ("start", "duration", "code"):
        np.testing.assert_array_equal(getattr(without.turns, field), getattr(passed.turns, field))


def test_a_split_local_speaker_becomes_two_with_their_own_embeddings():
    on = np.zeros((2, 10, 3), bool)
    on[0, 1:9, 0] = on[0, 4:6, 1] = on[1, 2:5, 2] = True
    embeddings = np.full((2, 3, 4), np.nan)
    embeddings[0, :2], embeddings[1, 2] = np.eye(4)[:2], np.eye(4)[2]
    splits = Splits.none(2)
    splits.statistic[0, 0], splits.frame[0, 0] = 1.0, 5
    splits.statistic[1, 2], splits.frame[1, 2] = 0.5, 3  # checked, not above the analysis' threshold: no parts
    splits.embeddings = np.full((2, 3, 2, 4), np.nan)
    splits.embeddings[0, 0] = [[0.6, 0.8, 0, 0], [0, 0, 0, 1]]
    analysis = PyannoteAnalysis(on, np.array([0, 10]), 20, embeddings, splits)
    got_on, got_embeddings, groups = split_local_speakers(analysis, 0.9)
    assert got_on.shape == (2, 10, 4) and got_embeddings.shape == (2, 4, 4)
    assert np.flatnonzero(got_on[0, :, 0]).tolist() == [1, 2, 3, 4]
    assert np.flatnonzero(got_on[0, :, 3]).tolist() == [5, 6, 7, 8]
    np.testing.assert_array_equal(got_on[:, :, :3].sum(axis=2) + got_on[:, :, 3], on.sum(axis=2))  # frames kept
    np.testing.assert_array_equal(got_embeddings[0, [0, 3]], splits.embeddings[0, 0])
    np.testing.assert_array_equal(got_embeddings[0, 1], embeddings[0, 1])
    np.testing.assert_array_equal(got_on[1, :, :3], on[1])
    assert np.isnan(got_embeddings[1, 3]).all() and not got_on[1, :, 3].any()
    assert groups.tolist() == [[0, 1, 2, 0], [0, 1, 2, 3]]  # the later part is the first window's speaker 0's
    # a threshold below 0.5 splits no more: the second window's parts were never embedded
    np.testing.assert_array_equal(split_local_speakers(analysis, 0.1)[0], got_on)
    for threshold in (1.0, None):  # not above the threshold, or no check: unchanged
        same_on, same_embeddings, same_groups = split_local_speakers(analysis, threshold)
        assert same_on is on and same_embeddings is embeddings and same_groups.tolist() == [[0, 1, 2]] * 2


def test_the_best_split_has_the_largest_between_part_sum_of_squares_and_enough_pieces_on_each_side():
    a, b = np.eye(3)[:2]
    # [a, a, a, b, b]: the best split is before the first b; means a and b, |a - b|^2 = 2, weight 3 * 2 / 5
    statistic, later = best_split(np.stack([a, a, a, b, b]))
    assert later == 3 and statistic == pytest.approx(2.4, rel=1e-12)
    # [a, a, b, a + b]: only the split after two pieces leaves two on each side; the means are a and
    # (b + unit(a + b)) / 2, weight 2 * 2 / 4
    tail = (b + (a + b) / np.sqrt(2)) / 2
    statistic, later = best_split(np.stack([a, a, b, a + b]))
    assert later == 2 and statistic == pytest.approx(np.sum((a - tail) ** 2), rel=1e-12)
    # one odd piece first is too few to split off: the best allowed split keeps it with the others
    assert best_split(np.vstack([b, a, a, a, a]))[1] == SPLIT_MIN_PIECES
    rng = np.random.default_rng(0)
    voices = np.repeat(np.eye(8)[:2], [3, 4], axis=0) + 0.1 * rng.standard_normal((7, 8))
    assert best_split(voices)[1] == 3


def test_the_best_split_weighs_the_parts_sizes_where_the_means_distance_alone_would_not():
    # four pieces of voice a, then four of voice b whose first two still sound partly like a: the means'
    # distance alone is largest with those two in the earlier part (the later part is then purest), the
    # weighed sum where the voice changes
    a, b = np.eye(3)[:2]
    near = (a + b) / np.sqrt(2)
    pieces = np.stack([a, a, a, a, near, near, b, b])
    means = {k: (pieces[:k].mean(axis=0), pieces[k:].mean(axis=0)) for k in (4, 5, 6)}
    distance = {k: np.linalg.norm(earlier / np.linalg.norm(earlier) - later / np.linalg.norm(later))
                for k, (earlier, later) in means.items()}
    assert max(distance, key=distance.get) == 6
    assert best_split(pieces)[1] == 4


def test_pieces_are_spread_evenly_and_end_on_the_end():
    starts = piece_starts(50, 16)
    assert starts.tolist() == [0, 17, 34] and starts[-1] + 16 == 50
    assert piece_starts(64, 16).tolist() == [0, 16, 32, 48]  # a whole number of pieces: back to back
