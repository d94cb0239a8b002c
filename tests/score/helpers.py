"""Small builders shared by the scoring tests."""
from __future__ import annotations

import numpy as np

from codecprobe.data import Turns


def turns(*items, file_id="f") -> Turns:
    """``turns(("A", 0, 10), ("B", 10, 20))``: (speaker, onset, offset) triples of one file."""
    speakers = [s for s, _, _ in items]
    onset = np.array([a for _, a, _ in items], dtype=float)
    offset = np.array([b for _, _, b in items], dtype=float)
    return Turns.build(file_id, onset, offset - onset, speakers)


def perturbed(reference: dict, seed: int = 0, jitter: float = 0.2, swap: float = 0.1) -> dict:
    """A plausible system output: jittered boundaries, some turns given to another speaker, ms times."""
    rng = np.random.default_rng(seed)
    out = {}
    for fid, t in reference.items():
        onset = np.round(np.maximum(t.start + rng.normal(0, jitter, len(t)), 0), 3)
        duration = np.round(np.maximum(t.duration + rng.normal(0, jitter, len(t)), 0.01), 3)
        codes = (t.code + (rng.random(len(t)) < swap)) % max(len(t.labels), 1)
        out[fid] = Turns(fid, onset, duration, codes, [f"sys_{label}" for label in t.labels])
    return out


def as_tuples(segmentation: dict) -> dict:
    return {fid: [(t.speaker, t.start, t.end) for t in ft] for fid, ft in segmentation.items()}
