"""Aggregation of overlapping windows onto the frame grid, on hand-made activity with known answers."""
from __future__ import annotations

import numpy as np
import pytest

from codecprobe.diarize.aggregation import (apply_min_durations, hysteresis, overlap_add, reconstruct,
                                            speaker_count, to_turns)


def test_overlap_add_is_exact_on_hand_made_windows():
    # three windows of 4 frames, step 2, over a 9-frame grid; 2 local speakers each
    activity = np.array([
        [[0.8, 0.0], [0.6, 0.2], [0.4, 0.4], [0.2, 0.6]],
        [[0.9, 0.1], [0.7, 0.3], [0.5, 0.5], [0.3, 0.7]],
        [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]],
    ])
    starts = np.array([0, 2, 4])
    # window 1's local speakers are swapped relative to the global ones; window 2's second is unassigned
    assignment = np.array([[0, 1], [1, 0], [0, -1]])
    got = overlap_add(activity, starts, assignment, n_frames=9, n_speakers=2)
    expected = np.array([
        [0.8, 0.0],                      # frame 0: window 0 only
        [0.6, 0.2],
        [(0.4 + 0.1) / 2, (0.4 + 0.9) / 2],  # frame 2: windows 0 and 1 (1 swapped)
        [(0.2 + 0.3) / 2, (0.6 + 0.7) / 2],
        [(0.5 + 1.0) / 2, 0.5 / 2],      # frame 4: windows 1 and 2 (2's second local speaker dropped)
        [(0.7 + 1.0) / 2, 0.3 / 2],
        [0.0, 0.0],                      # frame 6: window 2 only, its active local speaker unassigned
        [0.0, 0.0],
        [0.0, 0.0],                      # frame 8: no window
    ])
    np.testing.assert_allclose(got, expected)


def test_overlap_add_matches_a_loop_on_random_windows_and_clips_the_grid_end():
    rng = np.random.default_rng(0)
    activity = rng.random((50, 7, 3))
    starts = np.sort(rng.integers(0, 60, 50))
    assignment = rng.integers(-1, 4, (50, 3))
    total, covered = np.zeros((62, 4)), np.zeros(62)
    for a, s, g in zip(activity, starts, assignment):
        for f in range(7):
            if s + f < 62:
                covered[s + f] += 1
                for k in range(3):
                    if g[k] >= 0:
                        total[s + f, g[k]] += a[f, k]
    np.testing.assert_allclose(overlap_add(activity, starts, assignment, 62, 4),
                               total / np.maximum(covered, 1)[:, None])


def test_speaker_count_is_the_rounded_mean_of_local_counts():
    on = np.zeros((3, 4, 3), bool)
    on[0, :, 0] = True               # window 0: one speaker throughout
    on[1, :2, :2] = True             # window 1: two speakers on its first half
    on[2, :, :] = True               # window 2: three speakers
    count = speaker_count(on, np.array([0, 2, 4]), n_frames=9)
    # frame 2: (1 + 2) / 2 = 1.5 -> 2 (half to even); frame 4: (0 + 3) / 2 = 1.5 -> 2; frame 5 same
    # frame 3: (1 + 2) / 2 -> 2; frame 6, 7: 3; frame 8: no window -> 0
    assert count.tolist() == [1, 1, 2, 2, 2, 2, 3, 3, 0]


def test_reconstruct_keeps_the_count_most_active_and_keeps_overlap():
    activity = np.array([[0.2, 0.9, 0.5], [0.2, 0.9, 0.5], [0.0, 0.0, 0.0], [0.3, 0.1, 0.0]])
    on = reconstruct(activity, np.array([1, 2, 1, 3]))
    assert on.astype(int).tolist() == [[0, 1, 0], [0, 1, 1], [0, 0, 0], [1, 1, 0]]


def _hysteresis_loop(scores, onset, offset):
    """pyannote's Binarize, one frame at a time."""
    state, out = False, []
    for value in scores:
        if state and value < offset:
            state = False
        elif not state and value > onset:
            state = True
        out.append(state)
    return np.array(out)


@pytest.mark.parametrize("onset,offset", [(0.5, 0.5), (0.6, 0.3), (0.7, 0.5)])
def test_hysteresis_matches_a_state_machine(onset, offset):
    scores = np.random.default_rng(1).random((300, 4))
    got = hysteresis(scores, onset, offset)
    for column in range(4):
        np.testing.assert_array_equal(got[:, column], _hysteresis_loop(scores[:, column], onset, offset))
    windowed = hysteresis(scores.T.reshape(2, 2, 300).transpose(0, 2, 1), onset, offset, axis=1)
    np.testing.assert_array_equal(windowed.transpose(0, 2, 1).reshape(4, 300).T, got)
    with pytest.raises(ValueError):
        hysteresis(scores, onset=0.3, offset=0.6)


def test_min_durations_fill_gaps_then_drop_short_turns():
    frames = np.array([1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1], bool)[:, None]
    # 0.1 s frames: the one-frame gap is filled (< 0.15 s), the three-frame gap stays; then the lone
    # frame at 9 (a 0.1 s turn) is dropped (< 0.2 s)
    got = apply_min_durations(frames, 0.1, min_on_s=0.2, min_off_s=0.15)[:, 0].astype(int)
    assert got.tolist() == [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert (apply_min_durations(frames, 0.1, 0.0, 0.0) == frames).all()


def test_turns_keep_overlap_and_are_sorted():
    on = np.array([[1, 0], [1, 1], [1, 1], [0, 1], [0, 0], [1, 0]], bool)
    turns = to_turns(on, 0.5, "rec", ["A", "B"])
    assert [(t.speaker, t.start, t.end) for t in turns] == [("A", 0.0, 1.5), ("B", 0.5, 2.0), ("A", 2.5, 3.0)]
