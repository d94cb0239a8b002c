"""Windows of local speaker activity back onto one frame grid, then to speaker turns.

Inference slides a window over the recording. In each window a model (or the classic
baseline) says how active each of its S *local* speakers is on every frame, and
:mod:`~codecprobe.diarize.assignment` says which global speaker each local one is. This
module does the rest, as pyannote.audio's ``SpeakerDiarization`` pipeline does
(``speaker_count``, ``reconstruct``, ``to_diarization``):

1. :func:`hysteresis`: activity scores to on/off with an onset and an offset threshold;
2. :func:`speaker_count`: how many speakers talk on each frame, the rounded mean, over
   the windows covering the frame, of the number of local speakers on;
3. :func:`overlap_add`: each global speaker's activity per frame, the mean over the
   windows covering the frame of the activity of the local speaker assigned to it;
4. :func:`reconstruct`: on each frame, the ``count`` global speakers with the highest
   activity (two speakers on one frame stay two: overlap survives to the RTTM);
5. :func:`apply_min_durations`: fill short gaps, then drop short turns;
6. :func:`to_turns`: runs of frames to RTTM turns.

Frame ``t`` of the grid covers ``[t * frame_s, (t + 1) * frame_s)``. A window that starts
at grid frame ``s`` and has ``F`` frames covers grid frames ``s .. s + F - 1``; frames past
the end of the grid are ignored. Arrays are ``[frames, speakers]``; nothing grows with
the square of the number of windows, and long grids are processed in row blocks.
"""
from __future__ import annotations

import numpy as np

from codecprobe.data.turns import Turns

_ROWS_PER_BLOCK = 1 << 16  # bounds the temporary arrays of the per-frame steps


def hysteresis(scores: np.ndarray, onset: float, offset: float, axis: int = 0) -> np.ndarray:
    """On/off along ``axis``: off until a score exceeds ``onset``, then on until one falls below ``offset``.

    Scores between the two thresholds keep the previous state (pyannote's ``Binarize``);
    the first frame starts from off. ``offset`` must not exceed ``onset``.

    >>> hysteresis(np.array([0.2, 0.6, 0.45, 0.3, 0.45, 0.7]), onset=0.5, offset=0.4).astype(int)
    array([0, 1, 1, 0, 0, 1])
    """
    if offset > onset:
        raise ValueError(f"the offset threshold ({offset}) must not exceed the onset threshold ({onset})")
    scores = np.moveaxis(np.asarray(scores), axis, 0)
    event = np.where(scores > onset, 1, np.where(scores < offset, -1, 0)).astype(np.int8)
    index = np.arange(len(scores)).reshape((-1,) + (1,) * (scores.ndim - 1))
    last_event = np.maximum.accumulate(np.where(event != 0, index, -1), axis=0)
    state = np.take_along_axis(event, np.maximum(last_event, 0), axis=0) > 0
    return np.moveaxis(state & (last_event >= 0), 0, axis)


def overlap_add(activity: np.ndarray, starts: np.ndarray, assignment: np.ndarray, n_frames: int,
                n_speakers: int) -> np.ndarray:
    """Mean activity of each global speaker per frame over the windows covering that frame.

    activity: ``[windows, F, S]`` local activity; starts: ``[windows]`` first grid frame of
    each window; assignment: ``[windows, S]`` global speaker of each local speaker, -1 for
    none. Returns ``[n_frames, n_speakers]``: the sum of the assigned local activities
    divided by the number of windows covering the frame (0 where no window does).

    >>> activity = np.array([[[1.0], [1.0]], [[0.0], [1.0]]])  # two windows of 2 frames, 1 local speaker
    >>> overlap_add(activity, np.array([0, 1]), np.array([[0], [0]]), n_frames=3, n_speakers=1)[:, 0]
    array([1. , 0.5, 1. ])
    """
    total, covered = _window_sums(activity, starts, assignment, n_frames, n_speakers)
    total /= np.maximum(covered, 1)[:, None]
    return total


def speaker_count(local_on: np.ndarray, starts: np.ndarray, n_frames: int) -> np.ndarray:
    """Speakers per frame: the rounded mean, over the windows covering it, of the local speakers on.

    ``local_on`` is ``[windows, F, S]`` boolean; frames no window covers count 0.
    Rounding is numpy's (half to even), as pyannote's ``np.rint``.

    >>> on = np.array([[[1, 1], [1, 0]], [[1, 0], [0, 0]]], dtype=bool)
    >>> speaker_count(on, np.array([0, 1]), n_frames=3)
    array([2, 1, 0])
    """
    counts = local_on.sum(axis=2, keepdims=True).astype(np.float64)  # [windows, F, 1]
    same_column = np.zeros((len(starts), 1), dtype=np.int64)
    total, covered = _window_sums(counts, starts, same_column, n_frames, 1)
    return np.rint(total[:, 0] / np.maximum(covered, 1)).astype(np.int64)


def reconstruct(activity: np.ndarray, count: np.ndarray) -> np.ndarray:
    """On each frame, the ``count[t]`` speakers with the highest activity (ties: lower index), if active at all.

    >>> reconstruct(np.array([[0.9, 0.2, 0.4], [0.1, 0.0, 0.3], [0.0, 0.0, 0.0]]), np.array([2, 1, 1])).astype(int)
    array([[1, 0, 1],
           [0, 0, 1],
           [0, 0, 0]])
    """
    on = np.zeros(activity.shape, dtype=bool)
    columns = np.arange(activity.shape[1])
    for first in range(0, len(activity), _ROWS_PER_BLOCK):
        block = activity[first:first + _ROWS_PER_BLOCK]
        order = np.argsort(-block, axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, columns[None, :].repeat(len(block), axis=0), axis=1)
        on[first:first + _ROWS_PER_BLOCK] = (rank < count[first:first + _ROWS_PER_BLOCK, None]) & (block > 0)
    return on


def apply_min_durations(on: np.ndarray, frame_s: float, min_on_s: float, min_off_s: float) -> np.ndarray:
    """Per speaker (column): fill gaps shorter than ``min_off_s`` between two turns, then drop
    turns shorter than ``min_on_s`` (pyannote's ``Binarize`` order).

    >>> apply_min_durations(np.array([[1], [0], [1], [1], [0], [0], [0], [1]], bool), 0.1, 0.2, 0.15)[:, 0].astype(int)
    array([1, 1, 1, 1, 0, 0, 0, 0])
    """
    on = on.copy()
    for column in on.T:  # views: edits land in ``on``
        starts, ends = _runs(column)
        gaps = (starts[1:] - ends[:-1]) * frame_s < min_off_s - 1e-9
        for end, start in zip(ends[:-1][gaps], starts[1:][gaps]):
            column[end:start] = True
        starts, ends = _runs(column)
        for start, end in zip(starts, ends):
            if (end - start) * frame_s < min_on_s - 1e-9:
                column[start:end] = False
    return on


def to_turns(on: np.ndarray, frame_s: float, file_id: str, labels: list[str],
             duration: float | None = None) -> Turns:
    """Runs of on-frames per speaker column as RTTM turns, sorted by onset; ends clipped to ``duration``.

    >>> turns = to_turns(np.array([[1, 0], [1, 1], [0, 1]], bool), 0.5, "rec", ["A", "B"], duration=1.3)
    >>> [(t.start, t.duration, t.speaker) for t in turns]
    [(0.0, 1.0, 'A'), (0.5, 0.8, 'B')]
    """
    onsets, offsets, speakers = [], [], []
    for k, column in enumerate(on.T):
        starts, ends = _runs(column)
        onsets.append(starts * frame_s)
        offsets.append(ends * frame_s)
        speakers += [labels[k]] * len(starts)
    onset = np.concatenate(onsets) if onsets else np.zeros(0)
    offset = np.concatenate(offsets) if offsets else np.zeros(0)
    if duration is not None:
        offset = np.minimum(offset, duration)
    keep = offset > onset
    order = np.argsort(onset[keep], kind="stable")
    return Turns.build(file_id, onset[keep][order], (offset - onset)[keep][order],
                           np.asarray(speakers, dtype=object)[keep][order])


def _window_sums(values: np.ndarray, starts: np.ndarray, columns: np.ndarray, n_frames: int,
                 n_columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Overlap-add of ``values [W, F, S]`` into ``[n_frames, n_columns]`` (local speaker s of window w
    goes to column ``columns[w, s]``; -1 drops it), and how many windows cover each frame."""
    n_windows, n_local_frames, _ = values.shape
    total = np.zeros(n_frames * n_columns, dtype=np.float64)
    covered = np.zeros(n_frames, dtype=np.int64)
    offsets = np.arange(n_local_frames)
    windows_per_block = max(1, _ROWS_PER_BLOCK // max(1, n_local_frames))
    for first in range(0, n_windows, windows_per_block):
        frames = np.asarray(starts[first:first + windows_per_block])[:, None] + offsets  # [w, F]
        inside = (frames >= 0) & (frames < n_frames)
        if not inside.any():
            continue
        low, high = frames[inside].min(), frames[inside].max() + 1  # the block's reach: small temporaries
        covered[low:high] += np.bincount(frames[inside] - low, minlength=high - low)
        target = columns[first:first + windows_per_block][:, None, :]  # [w, 1, S]
        keep = inside[:, :, None] & (target >= 0)
        flat = ((frames[:, :, None] - low) * n_columns + target)[keep]
        total[low * n_columns:high * n_columns] += np.bincount(
            flat, weights=values[first:first + windows_per_block][keep], minlength=(high - low) * n_columns)
    return total.reshape(n_frames, n_columns), covered


def _runs(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in a boolean vector."""
    edges = np.diff(np.concatenate([[0], column.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
