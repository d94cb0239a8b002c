"""Reference speaker activity on the frame grid, per recording and per training window.

A frame ``j`` of the grid covers ``[j / rate, (j + 1) / rate)``; a speaker is active in it
when their turns (own overlaps merged) cover at least half of it. Columns are speakers
ordered by arrival (first onset; ties by name), the order the sort loss trains the
output slots to follow.

A training window sees at most ``S`` speakers (the adapter's outputs): the speakers
active in the window, the ``S`` most active kept if there are more, then ordered by
their first active frame in the window.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codecprobe.data.turns import Turns
from codecprobe.data.uem import merge_regions


@dataclass
class RecordingActivity:
    """``activity[j, k]`` (uint8): speaker ``speakers[k]`` active in frame j."""

    recording_id: str
    speakers: list[str]
    activity: np.ndarray


def frame_activity(recording_id: str, turns: Turns, n_frames: int, rate: float) -> RecordingActivity:
    """Activity of each speaker of ``turns`` on the grid.

    >>> turns = Turns.build("r", [0.0, 0.1, 0.3], [0.2, 0.25, 0.1], ["bob", "ann", "bob"])
    >>> a = frame_activity("r", turns, 4, 10.0)
    >>> a.speakers, a.activity.T.tolist()
    (['bob', 'ann'], [[1, 1, 0, 1], [0, 1, 1, 1]])
    """
    by_speaker: dict[str, list[tuple[float, float]]] = {}
    for turn in turns:
        if turn.end > turn.start:
            by_speaker.setdefault(turn.speaker, []).append((turn.start, turn.end))
    regions = {speaker: merge_regions(np.array(spans)) for speaker, spans in by_speaker.items()}
    speakers = sorted(regions, key=lambda speaker: (regions[speaker][0, 0], speaker))
    edges = np.arange(n_frames + 1) / rate
    activity = np.zeros((n_frames, len(speakers)), dtype=np.uint8)
    for k, speaker in enumerate(speakers):
        spoken = _time_covered(edges, regions[speaker])
        activity[:, k] = np.diff(spoken) >= 0.5 / rate - 1e-9
    return RecordingActivity(recording_id, speakers, activity)


def _time_covered(times: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Seconds of the sorted, disjoint ``regions`` before each of ``times``."""
    starts, ends = regions[:, 0], regions[:, 1]
    before = np.concatenate([[0.0], np.cumsum(ends - starts)])
    index = np.searchsorted(starts, times, side="right") - 1  # the last region starting at or before t
    inside = np.clip(times - starts[np.maximum(index, 0)], 0, (ends - starts)[np.maximum(index, 0)])
    return np.where(index >= 0, before[np.maximum(index, 0)] + inside, 0.0)


def window_targets(activity: np.ndarray, start: int, length: int, slots: int) -> tuple[np.ndarray, int]:
    """``[length, slots]`` float32 targets of a window (zero past the recording's end) and how many
    active speakers did not fit in the slots.

    >>> act = np.array([[0, 1, 0], [1, 1, 0], [1, 0, 1]], dtype=np.uint8)   # frames x speakers
    >>> targets, dropped = window_targets(act, 1, 3, slots=2)
    >>> targets.T.tolist(), dropped                                       # 'speaker 0' most active; then 1
    ([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]], 1)
    """
    piece = activity[start: start + length]
    counts = piece.sum(axis=0)
    active = np.flatnonzero(counts)
    kept = active[np.argsort(-counts[active], kind="stable")][:slots]
    first = piece[:, kept].argmax(axis=0)
    order = kept[np.lexsort((kept, first))]
    targets = np.zeros((length, slots), dtype=np.float32)
    targets[: len(piece), : len(order)] = piece[:, order]
    return targets, len(active) - len(kept)
