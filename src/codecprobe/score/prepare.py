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

from codecprobe.data.turns import Turns, round_half_like_python
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


def _round(speakers: Speakers, digits: int) -> Speakers:
    onset = round_half_like_python(speakers.onset, digits)
    duration = round_half_like_python(speakers.offset - speakers.onset, digits)
    return Speakers(onset, onset + duration, speakers.code, speakers.labels)


def _speakers(turns: Turns | None, regions: np.ndarray) -> tuple[Speakers, np.ndarray]:
    if turns is None or len(turns) == 0:
        empty = np.zeros(0)
        return Speakers(empty, empty, np.zeros(0, dtype=np.int64), []), empty
    onset, offset = turns.start, turns.end
    zero = turns.duration == 0
    zero_points = onset[zero][inside_regions(onset[zero], regions)]
    on, off, code = clip_to_regions(onset[~zero], offset[~zero], turns.code[~zero], regions)
    on, off, code = merge_overlapping(on, off, code)
    used, code = np.unique(code, return_inverse=True)
    speakers = Speakers(on, off, code.reshape(-1), [turns.labels[i] for i in used.tolist()])
    return speakers, zero_points


def prepare(file_id: str, reference: Turns | None, system: Turns | None, regions: np.ndarray) -> PreparedFile:
    ref, zero_points = _speakers(reference, regions)
    sys, _ = _speakers(system, regions)
    return PreparedFile(file_id, regions, ref, sys, zero_points)
