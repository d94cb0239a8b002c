"""Who speaks on either side of a hypothesised boundary, and what their voices sound like near it.

A refiner reads, besides the frames around a boundary, an embedding of the speaker left of
it and of the speaker right of it (seed 003's design). Both come from the *hypothesis*,
because that is all a refiner has at inference: for the onset of speaker s's turn, the
right speaker is s and the left one is another hypothesis speaker speaking at the onset
or having stopped at most ``neighbour_gap_s`` before it (the latest to stop), else
silence; an offset mirrors this. A speaker's embedding is pooled over their hypothesis
turns within ``context_s`` of the boundary from an :class:`EmbeddingTrack`, a speaker
encoder's frames along the recording (GE2E partials by default, each describing 1.6 s).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codecprobe.score.timeline import Speakers

SILENCE = -1  # no speaker on that side


@dataclass
class EmbeddingTrack:
    """Speaker-embedding vectors along a recording: vector i describes ``[starts[i], starts[i] + span)``."""

    vectors: np.ndarray  # [n, dim]
    starts: np.ndarray  # [n] seconds
    span: float

    @classmethod
    def from_frames(cls, frames: np.ndarray, frame_rate: float, offset: float, span: float) -> "EmbeddingTrack":
        """A tap's frames: frame i is centred on ``(i + 0.5) / frame_rate + offset`` (``Encoder.frame_offset``)
        and describes ``span`` seconds around its centre."""
        centres = (np.arange(len(frames)) + 0.5) / frame_rate + offset
        return cls(np.asarray(frames, dtype=np.float32), centres - span / 2, span)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def pool(self, intervals: np.ndarray, min_coverage: float) -> np.ndarray | None:
        """Unit-length mean of the vectors covered at least ``min_coverage`` by ``intervals`` (``[k, 2]``
        seconds, disjoint), weighted by coverage; else the best-covered one; None if none is touched.

        >>> track = EmbeddingTrack(np.eye(3, dtype=np.float32), np.array([0.0, 1.0, 2.0]), span=2.0)
        >>> track.pool(np.array([[1.0, 3.0]]), 0.5).round(3).tolist()  # covers 1/2, 1 and 1/2 of them
        [0.408, 0.816, 0.408]
        >>> track.pool(np.array([[3.5, 3.9]]), 0.5).tolist(), track.pool(np.array([[9.0, 9.5]]), 0.5)
        ([0.0, 0.0, 1.0], None)
        """
        if not len(intervals) or not len(self.vectors):
            return None
        first = max(0, int(np.searchsorted(self.starts, intervals[:, 0].min() - self.span, side="right")))
        last = int(np.searchsorted(self.starts, intervals[:, 1].max(), side="left"))
        if last <= first:
            return None
        starts = self.starts[first:last, None]
        overlap = np.minimum(starts + self.span, intervals[None, :, 1]) - np.maximum(starts, intervals[None, :, 0])
        coverage = np.clip(overlap, 0, None).sum(axis=1) / self.span
        if coverage.max() <= 0:
            return None
        keep = coverage >= min_coverage
        if not keep.any():
            keep = coverage == coverage.max()
        mean = (self.vectors[first:last][keep] * coverage[keep, None]).sum(axis=0)
        norm = np.linalg.norm(mean)
        return mean / norm if norm > 0 else None


def neighbours(turns: Speakers, gap: float) -> tuple[np.ndarray, np.ndarray]:
    """The speaker codes left and right of every boundary (onsets, then offsets, as
    :class:`~codecprobe.score.boundaries.BoundaryPairs` numbers them); :data:`SILENCE` for none.

    >>> from codecprobe.score.timeline import Speakers
    >>> turns = Speakers(np.array([0.0, 2.0, 6.0]), np.array([2.0, 5.0, 8.0]), np.array([0, 1, 0]), ["A", "B"])
    >>> left, right = neighbours(turns, gap=0.5)
    >>> left.tolist(), right.tolist()  # A hands over to B at 2; B stops at 5, A starts after a 1 s pause
    ([-1, 0, -1, 0, 1, 0], [0, 1, 0, 1, -1, -1])
    """
    n = len(turns.onset)
    left = np.concatenate([np.full(n, SILENCE), turns.code]).astype(np.int64)
    right = np.concatenate([turns.code, np.full(n, SILENCE)]).astype(np.int64)
    for i in range(n):
        others = turns.code != turns.code[i]
        before = others & (turns.onset < turns.onset[i]) & (turns.offset >= turns.onset[i] - gap)
        if before.any():
            left[i] = turns.code[np.flatnonzero(before)[np.argmax(turns.offset[before])]]
        after = others & (turns.offset > turns.offset[i]) & (turns.onset <= turns.offset[i] + gap)
        if after.any():
            right[n + i] = turns.code[np.flatnonzero(after)[np.argmin(turns.onset[after])]]
    return left, right


def boundary_context(turns: Speakers, track: EmbeddingTrack, context_s: float, min_coverage: float,
                     gap: float) -> np.ndarray:
    """``[2n, 2 * dim + 3]`` float32 per boundary: the left and right speakers' embeddings (zeros for
    silence or no speech near the boundary), whether each is present, and whether it is an onset."""
    n, dim = len(turns.onset), track.dim
    times = np.concatenate([turns.onset, turns.offset])
    left, right = neighbours(turns, gap)
    out = np.zeros((2 * n, 2 * dim + 3), dtype=np.float32)
    out[:n, -1] = 1.0
    for row, time in enumerate(times):
        for side, code in enumerate((left[row], right[row])):
            if code == SILENCE:
                continue
            mine = turns.code == code
            intervals = np.stack([np.maximum(turns.onset[mine], time - context_s),
                                  np.minimum(turns.offset[mine], time + context_s)], axis=1)
            vector = track.pool(intervals[intervals[:, 1] > intervals[:, 0]], min_coverage)
            if vector is not None:
                out[row, side * dim: (side + 1) * dim] = vector
                out[row, 2 * dim + side] = 1.0
    return out
