"""Jaccard error rate (DIHARD II), computed as dscore computes it.

Per file, on 10 ms frames: for reference speaker r and system speaker s,
JER(r, s) = 1 - |r & s| / |r | s|. The Hungarian algorithm picks the one-to-one
mapping that *minimises* the summed JER (not the DER mapping); an unmapped
reference speaker scores 100 %. A file's JER is the mean over its reference
speakers; the overall JER is the mean over all reference speakers of all files
(files with more speakers weigh more). Edge cases follow dscore: no reference and
no system speech -> 0; system speech but no reference speaker -> 100 for the file
and nothing in the overall mean; reference speakers but no system speech -> 100 each.
"""
from __future__ import annotations

import numpy as np

from codecprobe.score.assignment import linear_sum_assignment
from codecprobe.score.frames import FrameCounts
from codecprobe.score.timeline import weighted_cooccurrence


def speaker_jers(counts: FrameCounts) -> np.ndarray | None:
    """Per-reference-speaker JER in percent; ``None`` for a file with system but no reference speakers."""
    n_ref, n_sys = counts.ref.shape[1], counts.sys.shape[1]
    if n_ref == 0:
        return None if n_sys > 0 else np.zeros(0)
    if n_sys == 0:
        return np.full(n_ref, 100.0)
    ref_frames = np.sum(counts.ref * counts.frames[:, None], axis=0)
    sys_frames = np.sum(counts.sys * counts.frames[:, None], axis=0)
    intersect = weighted_cooccurrence(counts.frames, counts.ref, counts.sys)
    with np.errstate(invalid="ignore", divide="ignore"):
        jer = 1 - intersect / (ref_frames[:, None] + sys_frames[None, :] - intersect)
    rows, cols = linear_sum_assignment(np.nan_to_num(jer, nan=1.0))
    out = np.ones(n_ref)
    out[rows] = jer[rows, cols]
    return 100.0 * out


def file_jer(jers: np.ndarray | None) -> float:
    if jers is None:
        return 100.0
    return float(jers.mean()) if len(jers) else 0.0


def overall_jer(per_file: list[np.ndarray | None]) -> float:
    n_ref = sum(len(j) for j in per_file if j is not None)
    if n_ref == 0:
        return 100.0 if any(j is None for j in per_file) else 0.0
    return float(np.concatenate([j for j in per_file if j is not None]).mean())
