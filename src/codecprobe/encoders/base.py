"""The one encoder interface: audio in, frame sequences out.

An :class:`Encoder` turns mono float32 audio at its own ``sample_rate`` into one
:class:`FrameSequence` (``[frames, dim]`` at ``frame_rate`` Hz) per requested tap.
Everything that changes the numbers it produces is in :meth:`Encoder.identity`
(weights identity and settings); the latent store keys its cache on it.

Weights honesty: every output says which of three kinds an encoder's weights are
(:func:`weights_kind`): trained; random (``trained = False`` and a ``weights_id`` that
starts with ``random-init``: an untrained control, never passed off as the model); or
none (``trained = False`` otherwise: a fixed baseline such as MFCCs, which has nothing to train).
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence

import numpy as np

from codecprobe.errors import InputError


@dataclass(frozen=True)
class FrameSequence:
    frames: np.ndarray  # [frames, dim], float32
    frame_rate: float  # Hz
    encoder: str
    tap: str
    weights_id: str

    def __post_init__(self) -> None:
        if self.frames.ndim != 2:
            raise ValueError(f"frames must be [frames, dim], got shape {self.frames.shape}")

    @property
    def dim(self) -> int:
        return int(self.frames.shape[1])

    def __len__(self) -> int:
        return int(self.frames.shape[0])


RANDOM_WEIGHTS_PREFIX = "random-init"


def weights_kind(trained: bool, weights_id: str) -> str:
    """"trained", "random" (an untrained control) or "none" (a baseline without weights).

    >>> weights_kind(False, "random-init:seed=0"), weights_kind(False, "librosa:0.11.0")
    ('random', 'none')
    """
    if trained:
        return "trained"
    return "random" if weights_id.startswith(RANDOM_WEIGHTS_PREFIX) else "none"


def weights_label(trained: bool, weights_id: str) -> str:
    """The weights as every table shows them: the control and the baselines are marked as such.

    >>> weights_label(False, "random-init:seed=0")
    'random-init:seed=0 (UNTRAINED control)'
    """
    return {"trained": weights_id, "random": f"{weights_id} (UNTRAINED control)",
            "none": f"no weights ({weights_id} baseline)"}[weights_kind(trained, weights_id)]


@dataclass(frozen=True)
class EncoderIdentity:
    """Everything that determines an encoder's output, for provenance and cache keys."""

    encoder: str
    weights_id: str
    trained: bool
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def weights(self) -> str:
        """The kind of weights: "trained", "random" or "none" (see :func:`weights_kind`)."""
        return weights_kind(self.trained, self.weights_id)

    def describe(self) -> str:
        """One line that never lets random weights pass for trained ones, nor a baseline for either."""
        return {"trained": f"{self.encoder}: trained weights {self.weights_id}",
                "random": f"{self.encoder}: RANDOM weights ({self.weights_id}) - an untrained control, "
                          "not the real model",
                "none": f"{self.encoder}: no weights - a fixed baseline ({self.weights_id})"}[self.weights]


class Encoder(abc.ABC):
    name: ClassVar[str]
    sample_rate: int

    @property
    @abc.abstractmethod
    def taps(self) -> tuple[str, ...]:
        """Every tap this encoder can produce, in network order."""

    @property
    @abc.abstractmethod
    def default_taps(self) -> tuple[str, ...]:
        """The taps extracted when none are named."""

    @abc.abstractmethod
    def identity(self) -> EncoderIdentity:
        ...

    @abc.abstractmethod
    def encode_batch(self, audios: Sequence[np.ndarray], taps: Sequence[str]) -> list[dict[str, FrameSequence]]:
        """Encode several mono float32 signals at ``sample_rate``; one dict of taps per signal."""

    def encode(self, audio: np.ndarray, taps: Sequence[str] | None = None) -> dict[str, FrameSequence]:
        return self.encode_batch([audio], taps or self.default_taps)[0]

    # -- helpers for subclasses ------------------------------------------------
    @property
    def weights_id(self) -> str:
        return self.identity().weights_id

    @property
    def trained(self) -> bool:
        return self.identity().trained

    def check_taps(self, taps: Sequence[str]) -> list[str]:
        """The taps, checked; an unknown one is the user's mistake (``--tap``), named with the known ones."""
        unknown = [tap for tap in taps if tap not in self.taps]
        if unknown:
            raise InputError(f"encoder {self.name!r} has no tap(s) {', '.join(unknown)} (--tap); "
                             f"its taps: {', '.join(self.taps)}")
        return list(taps)

    def frames(self, array: np.ndarray, frame_rate: float, tap: str) -> FrameSequence:
        return FrameSequence(np.ascontiguousarray(array, dtype=np.float32), frame_rate, self.name, tap, self.weights_id)
