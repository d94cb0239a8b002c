"""Reference activity on the grid and per-window targets, on hand-made turns."""
import numpy as np

from codecprobe.data import Turns
from codecprobe.train.labels import frame_activity, window_targets


def spans(*items) -> Turns:
    """Turns of recording "r" from ``(start, end, speaker)``."""
    return Turns.build("r", [a for a, _, _ in items], [b - a for a, b, _ in items], [s for _, _, s in items])


def test_a_frame_is_active_when_at_least_half_of_it_is_spoken():
    # 10 Hz grid; ann speaks 0.05-0.25 s (frames 0 half, 1 full, 2 half); bob 0.26-0.34 (frame 2: 0.04 of 0.1)
    activity = frame_activity("r", spans((0.05, 0.25, "ann"), (0.26, 0.34, "bob"), (0.3, 0.36, "bob")), 4, 10.0)
    assert activity.speakers == ["ann", "bob"]
    assert activity.activity.T.tolist() == [[1, 1, 1, 0], [0, 0, 0, 1]]  # bob's merged 0.26-0.36: frame 3 0.06


def test_speakers_are_ordered_by_arrival_not_by_name():
    activity = frame_activity("r", spans((2.0, 3.0, "aaron"), (0.5, 1.0, "zoe"), (1.0, 1.5, "mia")), 40, 12.5)
    assert activity.speakers == ["zoe", "mia", "aaron"]


def test_window_targets_keep_the_most_active_speakers_in_order_of_arrival_in_the_window():
    activity = np.zeros((20, 4), dtype=np.uint8)
    activity[0:3, 0] = 1    # before the window
    activity[12:20, 1] = 1  # arrives last in the window, most active
    activity[6:9, 2] = 1    # arrives first
    activity[10:11, 3] = 1  # least active: dropped with 2 slots
    targets, dropped = window_targets(activity, 5, 15, slots=2)
    assert dropped == 1
    assert np.array_equal(targets[:, 0], activity[5:20, 2]) and np.array_equal(targets[:, 1], activity[5:20, 1])


def test_window_targets_are_zero_past_the_end():
    activity = np.ones((4, 1), dtype=np.uint8)
    targets, dropped = window_targets(activity, 2, 5, slots=3)
    assert targets.tolist() == [[1, 0, 0], [1, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]] and dropped == 0
