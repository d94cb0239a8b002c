"""Bring a tap's frames onto one frame grid (by default Mimi prequant's 12.5 Hz).

Taps come at different rates (Mimi 12.5 and 25 Hz, GE2E partials at their hop, MFCC
100 Hz) and their frames sit differently in time. Here every source frame ``i`` of a tap
at ``rate`` Hz stands for the interval ``[i / rate + offset, (i + 1) / rate + offset)``,
where ``offset`` (seconds, :meth:`codecprobe.encoders.base.Encoder.frame_offset`) moves
the interval so that it is centred where the frame's content is: 0 for Mimi's frames,
which cover exactly their hop; minus half a hop for centred analysis windows (MFCC);
0.8 s minus half a hop for GE2E partials, which cover 1.6 s from their frame's start.

Output frame ``j`` of the grid covers ``[j / grid_rate, (j + 1) / grid_rate)`` and is
the mean of the source over that interval, each source frame weighted by its exact
overlap: finer taps are averaged, coarser ones repeated (split where a source boundary
falls inside an output frame). Output frames that no source interval reaches (before
the first or after the last) take the nearest source frame.
"""
from __future__ import annotations

import math

import numpy as np


def grid_frames(duration: float, grid_rate: float) -> int:
    """Frames of the grid for ``duration`` seconds: one per started frame interval, as Mimi counts.

    >>> grid_frames(2.0, 12.5), grid_frames(2.01, 12.5), grid_frames(0.0, 12.5)
    (25, 26, 0)
    """
    return math.ceil(round(duration * grid_rate, 6))


def to_grid(frames: np.ndarray, rate: float, n_out: int, grid_rate: float, offset: float = 0.0) -> np.ndarray:
    """``[n_out, dim]`` float32: ``frames`` (``[n, dim]`` at ``rate`` Hz, shifted by ``offset`` s) on the grid.

    >>> x = np.arange(4, dtype=np.float32)[:, None]                  # 4 frames at 25 Hz
    >>> to_grid(x, 25.0, 2, 12.5)[:, 0].tolist()                     # pairs averaged
    [0.5, 2.5]
    >>> to_grid(x, 25.0, 4, 50.0, offset=0.01)[:, 0].tolist()        # repeated; split where a boundary falls inside
    [0.0, 0.0, 0.5, 1.0]
    """
    frames = np.asarray(frames)
    n, dim = frames.shape
    if n == 0:
        raise ValueError("cannot place an empty frame sequence on a grid")
    if rate == grid_rate and offset == 0 and n >= n_out:  # already on the grid: exact, no arithmetic
        return np.ascontiguousarray(frames[:n_out], dtype=np.float32)
    values = frames.astype(np.float64)
    integral = np.zeros((n + 1, dim))
    np.cumsum(values / rate, axis=0, out=integral[1:])  # integral of the source up to each boundary
    first, last = offset, offset + n / rate

    def integral_at(times: np.ndarray) -> np.ndarray:
        cell = np.clip(np.floor((times - offset) * rate).astype(np.int64), 0, n - 1)
        inside = np.clip(times, first, last)
        return integral[cell] + values[cell] * (inside - (offset + cell / rate))[:, None]

    starts = np.arange(n_out) / grid_rate
    ends = (np.arange(n_out) + 1) / grid_rate
    covered = np.minimum(ends, last) - np.maximum(starts, first)
    reached = covered > 1e-9 / grid_rate
    out = np.empty((n_out, dim))
    out[reached] = (integral_at(ends[reached]) - integral_at(starts[reached])) / covered[reached, None]
    centres = (starts[~reached] + ends[~reached]) / 2
    nearest = np.clip(np.floor((centres - offset) * rate), 0, n - 1).astype(np.int64)
    out[~reached] = values[nearest]
    return out.astype(np.float32)
