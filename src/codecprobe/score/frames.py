"""dscore's frame view of a file, for JER and the clustering metrics (no collar, no rounding).

dscore samples each file at ``t_i = step * i`` for ``i < int(max UEM offset / step)``;
frame i belongs to a turn (or region) ``[onset, offset)`` when ``onset <= t_i < offset``.
We turn every turn and region into its integer frame interval with the same
``searchsorted`` and run the sweep on frame indices, so the counts equal dscore's
frame matrices without building them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codecprobe.score.prepare import PreparedFile
from codecprobe.score.timeline import activity, coverage, cut_points


@dataclass
class FrameCounts:
    """Per elementary frame interval: frames kept, and which speakers are active."""

    frames: np.ndarray   # (K,) kept frames in each interval
    ref: np.ndarray      # (K, R) 0/1
    sys: np.ndarray      # (K, S) 0/1


def frame_counts(prepared: PreparedFile, step: float = 0.01) -> FrameCounts:
    ref, sys, regions = prepared.reference, prepared.system, prepared.regions
    n_frames = int(regions[:, 1].max() / step) if len(regions) else 0
    times = step * np.arange(n_frames)

    def index(x):
        return np.searchsorted(times, x).astype(np.float64)

    r_on, r_off, s_on, s_off = index(ref.onset), index(ref.offset), index(sys.onset), index(sys.offset)
    u_on, u_off = index(regions[:, 0]), index(regions[:, 1])
    edges = cut_points(u_on, u_off, r_on, r_off, s_on, s_off)
    if len(edges) < 2:
        return FrameCounts(np.zeros(0), np.zeros((0, ref.n)), np.zeros((0, sys.n)))
    kept = np.diff(edges) * (coverage(edges, u_on, u_off) > 0)
    on_ref = np.minimum(activity(edges, r_on, r_off, ref.code, ref.n), 1)
    on_sys = np.minimum(activity(edges, s_on, s_off, sys.code, sys.n), 1)
    return FrameCounts(kept, on_ref, on_sys)
