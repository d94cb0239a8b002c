import numpy as np
import pytest
from lhotse import SupervisionSegment

from codecprobe.errors import InputError
from codecprobe.verify.trials import generate_trials, read_trials, write_trials


def segment(id, speaker, recording=None):
    return SupervisionSegment(id=id, recording_id=recording or id, start=0.0, duration=1.0, speaker=speaker)


def test_read_voxceleb_trial_list(tmp_path):
    path = tmp_path / "trials.txt"
    path.write_text("# comment\n1 a/x/1.wav a/y/2.wav\n\n0 a/x/1.wav b/z/3.wav\n")
    trials = read_trials(path, known_ids={"a/x/1", "a/y/2", "b/z/3"})
    assert trials.enroll == ("a/x/1", "a/x/1")
    assert trials.test == ("a/y/2", "b/z/3")
    assert trials.labels.tolist() == [True, False]
    assert trials.segment_ids() == ["a/x/1", "a/y/2", "b/z/3"]


@pytest.mark.parametrize("line", ["1 a/x/1.wav", "2 a/x/1.wav a/y/2.wav", "yes a b", "1 a b c"])
def test_malformed_line_names_file_and_line(tmp_path, line):
    path = tmp_path / "trials.txt"
    path.write_text(f"1 a/x/1.wav a/y/2.wav\n{line}\n")
    with pytest.raises(InputError, match=r"trials.txt:2: expected 'label enroll test'"):
        read_trials(path)


def test_unknown_file_names_file_and_line(tmp_path):
    path = tmp_path / "trials.txt"
    path.write_text("1 a/x/1.wav a/y/2.wav\n0 a/x/1.wav c/q/9.wav\n")
    with pytest.raises(InputError, match=r"trials.txt:2: c/q/9.wav is not a segment"):
        read_trials(path, known_ids={"a/x/1", "a/y/2"})


def test_empty_or_missing_file_is_input_error(tmp_path):
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(InputError, match="empty.txt: no trials"):
        read_trials(tmp_path / "empty.txt")
    with pytest.raises(InputError, match="missing.txt: cannot read"):
        read_trials(tmp_path / "missing.txt")


def test_all_pairs_of_three_speakers_with_two_segments_each():
    segments = [segment(f"{s}{i}", s) for s in "abc" for i in range(2)]
    trials = generate_trials(segments)
    assert len(trials) == 15  # 6 choose 2
    assert trials.n_target == 3
    assert ("a0", "a1") in set(zip(trials.enroll, trials.test))


def test_exclude_same_recording_drops_exactly_those_pairs():
    segments = [segment("a0", "a", "r1"), segment("a1", "a", "r1"), segment("a2", "a", "r2"), segment("b0", "b", "r1")]
    trials = generate_trials(segments, exclude_same_recording=True)
    # pairs sharing r1: a0-a1, a0-b0, a1-b0 are dropped from the 6
    assert sorted(zip(trials.enroll, trials.test)) == [("a0", "a2"), ("a1", "a2"), ("a2", "b0")]


def test_balanced_sample_is_seeded_subset_of_all_pairs():
    segments = [segment(f"{s}{i}", s) for s in "abcd" for i in range(5)]
    every = set(zip(generate_trials(segments).enroll, generate_trials(segments).test))
    first = generate_trials(segments, max_per_class=20, seed=3)
    again = generate_trials(segments, max_per_class=20, seed=3)
    other = generate_trials(segments, max_per_class=20, seed=4)
    assert (first.n_target, len(first)) == (20, 40)
    assert set(zip(first.enroll, first.test)) <= every
    assert first.enroll == again.enroll and first.test == again.test
    assert first.enroll != other.enroll or first.test != other.test
    assert generate_trials(segments, max_per_class=1000).n_target == 40  # 4 * (5 choose 2), all there are


def test_write_then_read_round_trip(tmp_path):
    segments = [segment(f"{s}/{i}", s) for s in "ab" for i in range(3)]
    trials = generate_trials(segments)
    write_trials(trials, tmp_path / "t.txt")
    again = read_trials(tmp_path / "t.txt")
    assert again.enroll == trials.enroll and again.test == trials.test
    np.testing.assert_array_equal(again.labels, trials.labels)


def test_voxceleb_utterances_of_one_video_count_as_one_recording(tmp_path):
    """VoxCeleb files are separate recordings on disk but cut from one video: excluded together."""
    import soundfile as sf

    from codecprobe.data import load_corpus

    for path in ["id1/vidA/00001", "id1/vidA/00002", "id1/vidB/00001", "id2/vidC/00001"]:
        (tmp_path / "wav" / path).parent.mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / "wav" / f"{path}.wav", np.zeros(1600, np.float32), 16000)
    trials = generate_trials(load_corpus(tmp_path).segments(), exclude_same_recording=True)
    pairs = set(zip(trials.enroll, trials.test)) | set(zip(trials.test, trials.enroll))
    assert ("id1/vidA/00001", "id1/vidA/00002") not in pairs
    assert ("id1/vidA/00001", "id1/vidB/00001") in pairs
    assert len(trials) == 5
