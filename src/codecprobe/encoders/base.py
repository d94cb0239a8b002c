"""The one encoder interface: audio in, frame sequences out.

An :class:`Encoder` turns mono float32 audio at its own ``sample_rate`` into one
:class:`FrameSequence` (``[frames, dim]`` at ``frame_rate`` Hz) per requested tap.
Everything that changes the numbers it produces is in :meth:`Encoder.identity`
(weights identity and settings); the latent store keys its cache on it.

Weights honesty: every output says which of three kinds an encoder's weights are
(:func:`weights_kind`): trained; an untrained control (``trained = False`` and a
``weights_id`` that says how it was made: ``random-init:...``, seeded random weights, or
``permuted:...``, trained weights randomly permuted for graphs that cannot be re-initialised:
Lyra; :func:`untrained_kind` names it), never passed off as the model; or none (``trained =
False`` otherwise: a fixed baseline such as MFCCs, which has nothing to train).
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


UNTRAINED_PREFIXES = ("random-init", "permuted:")  # how untrained controls' weights ids start


def weights_kind(weights_id: str, trained: bool) -> str:
    """"trained", "untrained" (an untrained control) or "none" (a baseline without weights).

    >>> weights_kind("random-init:seed=0", False), weights_kind("librosa:0.11.0", False)
    ('untrained', 'none')
    """
    if trained:
        return "trained"
    return "untrained" if weights_id.startswith(UNTRAINED_PREFIXES) else "none"


def untrained_kind(weights_id: str) -> str:
    """How an untrained control's weights were made, in the words every output uses for it.

    >>> untrained_kind("random-init:seed=0")
    'random init'
    >>> untrained_kind("permuted:seed=0:dir:0123abcd")
    "weights randomly permuted (keeps each tensor's value distribution, destroys what was learned)"
    """
    if weights_id.startswith("permuted:"):
        return "weights randomly permuted (keeps each tensor's value distribution, destroys what was learned)"
    return "random init"


def weights_label(weights_id: str, trained: bool) -> str:
    """``weights_id`` as tables and summary lines show it: an untrained control says so, and how it
    was made; a baseline without weights says that.

    >>> weights_label("dir:0123abcd", True)
    'dir:0123abcd'
    >>> weights_label("random-init:seed=0", False)
    'random-init:seed=0 (UNTRAINED control: random init)'
    >>> weights_label("librosa:0.11.0", False)
    'no weights (librosa:0.11.0 baseline)'
    """
    return {"trained": weights_id, "untrained": f"{weights_id} (UNTRAINED control: {untrained_kind(weights_id)})",
            "none": f"no weights ({weights_id} baseline)"}[weights_kind(weights_id, trained)]


def short_weights_label(encoder: str, weights_id: str, trained: bool, weights_name: str = "") -> str:
    """The weights in a few words, for table cells and figure titles (issue 18 item 9): the full
    :func:`weights_label` goes once into a footnote or the report's header instead.

    >>> short_weights_label("lyra", "permuted:seed=0:dir:0123abcd", False)
    'lyra (permuted control)'
    >>> short_weights_label("mimi", "random-init:seed=0", False)
    'mimi (random-init control)'
    >>> short_weights_label("mfcc", "librosa:0.11.0", False)
    'mfcc (no weights: baseline)'
    >>> short_weights_label("lyra", "dir:0123abcd", True, "Lyra v2 (Google, ../shared/models/lyra-v2)")
    'Lyra v2 (Google, ../shared/models/lyra-v2)'
    >>> short_weights_label("ge2e", "resemblyzer:0.1.4", True)
    'ge2e (resemblyzer:0.1.4)'
    """
    kind = weights_kind(weights_id, trained)
    if kind == "untrained":
        return f"{encoder} ({'permuted' if weights_id.startswith('permuted:') else 'random-init'} control)"
    if kind == "none":
        return f"{encoder} (no weights: baseline)"
    return weights_name or f"{encoder} ({weights_id})"


def frame_rate_text(frames: Sequence[int], rates: Sequence[float]) -> str:
    """A tap's frame rate as reports say it, from its sequences' frame counts and rates: an utterance-level
    tap (one frame per input, its "rate" 1 / the input's duration, which varies) is "one vector per
    utterance", not a rate (issue 18 item 9: GE2E's utterance tap at "0.1 Hz").

    >>> frame_rate_text([1, 1, 1], [0.1, 0.25, 0.5])
    'one vector per utterance'
    >>> frame_rate_text([500, 150], [50.0, 50.0])
    '50 Hz'
    >>> frame_rate_text([3, 12], [0.5, 2.0])
    '0.5-2 Hz'
    """
    if len(set(rates)) > 1 and all(n == 1 for n in frames):
        return "one vector per utterance"
    low, high = min(rates), max(rates)
    return f"{low:g} Hz" if low == high else f"{low:g}-{high:g} Hz"


@dataclass(frozen=True)
class EncoderIdentity:
    """Everything that determines an encoder's output, for provenance and cache keys."""

    encoder: str
    weights_id: str
    trained: bool
    settings: dict[str, Any] = field(default_factory=dict)
    # a human name for the weights where the id is a hash ("Lyra v2 (Google, ../shared/models/lyra-v2)");
    # for tables only: not part of what the store keys on
    weights_name: str = field(default="", compare=False)

    @property
    def weights(self) -> str:
        """The kind of weights: "trained", "untrained" or "none" (see :func:`weights_kind`)."""
        return weights_kind(self.weights_id, self.trained)

    def describe(self) -> str:
        """One line that never lets an untrained control pass for the model, nor a baseline for either."""
        name = f" ({self.weights_name})" if self.weights_name else ""
        return {"trained": f"{self.encoder}: trained weights {self.weights_id}{name}",
                "untrained": f"{self.encoder}: {weights_label(self.weights_id, False)} - not the real model",
                "none": f"{self.encoder}: no weights - a fixed baseline ({self.weights_id})"}[self.weights]

    def short_label(self) -> str:
        """:func:`short_weights_label` of these weights."""
        return short_weights_label(self.encoder, self.weights_id, self.trained, self.weights_name)


def mono_signal(audio: np.ndarray, index: int) -> np.ndarray:
    """``audio`` as float32, checked to be a non-empty 1-d signal (``index`` names it in the error)."""
    signal = np.asarray(audio, dtype=np.float32)
    if signal.ndim != 1 or signal.size == 0:
        raise ValueError(f"audio {index}: expected a non-empty mono signal [samples], got shape {signal.shape}")
    return signal


def equal_length_groups(signals: Sequence[np.ndarray]) -> list[list[int]]:
    """Indices of the signals grouped by length, for encoders whose every frame depends on the
    whole input (global normalisation, pooling): a batch of equal lengths needs no padding."""
    groups: dict[int, list[int]] = {}
    for index, signal in enumerate(signals):
        groups.setdefault(len(signal), []).append(index)
    return list(groups.values())


class Encoder(abc.ABC):
    name: ClassVar[str]
    sample_rate: int
    # True where ``random_init`` permutes the weights given instead of drawing new ones (lyra):
    # a study then builds the control from the same weights as the encoder it controls.
    untrained_from_weights: ClassVar[bool] = False
    recipe = None  # set by build_encoder: an EncoderRecipe that builds this encoder again in another process

    @property
    @abc.abstractmethod
    def taps(self) -> tuple[str, ...]:
        """Every tap this encoder can produce, in network order."""

    @property
    @abc.abstractmethod
    def default_taps(self) -> tuple[str, ...]:
        """The taps extracted when none are named."""

    @property
    def sweep_taps(self) -> tuple[str, ...]:
        """The taps a study's ``--sweep`` runs: every tap, unless the encoder names fewer."""
        return self.taps

    def bitrate_kbps(self, tap: str) -> float | None:
        """The bitrate of a quantizer tap (kbps: the codes that make it, per second); None for a tap that is no
        code (a codec's latent, a network layer, features)."""
        return None

    @abc.abstractmethod
    def identity(self) -> EncoderIdentity:
        ...

    @abc.abstractmethod
    def encode_batch(self, audios: Sequence[np.ndarray], taps: Sequence[str]) -> list[dict[str, FrameSequence]]:
        """Encode several mono float32 signals at ``sample_rate``; one dict of taps per signal."""

    def frame_offset(self, tap: str) -> float:
        """Where a tap's frames sit in time: frame i is centred on ``(i + 0.5) / frame_rate + frame_offset(tap)`` s.

        0 (the default) for frames that cover exactly their hop ``[i / rate, (i + 1) / rate)``;
        an encoder whose frames sit elsewhere (centred analysis windows, a long context)
        says so here, and training brings its frames onto a common grid with it
        (:mod:`codecprobe.train.grid`).
        """
        return 0.0

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


@dataclass
class SavedTap:
    """One tap of one encoder role as a study saves it (structure's and nextlatent's runs extend it with
    their results and a ``weights_name`` field), with the labels tables and headings use."""

    encoder: str
    role: str  # "encoder" or "control"
    weights_id: str
    trained: bool
    weights: str  # "trained", "untrained" or "none"
    settings: dict
    tap: str

    @property
    def label(self) -> str:
        return f"{self.encoder}:{self.tap}"

    @property
    def weights_label(self) -> str:
        return weights_label(self.weights_id, self.trained)

    @property
    def short_label(self) -> str:
        """The weights in a few words, for tables and headings (``weights_label`` goes in a footnote)."""
        return short_weights_label(self.encoder, self.weights_id, self.trained, self.weights_name)
