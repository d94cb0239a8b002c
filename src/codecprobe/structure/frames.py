"""The frame dataset of seed 004's Phase 0, built utterance by utterance.

For an utterance of ``T`` frames ``z[0..T-1]`` (one tap of one encoder), an *anchor* is a
frame ``t`` with a full context window behind it and every lag ahead of it:
``window - 1 <= t <= T - 1 - max(lags)``. Each anchor has

- its context: frames ``z[t-window+1 .. t]`` (oldest first), mean-pooled or flattened;
- its dynamics for each lag ``k``: ``z[t+k] - z[t]`` (``displacement``, the issue's
  definition), or ``z[t+k] - z[t+k-1]`` (``velocity``: the seed's next-step velocity seen
  through a context that is ``k - 1`` frames stale);
- the energy (dB) and the position ``(t+1)/T`` of the first frame it predicts, ``t + 1``,
  which define the confound slices.

Every anchor of an utterance enters every lag, so all lags see the same frames. Frames
come from a :class:`FrameSource`: the latent store (:class:`StoreFrames`, with energies from
the audio) or arrays in memory (:class:`ArrayFrames`, for generated sequences).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Protocol, Sequence

import numpy as np

ENERGY_FLOOR_DB = -100.0


class FrameSource(Protocol):
    """Frames and per-frame energies of utterances, one utterance at a time."""

    def frame_counts(self, ids: Sequence[str]) -> dict[str, int]:
        """Frames per utterance, without reading the frames."""

    def stream(self, ids: Sequence[str]) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """``(id, frames [T, D] float32, energy [T] dB)`` for each id, in any order."""


class ArrayFrames:
    """Utterances held in memory: ``{id: (frames [T, D], energy_db [T])}``."""

    def __init__(self, utterances: dict[str, tuple[np.ndarray, np.ndarray]]):
        self.utterances = utterances

    def frame_counts(self, ids: Sequence[str]) -> dict[str, int]:
        return {i: len(self.utterances[i][0]) for i in ids}

    def stream(self, ids: Sequence[str]) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        for i in ids:
            frames, energy = self.utterances[i]
            yield i, np.asarray(frames, dtype=np.float32), np.asarray(energy, dtype=np.float32)


@dataclass(frozen=True)
class AudioSpan:
    path: str
    start: float
    end: float


class StoreFrames:
    """One tap of one encoder read from the latent store, shard by shard.

    ``energy(segment_id, n_frames)`` gives each utterance's frame energies in dB
    (:class:`AudioEnergy` for a corpus).
    """

    def __init__(self, store, identity, tap: str, energy: Callable[[str, int], np.ndarray]):
        self.store, self.identity, self.tap, self.energy = store, identity, tap, energy
        self.frame_rate = store.frame_rate(identity, tap)

    def frame_counts(self, ids: Sequence[str]) -> dict[str, int]:
        counts = self.store.frame_counts(self.identity, self.tap)
        return {i: counts[i] for i in ids}

    def stream(self, ids: Sequence[str]) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        for segment_id, frames in self.store.read_many(ids, self.identity, self.tap):
            yield segment_id, frames, self.energy(segment_id, len(frames))


class AudioEnergy:
    """Frame energies from the audio: the mean power in ``[t, t+1) / frame_rate`` seconds, in dB,
    computed once per utterance and kept (4 bytes per frame)."""

    def __init__(self, spans: dict[str, AudioSpan], frame_rate: float):
        self.spans, self.frame_rate = spans, frame_rate
        self._energy: dict[str, np.ndarray] = {}

    def __call__(self, segment_id: str, n_frames: int) -> np.ndarray:
        if segment_id not in self._energy:
            from codecprobe.audio import read_audio

            span = self.spans[segment_id]
            audio, rate = read_audio(span.path, span.start, span.end, target_rate=16000)
            self._energy[segment_id] = frame_energy_db(audio, rate, self.frame_rate, n_frames)
        return self._energy[segment_id]


def frame_energy_db(audio: np.ndarray, sample_rate: float, frame_rate: float, n_frames: int) -> np.ndarray:
    """Mean power of ``audio`` over each frame's span ``[t, t+1) / frame_rate``, in dB.

    Frames past the end of the audio (encoders round their length up) get -100 dB.

    >>> frame_energy_db(np.array([1.0, 1.0, 0.1, 0.1]), 4, 2, 3).round(1).tolist()
    [0.0, -20.0, -100.0]
    """
    bounds = np.minimum(np.round(np.arange(n_frames + 1) * sample_rate / frame_rate).astype(np.int64), len(audio))
    power = np.concatenate([[0.0], np.cumsum(np.asarray(audio, dtype=np.float64) ** 2)])
    lengths = np.diff(bounds)
    mean_power = np.divide(power[bounds[1:]] - power[bounds[:-1]], lengths, out=np.zeros(n_frames),
                           where=lengths > 0)
    return np.maximum(10 * np.log10(np.maximum(mean_power, 1e-30)), ENERGY_FLOOR_DB).astype(np.float32)


def n_anchors(n_frames: int, window: int, max_lag: int) -> int:
    """How many anchors an utterance of ``n_frames`` has.

    >>> n_anchors(20, window=8, max_lag=4)  # t = 7 .. 15
    9
    >>> n_anchors(11, window=8, max_lag=4)
    0
    """
    return max(0, n_frames - window - max_lag + 1)


@dataclass
class Windows:
    """The anchors of one utterance over (normalised) frames ``z``: contexts and dynamics."""

    z: np.ndarray  # [T, D]
    window: int
    max_lag: int

    @property
    def anchors(self) -> np.ndarray:
        """Anchor frame indices ``t``."""
        return np.arange(self.window - 1, self.window - 1 + n_anchors(len(self.z), self.window, self.max_lag))

    def mean_context(self) -> np.ndarray:
        """``[A, D]``: each anchor's window averaged (running sums in float64)."""
        a = len(self.anchors)
        sums = np.concatenate([np.zeros((1, self.z.shape[1])), np.cumsum(self.z, axis=0, dtype=np.float64)])
        return ((sums[self.window:self.window + a] - sums[:a]) / self.window).astype(np.float32)

    def flat_context(self, anchors: np.ndarray | None = None) -> np.ndarray:
        """``[A, window * D]``: each anchor's window, oldest frame first (a copy: for samples)."""
        anchors = self.anchors if anchors is None else anchors
        offsets = np.arange(-self.window + 1, 1)
        return self.z[anchors[:, None] + offsets[None, :]].reshape(len(anchors), -1)

    def projected_context(self, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
        """``(flat_context - mean) @ components.T`` without building the flattened windows:
        one ``[T, D] @ [D, p]`` product per window offset."""
        a, d = len(self.anchors), self.z.shape[1]
        out = np.zeros((a, len(components)), dtype=np.float32)
        for j in range(self.window):
            out += self.z[j:j + a] @ components[:, j * d:(j + 1) * d].T.astype(np.float32)
        return out - (mean @ components.T).astype(np.float32)

    def dynamics(self, lag: int, kind: str, anchors: np.ndarray | None = None) -> np.ndarray:
        """``[A, D]``: ``z[t+lag] - z[t]`` (displacement) or ``z[t+lag] - z[t+lag-1]`` (velocity)."""
        anchors = self.anchors if anchors is None else anchors
        start = anchors if kind == "displacement" else anchors + lag - 1
        return self.z[anchors + lag] - self.z[start]
