"""Turn the turns of one file into what every metric scores, the way dscore feeds md-eval.

1. cut turns to the UEM regions (turns outside them vanish, turns across an edge get
   a new boundary at the edge, which then gets a collar like any other);
2. merge each speaker's own overlapping turns (touching turns stay two turns);
3. drop speakers left with no speech and renumber the rest.

Zero-length turns carry no speech; a zero-length *reference* turn inside the UEM still
marks a boundary that gets a collar (md-eval collars every SPEAKER record).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codecprobe.score.rttm import FileTurns
from codecprobe.score.timeline import Speakers, clip_to_regions, inside_regions, merge_overlapping


@dataclass
class PreparedFile:
    file_id: str
    regions: np.ndarray        # (n, 2) scoring regions
    reference: Speakers
    system: Speakers
    ref_points: np.ndarray     # times of zero-length reference turns inside the regions

    @property
    def ref_boundaries(self) -> np.ndarray:
        """Every reference boundary (merged turn onsets and offsets, zero-length turns): collar centres."""
        return np.concatenate([self.reference.onset, self.reference.offset, self.ref_points])

    def rounded(self, digits: int | None) -> "PreparedFile":
        """Times rounded as dscore writes them for md-eval: onset and duration to ``digits`` decimals."""
        if digits is None:
            return self
        return PreparedFile(self.file_id, round_half_like_python(self.regions, digits), _round(self.reference, digits),
                            _round(self.system, digits), round_half_like_python(self.ref_points, digits))


def round_half_like_python(x, digits: int) -> np.ndarray:
    """``round(v, digits)`` of every value, as dscore's ``'%.3f' % round(v, 3)`` writes it for md-eval.

    ``np.round`` scales by ``10**digits`` first, which can tip a value that lies just above
    a tie onto it (3.0005 is stored as 3.000500000000000078: Python gives 3.001, numpy 3.0).
    Away from ties both agree; only the few values near a tie are rounded by Python.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.round(x, digits)
    scaled = x * 10.0 ** digits
    near_tie = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if near_tie.any():
        out[near_tie] = [round(v, digits) for v in x[near_tie].tolist()]
    return out


def _round(speakers: Speakers, digits: int) -> Speakers:
    onset = round_half_like_python(speakers.onset, digits)
    duration = round_half_like_python(speakers.offset - speakers.onset, digits)
    return Speakers(onset, onset + duration, speakers.code, speakers.labels)


def _speakers(turns: FileTurns | None, regions: np.ndarray) -> tuple[Speakers, np.ndarray]:
    if turns is None or len(turns) == 0:
        empty = np.zeros(0)
        return Speakers(empty, empty, np.zeros(0, dtype=np.int64), []), empty
    onset, offset = turns.onset, turns.offset
    zero = turns.duration == 0
    zero_points = onset[zero][inside_regions(onset[zero], regions)]
    on, off, code = clip_to_regions(onset[~zero], offset[~zero], turns.speaker[~zero], regions)
    on, off, code = merge_overlapping(on, off, code)
    used, code = np.unique(code, return_inverse=True)
    speakers = Speakers(on, off, code.reshape(-1), [turns.labels[i] for i in used.tolist()])
    return speakers, zero_points


def prepare(file_id: str, reference: FileTurns | None, system: FileTurns | None, regions: np.ndarray) -> PreparedFile:
    ref, zero_points = _speakers(reference, regions)
    sys, _ = _speakers(system, regions)
    return PreparedFile(file_id, regions, ref, sys, zero_points)
