"""Batching and windowing shared by the convolutional codecs and SSL models (encodec, dac, wavlm, hubert, wav2vec2).

A :class:`WindowedEncoder` says how its network frames a signal (``hop`` samples per frame of its
coarsest taps, ``frames_per_hop`` finer frames for faster taps, the frames a signal of ``n``
samples gives) and runs one forward pass on a padded batch (:meth:`WindowedEncoder.forward`);
this class turns that into :meth:`encode_batch`:

- **Batches** hold at most ``chunk_seconds`` of padded audio. Signals of at least
  ``pad_safe_frames`` frames, for which right padding provably leaves the frames alone (a
  causal network, or an attention mask that hides the padding), share a batch padded to the
  longest; other signals share one only with signals of equal padded length (non-causal
  convolutions and group norm see the padding), so outputs never depend on the batch a signal
  happened to be in.
- **Long signals** (over ``chunk_seconds``) are encoded alone in windows of ``chunk_seconds``
  of frames, each with up to ``context_seconds`` of audio either side; only the window's centre
  frames are kept. A network whose receptive field fits in the context gives the one-pass
  frames (up to float rounding); a recurrent or attention network sees ``2 * context`` of
  audio around each window rather than the whole signal, which bounds memory and time.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from codecprobe.encoders.base import Encoder, FrameSequence, mono_signal
from codecprobe.errors import InputError

if TYPE_CHECKING:  # torch loads when a signal is encoded, not when --help lists the settings
    import torch


@dataclass(frozen=True)
class WindowSettings:
    """How much audio goes through the network at once.

    chunk_seconds: padded audio per forward pass (summed over a batch's signals); a longer
        signal is encoded in windows of this length.
    context_seconds: audio added on each side of a long signal's windows (frames from it are
        dropped), rounded to whole frames.
    """

    chunk_seconds: float = 30.0
    context_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not self.chunk_seconds > 0:
            raise InputError(f"chunk_seconds must be positive, got {self.chunk_seconds}")
        if not self.context_seconds >= 0:
            raise InputError(f"context_seconds must be >= 0, got {self.context_seconds}")


class WindowedEncoder(Encoder):
    """An encoder whose network runs on padded batches ``[batch, samples]``; see the module docstring."""

    hop: int  # samples per frame of the coarsest taps
    frames_per_hop: dict[str, int]  # per tap: frames per ``hop`` samples (1 for the coarsest taps)
    pad_safe_frames: int | None  # right padding never changes the frames of a signal this long; None: of no signal
    window: WindowSettings

    @property
    def taps(self) -> tuple[str, ...]:
        return tuple(self.frames_per_hop)

    def frame_rate(self, tap: str) -> float:
        return self.frames_per_hop[tap] * self.sample_rate / self.hop

    @abc.abstractmethod
    def frame_count(self, samples: int) -> int:
        """Frames of the coarsest taps for a signal of ``samples`` samples."""

    @abc.abstractmethod
    def window_samples(self, frames: int) -> int:
        """Samples a window must hold to give ``frames`` coarse frames (its padded length)."""

    @abc.abstractmethod
    def forward(self, batch: torch.Tensor, lengths: list[int], taps: list[str]) -> dict[str, torch.Tensor]:
        """One pass over ``batch`` ``[signals, samples]`` (signal i real up to ``lengths[i]``, zeros
        after); returns ``{tap: [signals, frames, dim]}`` on the CPU."""

    def prepare(self, signal: np.ndarray) -> np.ndarray:
        """The signal as the network takes it (a subclass normalises it here); default: as it is."""
        return signal

    def encode_batch(self, audios: Sequence[np.ndarray], taps: Sequence[str]) -> list[dict[str, FrameSequence]]:
        taps = self.check_taps(taps)
        signals = [self.prepare(mono_signal(audio, index)) for index, audio in enumerate(audios)]
        results: list[dict[str, FrameSequence]] = [{} for _ in signals]
        for group in self._batches([len(signal) for signal in signals]):
            members = [signals[index] for index in group]
            outputs = self._encode_long(members[0], taps) if len(members[0]) > self._chunk_samples else \
                self._encode_padded(members, taps)
            for index, output in zip(group, outputs):
                results[index] = {tap: self.frames(output[tap], self.frame_rate(tap), tap) for tap in taps}
        return results

    @property
    def _chunk_samples(self) -> int:
        return max(self.window_samples(1), int(self.window.chunk_seconds * self.sample_rate))

    def _batches(self, lengths: list[int]) -> list[list[int]]:
        """Indices of the signals to encode together, shortest first (see the module docstring)."""
        batches: list[list[int]] = []
        last_key = None
        for index in sorted(range(len(lengths)), key=lengths.__getitem__):
            padded = self._padded_length(lengths[index])
            safe = self.pad_safe_frames is not None and self.frame_count(lengths[index]) >= self.pad_safe_frames
            key = "padded" if safe else padded  # what a signal must share with the others in its batch
            if batches and key == last_key and (len(batches[-1]) + 1) * padded <= self._chunk_samples:
                batches[-1].append(index)
            else:
                batches.append([index])
            last_key = key
        return batches

    def _padded_length(self, samples: int) -> int:
        """A signal's length once padded to whole frames (never shorter than the signal)."""
        return max(samples, self.window_samples(self.frame_count(samples)))

    def _encode_padded(self, signals: list[np.ndarray], taps: list[str]) -> list[dict[str, np.ndarray]]:
        """One forward pass over the signals zero-padded to the longest; each output cut to its own frames."""
        frames = [self.frame_count(len(signal)) for signal in signals]
        batch = np.zeros((len(signals), max(self._padded_length(len(signal)) for signal in signals)), dtype=np.float32)
        for row, signal in zip(batch, signals):
            row[: len(signal)] = signal
        import torch

        out = self.forward(torch.from_numpy(batch), [len(signal) for signal in signals], taps)
        return [{tap: out[tap][item, : count * self.frames_per_hop[tap]].numpy() for tap in taps}
                for item, count in enumerate(frames)]

    def _encode_long(self, signal: np.ndarray, taps: list[str]) -> list[dict[str, np.ndarray]]:
        """One long signal in windows of ``chunk_seconds`` of frames with ``context_seconds`` either side."""
        total = self.frame_count(len(signal))
        core = max(1, self._chunk_samples // self.hop)
        context = round(self.window.context_seconds * self.sample_rate / self.hop)
        pieces: dict[str, list[np.ndarray]] = {tap: [] for tap in taps}
        for first in range(0, total, core):
            last = min(first + core, total)
            start, stop = max(0, first - context), min(total, last + context)
            window = signal[start * self.hop : start * self.hop + self.window_samples(stop - start)]
            out = self._encode_padded([window], taps)[0]
            for tap in taps:
                per_hop = self.frames_per_hop[tap]
                pieces[tap].append(out[tap][(first - start) * per_hop : (last - start) * per_hop])
        return [{tap: np.concatenate(values) for tap, values in pieces.items()}]
