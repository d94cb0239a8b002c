"""Boundary examples: every boundary of a hypothesis, with the reference boundary it is matched to.

A :class:`Hypothesis` is one system output (or one jittered copy of a reference) for one
recording, prepared as the scorer prepares it (cut to the recording, each speaker's own
overlapping turns merged, times in milliseconds). Its boundaries are numbered onsets first,
then offsets, and matched to reference boundaries exactly as ``codecprobe boundaries``
matches them (:func:`codecprobe.score.boundaries.file_boundary_pairs`: the DER speaker
mapping, onsets with onsets and offsets with offsets, mutual nearest within
``max_offset_s``). A matched boundary's target is the true boundary's offset from it;
an unmatched one has none (it is still refined when a hypothesis is refined).

:class:`BoundaryExamples` holds the boundaries of many hypotheses as columns, with their
speaker context (:func:`~codecprobe.refine.speakers.boundary_context`).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from codecprobe.data.turns import Turns
from codecprobe.refine.jitter import BoundaryErrors, jitter_turns
from codecprobe.refine.speakers import EmbeddingTrack, boundary_context
from codecprobe.score.boundaries import file_boundary_pairs
from codecprobe.score.timeline import Speakers


@dataclass
class Hypothesis:
    """One hypothesis of one recording: its prepared turns and, where there is a reference, the reference
    time matched to each of its boundaries (NaN where none) and whether that one is a speaker change."""

    name: str  # its file id in refined RTTMs and scores: the recording id, "#<copy>" added for jittered copies
    recording_id: str
    duration: float
    turns: Speakers
    reference: Turns | None
    matched_time: np.ndarray  # [2n]
    change: np.ndarray  # [2n] bool

    @property
    def boundary_times(self) -> np.ndarray:
        return np.concatenate([self.turns.onset, self.turns.offset])


def make_hypothesis(name: str, recording_id: str, duration: float, system: Turns | None,
                    reference: Turns | None, max_offset_s: float) -> Hypothesis:
    """``system`` prepared and its boundaries matched to ``reference``'s (None: no reference, no targets)."""
    regions = np.array([[0.0, duration]])
    prepared, pairs = file_boundary_pairs(name, reference, system, regions, max_offset_s)
    matched, change = pairs.system_targets()
    return Hypothesis(name, recording_id, duration, prepared.system, reference, matched, change)


def jittered_hypotheses(recordings: list[tuple[str, float, Turns]], errors: BoundaryErrors, copies: int,
                        seed: int, max_offset_s: float) -> list[Hypothesis]:
    """``copies`` jittered versions of each ``(recording id, duration, reference)``, named ``<id>#<copy>``.

    Copy c of recording r draws from ``default_rng([seed, crc32(r), c])``: the same whatever else is
    in the set or in which order.
    """
    hypotheses = []
    for recording_id, duration, reference in recordings:
        for copy in range(copies):
            rng = np.random.default_rng([seed, zlib.crc32(recording_id.encode()), copy])
            jittered = jitter_turns(reference, duration, errors, rng)
            hypotheses.append(make_hypothesis(f"{recording_id}#{copy}", recording_id, duration, jittered, reference,
                                              max_offset_s))
    return hypotheses


@dataclass
class BoundaryExamples:
    """Every boundary of ``hypotheses``, one row each, in the hypotheses' order and their numbering."""

    hypotheses: list[Hypothesis]
    hypothesis: np.ndarray  # [N] index into hypotheses
    time: np.ndarray  # [N] hypothesised boundary (s)
    target: np.ndarray  # [N] true boundary - hypothesised (s); NaN where unmatched
    change: np.ndarray  # [N] bool: the matched reference boundary is a speaker change
    context: np.ndarray  # [N, C] float32: left/right speaker embeddings, their presence, onset or offset

    def __len__(self) -> int:
        return len(self.time)

    @property
    def matched(self) -> np.ndarray:
        return ~np.isnan(self.target)

    @property
    def recording_ids(self) -> list[str]:
        return [self.hypotheses[i].recording_id for i in self.hypothesis.tolist()]

    def rows_of(self, index: int) -> np.ndarray:
        """The rows of hypothesis ``index`` (its onsets, then its offsets)."""
        return np.flatnonzero(self.hypothesis == index)


def build_examples(hypotheses: list[Hypothesis], tracks: dict[str, EmbeddingTrack], context_s: float,
                   min_coverage: float, neighbour_gap_s: float) -> BoundaryExamples:
    """The boundaries of every hypothesis with their speaker context (``tracks``: embedding track per recording)."""
    parts = []
    for index, hypothesis in enumerate(hypotheses):
        times = hypothesis.boundary_times
        context = boundary_context(hypothesis.turns, tracks[hypothesis.recording_id], context_s, min_coverage,
                                   neighbour_gap_s)
        parts.append((np.full(len(times), index), times, hypothesis.matched_time - times, hypothesis.change, context))
    dim = 2 * next(iter(tracks.values())).dim + 3 if tracks else 3
    if not parts:
        return BoundaryExamples(hypotheses, np.zeros(0, int), np.zeros(0), np.zeros(0), np.zeros(0, bool),
                                np.zeros((0, dim), np.float32))
    columns = [np.concatenate(column) for column in zip(*parts)]
    return BoundaryExamples(hypotheses, *columns)
