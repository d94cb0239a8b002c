"""Utterance embeddings from frame sequences.

``mean`` is the seeds' choice (Step 0 mean-pools the 512-dim pre-quantization frames);
``mean+std`` appends the per-channel standard deviation (statistics pooling, as x-vector
systems do). An optional boolean frame mask keeps only speech frames (from Silero VAD,
see :mod:`codecprobe.audio.vad`); a mask with no speech at all falls back to every frame, so a
silent or very short utterance still gets an embedding.
"""
from __future__ import annotations

from typing import Literal

import numpy as np

Pooling = Literal["mean", "mean+std"]
POOLINGS: tuple[str, ...] = ("mean", "mean+std")


def pool(frames: np.ndarray, method: Pooling = "mean", mask: np.ndarray | None = None) -> np.ndarray:
    """``[T, D]`` frames -> one ``[D]`` (mean) or ``[2D]`` (mean+std) float64 vector.

    >>> pool(np.array([[1.0, 2.0], [3.0, 6.0]]), "mean+std").tolist()
    [2.0, 4.0, 1.0, 2.0]
    """
    frames = np.asarray(frames, dtype=np.float64)
    if frames.ndim != 2 or frames.shape[0] == 0:
        raise ValueError(f"expected [frames, dim] with at least one frame, got shape {frames.shape}")
    if mask is not None and mask.any():
        frames = frames[mask]
    mean = frames.mean(axis=0)
    if method == "mean":
        return mean
    if method == "mean+std":
        return np.concatenate([mean, frames.std(axis=0)])
    raise ValueError(f"unknown pooling {method!r}; choose from {POOLINGS}")
