"""Reading audio with soundfile and resampling with soxr.

Every failure to read a file (missing, empty, truncated, not audio, a range outside
the file, samples that are NaN or infinite) surfaces as one error type, :class:`AudioError`,
that names the file, so batch jobs can record it in a failures list and go on. Every
reader of audio goes through :func:`read_audio`, so none of them sees a non-finite sample.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import numpy as np
import soundfile as sf
import soxr

from codecprobe.errors import InputError
from codecprobe.quiet import native_stderr_silenced


class AudioError(InputError):
    """An audio file could not be read; ``path`` names the file."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class AudioInfo:
    path: str
    sampling_rate: int
    num_samples: int
    num_channels: int

    @property
    def duration(self) -> float:
        return self.num_samples / self.sampling_rate


def audio_info(path: str | os.PathLike) -> AudioInfo:
    """Header information without decoding the samples."""
    try:
        info = sf.info(str(path))
    except Exception as error:  # soundfile raises several types (LibsndfileError, RuntimeError, OSError)
        raise AudioError(path, _reason(error)) from None
    if info.frames <= 0:
        raise AudioError(path, "file holds no audio samples")
    if info.format == "WAV":
        _check_wav_complete(path)
    return AudioInfo(str(path), int(info.samplerate), int(info.frames), int(info.channels))


def read_audio(
    path: str | os.PathLike,
    start: float = 0.0,
    end: float | None = None,
    target_rate: int | None = None,
    mono: bool = True,
) -> tuple[np.ndarray, int]:
    """Read ``[start, end)`` seconds of ``path`` as float32.

    Only the requested range is decoded (soundfile seeks). Returns ``(samples, rate)``
    where ``samples`` is ``[n]`` if ``mono`` else ``[n, channels]``; ``rate`` is
    ``target_rate`` when given (resampled with soxr), else the file's own rate.
    """
    info = audio_info(path)
    first = int(round(start * info.sampling_rate))
    last = info.num_samples if end is None else int(round(end * info.sampling_rate))
    if first < 0 or last > info.num_samples + 1 or last <= first:
        raise AudioError(
            path,
            f"range {start:.3f}-{end if end is not None else info.duration:.3f} s is outside the file "
            f"(0-{info.duration:.3f} s)",
        )
    last = min(last, info.num_samples)
    try:
        with sf.SoundFile(str(path)) as handle:
            # libmpg123 prints harmless bit-reservoir errors when it decodes after a seek (codecprobe.quiet)
            with native_stderr_silenced() if first and handle.format == "MP3" else contextlib.nullcontext():
                if first:
                    handle.seek(first)
                samples = handle.read(last - first, dtype="float32", always_2d=True)
    except Exception as error:
        raise AudioError(path, _reason(error)) from None
    if samples.shape[0] < last - first:
        raise AudioError(path, f"truncated: expected {last - first} samples from {first}, got {samples.shape[0]}")
    finite = np.isfinite(samples).all(axis=1)
    if not finite.all():  # float formats can hold NaN and inf; every model would turn them into NaN
        bad = np.flatnonzero(~finite)
        raise AudioError(path, f"{len(bad)} non-finite sample(s) (NaN or infinity), the first at "
                               f"{(first + bad[0]) / info.sampling_rate:.3f} s")
    if mono:
        samples = samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0]
    rate = info.sampling_rate
    if target_rate is not None and target_rate != rate:
        samples = resample(samples, rate, target_rate)
        rate = target_rate
    return np.ascontiguousarray(samples, dtype=np.float32), rate


def resample(samples: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """Resample with soxr (VHQ); ``samples`` is ``[n]`` or ``[n, channels]``."""
    if rate == target_rate:
        return samples
    return soxr.resample(samples, rate, target_rate, quality="VHQ").astype(np.float32, copy=False)


def _check_wav_complete(path: str | os.PathLike) -> None:
    """libsndfile silently shortens a truncated WAV to the bytes present; compare with the header."""
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        header = handle.read(12)
        if header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return
        offset = 12
        while offset + 8 <= size:
            handle.seek(offset)
            chunk, length = handle.read(4), int.from_bytes(handle.read(4), "little")
            if chunk == b"data":
                if length != 0xFFFFFFFF and offset + 8 + length > size:
                    raise AudioError(path, f"truncated: header declares {length} data bytes, file has {size - offset - 8}")
                return
            offset += 8 + length + (length & 1)


def _reason(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    # soundfile repeats the path in its messages; keep only the reason.
    return text.replace("Error opening ", "cannot open ").split(": ", 1)[-1] if ": " in text else text
