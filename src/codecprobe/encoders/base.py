"""The one encoder interface: audio in, frame sequences out.

An :class:`Encoder` turns mono float32 audio at its own ``sample_rate`` into one
:class:`FrameSequence` (``[frames, dim]`` at ``frame_rate`` Hz) per requested tap.
Everything that changes the numbers it produces is in :meth:`Encoder.identity`
(weights identity and settings); the latent store keys its cache on it.

Weights honesty: an encoder built with random weights has ``trained = False`` and a
``weights_id`` that starts with ``random-init``; every output records both.
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


@dataclass(frozen=True)
class EncoderIdentity:
    """Everything that determines an encoder's output, for provenance and cache keys."""

    encoder: str
    weights_id: str
    trained: bool
    settings: dict[str, Any] = field(default_factory=dict)


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
