"""Hypotheses with their boundaries moved by a refiner, kept valid.

Each boundary moves by its predicted offset, but never past the midpoint between it and the
next boundary of the same speaker, nor outside the recording. A speaker's boundaries come in
order (onset, offset, onset, offset, ...) and each stays within its own half of the gaps
around it, so the order holds after refinement: **a turn never ends before it starts and one
speaker's turns never overlap**, whatever the refiner predicts. Times are rounded to
milliseconds (rounding keeps the order); a turn left with no length is dropped. Different
speakers' turns may overlap, as in any RTTM.
"""
from __future__ import annotations

import numpy as np

from codecprobe.data.turns import Turns
from codecprobe.refine.data import BoundaryWindows
from codecprobe.refine.examples import BoundaryExamples
from codecprobe.score.timeline import Speakers
from codecprobe.train.bank import FrameBank


def bounded_times(turns: Speakers, offsets: np.ndarray, duration: float) -> np.ndarray:
    """Boundary ``i`` of ``turns`` (onsets, then offsets; each speaker's turns disjoint, as prepared for
    scoring) moved by ``offsets[i]`` seconds within the bounds above, in milliseconds.

    >>> turns = Speakers(np.array([1.0, 4.0]), np.array([3.0, 6.0]), np.array([0, 0]), ["A"])
    >>> bounded_times(turns, np.array([0.2, -5.0, 9.0, 0.1]), 10.0).tolist()  # 4.0 not before 3.5, 3.0 not after
    [1.2, 3.5, 3.5, 6.1]
    """
    n = len(turns.onset)
    moved = np.concatenate([turns.onset, turns.offset]) + np.nan_to_num(np.asarray(offsets, dtype=float))
    for code in range(turns.n):
        mine = np.flatnonzero(turns.code == code)
        mine = mine[np.argsort(turns.onset[mine], kind="stable")]
        order = np.column_stack([mine, n + mine]).ravel()  # this speaker's onset, offset, onset, offset, ...
        original = np.concatenate([turns.onset, turns.offset])[order]
        middle = (original[1:] + original[:-1]) / 2
        moved[order] = np.clip(moved[order], np.concatenate([[0.0], middle]), np.concatenate([middle, [duration]]))
    return np.round(moved, 3)


def refined_turns(turns: Speakers, offsets: np.ndarray, duration: float, file_id: str) -> Turns:
    """``turns`` with their boundaries moved (:func:`bounded_times`); turns left with no length are dropped."""
    n = len(turns.onset)
    times = bounded_times(turns, offsets, duration)
    onset, offset = times[:n], times[n:]
    keep = offset > onset
    return Turns.build(file_id, onset[keep], (offset - onset)[keep],
                           [turns.labels[c] for c in turns.code[keep].tolist()])


def refine_examples(module, examples: BoundaryExamples, bank: FrameBank) -> tuple[np.ndarray, dict[str, Turns]]:
    """A refiner's offset for every boundary of ``examples`` (frames from ``bank``) and each hypothesis refined."""
    offsets = module.predict(BoundaryWindows(examples, bank, module.window_frames)) if len(examples) else np.zeros(0)
    return offsets, apply_offsets(examples, offsets)


def apply_offsets(examples: BoundaryExamples, offsets: np.ndarray) -> dict[str, Turns]:
    """Every hypothesis of ``examples`` with its boundaries moved by ``offsets`` (one per row; zeros: unrefined)."""
    return {h.name: refined_turns(h.turns, offsets[examples.rows_of(i)], h.duration, h.name)
            for i, h in enumerate(examples.hypotheses)}
