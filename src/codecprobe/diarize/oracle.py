"""A perfect window model: local speaker activity read from the reference.

It stands where the adapter stands in :mod:`~codecprobe.diarize.adapter_pipeline`, so the
rest of the pipeline (speaker embeddings, clustering, assignment, aggregation) can be
tested and measured alone: the DER it reaches is what a perfect adapter would reach with
these embeddings and this clustering (an upper bound, not a system).
"""
from __future__ import annotations

import numpy as np

from codecprobe.data.turns import Turns


class OracleModel:
    """Each window's local speakers are the reference speakers active in it, in order of first
    activity (at most ``n_local``): the answer a perfect adapter would give."""

    trained = True
    input_ratio = 1
    from_store: list[str] = []

    def __init__(self, reference: Turns | dict[str, Turns], frame_rate: float = 12.5, window_s: float = 10.0,
                 n_local: int = 4):
        self.references = reference if isinstance(reference, dict) else {reference.recording_id: reference}
        self.frame_rate = frame_rate
        self.window_frames = int(round(window_s * frame_rate))
        self.n_local = n_local

    def describe(self) -> dict:
        return {"label": f"oracle (reference activity, {self.window_frames / self.frame_rate:g} s windows, "
                         f"{self.n_local} local speakers)", "trained": True}

    def features(self, recording, block_s: float) -> np.ndarray:
        """Reference activity ``[frames, speakers]``: frame t is on where a turn covers half of it."""
        reference = self.references[recording.id]
        n_frames = int(np.ceil(recording.duration * self.frame_rate))
        edges = np.arange(n_frames + 1) / self.frame_rate
        activity = np.zeros((n_frames, max(1, len(reference.labels))), np.float32)
        for turn in reference:
            covered = np.clip(np.minimum(edges[1:], turn.end) - np.maximum(edges[:-1], turn.start), 0, None)
            activity[covered * self.frame_rate >= 0.5, reference.labels.index(turn.speaker)] = 1.0
        return activity

    def predict(self, windows: np.ndarray) -> np.ndarray:
        out = np.zeros((*windows.shape[:2], self.n_local), np.float32)
        for w, window in enumerate(windows):
            active = np.flatnonzero(window.any(axis=0))
            by_arrival = active[np.argsort(window[:, active].argmax(axis=0), kind="stable")]
            for slot, speaker in enumerate(by_arrival[: self.n_local]):
                out[w, :, slot] = window[:, speaker]
        return out
