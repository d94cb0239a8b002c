"""Speech activity with Silero VAD (the JIT model shipped in the ``silero-vad`` wheel).

Silero scores each 512-sample window at 16 kHz (32 ms, 31.25 Hz) with a speech
probability; window i covers ``[i / 31.25, (i + 1) / 31.25)`` s. Its own
post-processing (``get_speech_timestamps_from_probs``: hysteresis around the
threshold, minimum speech and silence durations, padding) turns them into speech
segments, and :func:`speech_frame_mask` lays those segments onto any encoder's frame
grid, so every encoder's frames can be split into speech and non-speech the same way.

Audio at other rates is resampled to 16 kHz with soxr; the model runs on one thread.
"""
from __future__ import annotations

import functools
from typing import Iterable

import numpy as np
import torch

from codecprobe.audio.io import resample
from codecprobe.threads import torch_threads

VAD_RATE = 16000
WINDOW = 512  # samples per speech probability at 16 kHz


def speech_probabilities(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, float]:
    """Silero's speech probability per 32 ms window: ``(probs [ceil(seconds * 31.25)], 31.25)``.

    The last window is zero-padded where the audio ends inside it.
    """
    return _probabilities(_at_vad_rate(audio, sample_rate)), VAD_RATE / WINDOW


def speech_segments(
    audio: np.ndarray,
    sample_rate: int,
    threshold: float = 0.5,
    min_speech_s: float = 0.25,
    min_silence_s: float = 0.1,
    pad_s: float = 0.03,
) -> list[tuple[float, float]]:
    """Speech as sorted, disjoint ``(start, end)`` seconds; the defaults are Silero's.

    Speech starts where the probability reaches ``threshold`` and ends after
    ``min_silence_s`` below ``threshold - 0.15``; shorter segments than ``min_speech_s``
    are dropped and the rest widened by ``pad_s`` on each side.
    """
    audio = _at_vad_rate(audio, sample_rate)
    return segments_from_probabilities(_probabilities(audio), len(audio), threshold, min_speech_s, min_silence_s, pad_s)


def segments_from_probabilities(
    probs: np.ndarray,
    n_samples: int,
    threshold: float = 0.5,
    min_speech_s: float = 0.25,
    min_silence_s: float = 0.1,
    pad_s: float = 0.03,
) -> list[tuple[float, float]]:
    """:func:`speech_segments` from probabilities already computed over ``n_samples`` samples at 16 kHz."""
    segments = _silero().get_speech_timestamps_from_probs(
        np.asarray(probs).tolist(),
        sampling_rate=VAD_RATE,
        threshold=threshold,
        min_speech_duration_ms=min_speech_s * 1000,
        min_silence_duration_ms=min_silence_s * 1000,
        speech_pad_ms=pad_s * 1000,
        audio_length_samples=n_samples,
    )
    return [(segment["start"] / VAD_RATE, segment["end"] / VAD_RATE) for segment in segments]


def stream_speech_probabilities(blocks: Iterable[np.ndarray]) -> tuple[np.ndarray, int]:
    """Silero's probabilities over one long 16 kHz signal handed over in consecutive blocks.

    The model's state is carried from window to window across blocks, so the result equals
    :func:`speech_probabilities` on the whole signal while only one block is held. Returns
    ``(probs, n_samples)``.
    """
    model, pending, n_samples, probs = _model(), np.zeros(0, np.float32), 0, []
    with torch_threads(1), torch.no_grad():
        model.reset_states()
        for block in blocks:
            n_samples += len(block)
            pending = np.concatenate([pending, np.asarray(block, dtype=np.float32)])
            usable = len(pending) // WINDOW * WINDOW
            windows = torch.from_numpy(pending[:usable])
            probs += [model(windows[None, i : i + WINDOW], VAD_RATE) for i in range(0, usable, WINDOW)]
            pending = pending[usable:]
        if len(pending):  # the last window, zero-padded as audio_forward pads it
            probs.append(model(torch.from_numpy(np.pad(pending, (0, WINDOW - len(pending))))[None], VAD_RATE))
    values = torch.cat(probs, dim=1)[0].numpy().astype(np.float32) if probs else np.zeros(0, np.float32)
    return values, n_samples


def speech_frame_mask(
    audio: np.ndarray, sample_rate: int, frame_rate: float, n_frames: int, threshold: float = 0.5
) -> np.ndarray:
    """Which of an encoder's ``n_frames`` frames (at ``frame_rate`` Hz) are speech.

    Frame i covers ``[i / frame_rate, (i + 1) / frame_rate)`` s; it is speech when
    Silero's speech segments cover at least half of it. Frames past the end of the
    audio (encoders that round their length up) count as non-speech.
    """
    return segments_to_frame_mask(speech_segments(audio, sample_rate, threshold), frame_rate, n_frames)


def segments_to_frame_mask(
    segments: list[tuple[float, float]], frame_rate: float, n_frames: int, min_share: float = 0.5
) -> np.ndarray:
    """Frames whose span ``[i / frame_rate, (i + 1) / frame_rate)`` is at least ``min_share`` covered.

    ``segments`` are disjoint ``(start, end)`` seconds. Coverage comes from the
    cumulative speech time, a piecewise linear function of time that ``np.interp``
    evaluates exactly at every frame edge.
    """
    edges = np.arange(n_frames + 1) / frame_rate
    if not segments:
        return np.zeros(n_frames, bool)
    bounds = np.asarray(sorted(segments), dtype=float)  # [m, 2]
    durations = bounds[:, 1] - bounds[:, 0]
    cumulative_at_end = np.cumsum(durations)
    times = bounds.ravel()  # s0, e0, s1, e1, ...
    speech_before = np.column_stack([cumulative_at_end - durations, cumulative_at_end]).ravel()
    covered = np.diff(np.interp(edges, times, speech_before))
    return covered >= min_share / frame_rate - 1e-9


def _probabilities(audio: np.ndarray) -> np.ndarray:
    if len(audio) == 0:
        return np.zeros(0, np.float32)
    padded = np.pad(audio, (0, -len(audio) % WINDOW))
    with torch_threads(1):
        probs = _model().audio_forward(torch.from_numpy(padded)[None, :], VAD_RATE)[0]
    return probs.numpy().astype(np.float32)


def _at_vad_rate(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"VAD needs mono audio [samples], got shape {audio.shape}")
    return resample(audio, sample_rate, VAD_RATE)


@functools.cache
def _silero():
    """The ``silero_vad`` module. Importing it sets torch to one thread process-wide
    (``torch.set_num_threads(1)`` in its ``model.py``); undo that."""
    threads = torch.get_num_threads()
    import silero_vad

    torch.set_num_threads(threads)
    return silero_vad


@functools.cache
def _model() -> torch.jit.ScriptModule:
    return _silero().load_silero_vad()
