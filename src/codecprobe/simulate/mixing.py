"""Audio for one simulated recording: turns loaded, trimmed, levelled, placed and summed; noise added.

Written with numpy rather than through lhotse's ``MixedCut``: a turn here is placed at an exact
millisecond and scaled to a level and a per-speaker gain, the audio is read and resampled with
the project's own reader (soundfile + soxr VHQ, as every encoder sees it), and the noise SNR is
measured over the speech regions the RTTM states; the sum itself is a few lines.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codecprobe.audio import read_audio
from codecprobe.simulate.config import NoiseConfig, TurnConfig
from codecprobe.simulate.sources import Utterance

PEAK_LIMIT = 0.99  # a mixture louder than this is scaled down as a whole (recorded as peak_scale)


class UtteranceCache:
    """Decoded, trimmed utterances of the recording being made (a speaker may reuse one)."""

    def __init__(self, turns: TurnConfig, sampling_rate: int):
        self.turns = turns
        self.rate = sampling_rate
        self.cached: dict[Utterance, tuple[np.ndarray, int]] = {}

    def load(self, utterance: Utterance) -> tuple[np.ndarray, int]:
        """``(samples, offset)``: the utterance at the simulation's rate, silent edges trimmed
        (``offset``: samples trimmed from its start)."""
        if utterance not in self.cached:
            audio, _ = read_audio(utterance.path, utterance.start, utterance.end, target_rate=self.rate)
            offset = 0
            if self.turns.trim_db is not None:
                start, end = trim_bounds(audio, self.turns.trim_db)
                if (end - start) >= self.turns.min_duration * self.rate:
                    audio, offset = audio[start:end], start
            self.cached[utterance] = (audio, offset)
        return self.cached[utterance]


def trim_bounds(audio: np.ndarray, top_db: float) -> tuple[int, int]:
    """First and last sample of the part louder than the peak minus ``top_db`` (librosa's ``trim``).

    >>> x = np.r_[np.zeros(4000), np.ones(8000), np.zeros(4000)].astype(np.float32)
    >>> trim_bounds(x, 40)
    (3584, 12544)
    """
    import librosa

    _, (start, end) = librosa.effects.trim(audio, top_db=top_db, frame_length=1024, hop_length=256)
    return int(start), int(end)


def quiet_cut(audio: np.ndarray, start: int, end: int, reach: int, frame: int) -> tuple[int, int]:
    """``[start, end)`` with each end moved (by at most ``reach`` samples) to the quietest point near it,
    so that a cut turn starts and stops between words rather than inside one. The loudness at a
    point is the mean energy of the ``frame`` samples around it.

    >>> x = np.ones(1000, np.float32)
    >>> x[90:110] = 0; x[790:810] = 0
    >>> quiet_cut(x, 120, 770, reach=50, frame=10)
    (100, 800)
    """
    padded = np.r_[np.zeros(frame // 2), np.square(audio, dtype=np.float64), np.zeros(frame - frame // 2)]
    sums = np.cumsum(np.r_[0.0, padded])
    energy = sums[frame:frame + len(audio) + 1] - sums[:len(audio) + 1]  # energy[i]: frame centred on i

    def quietest(point: int) -> int:
        low, high = max(0, point - reach), min(len(audio), point + reach)
        window = energy[low:high + 1]
        return low + int(np.flatnonzero(window == window.min()).mean().round())

    return quietest(start), quietest(end)


def set_level(audio: np.ndarray, level_dbfs: float) -> np.ndarray:
    """``audio`` scaled to an RMS of ``level_dbfs`` (digital silence stays silent).

    >>> x = set_level(np.ones(100, np.float32), -20.0)
    >>> round(float(20 * np.log10(np.sqrt(np.mean(x ** 2)))), 6)
    -20.0
    """
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    return audio if rms == 0 else (audio * (10 ** (level_dbfs / 20) / rms)).astype(np.float32)


def mix(clips: list[np.ndarray], onsets: list[int], gains_db: list[float], length: int) -> np.ndarray:
    """Sum of ``clips`` placed at sample ``onsets`` with gains in dB, in a float64 buffer of ``length``.

    >>> mix([np.ones(2), np.ones(3)], [0, 1], [0.0, 20 * np.log10(2)], 5).tolist()
    [1.0, 3.0, 2.0, 2.0, 0.0]
    """
    out = np.zeros(length, dtype=np.float64)
    for clip, onset, gain in zip(clips, onsets, gains_db):
        out[onset:onset + len(clip)] += clip * 10 ** (gain / 20)
    return out


def speech_mask(onsets: list[int], lengths: list[int], total: int) -> np.ndarray:
    """True where at least one turn is active."""
    edges = np.zeros(total + 1, dtype=np.int64)
    np.add.at(edges, np.asarray(onsets), 1)
    np.add.at(edges, np.asarray(onsets) + np.asarray(lengths), -1)
    return np.cumsum(edges[:-1]) > 0


def noise_files(config: NoiseConfig) -> list[Path]:
    """The audio files of ``noise.folder``, sorted (empty unless kind is ``folder``)."""
    from codecprobe.data.layouts import AUDIO_SUFFIXES
    from codecprobe.errors import InputError

    if config.kind != "folder":
        return []
    folder = Path(config.folder)
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file()) \
        if folder.is_dir() else []
    if not files:
        raise InputError(f"{folder}: noise.folder holds no audio files ({', '.join(AUDIO_SUFFIXES)})")
    return files


def make_noise(kind: str, length: int, rng: np.random.Generator, files: list[Path], rate: int) -> np.ndarray:
    """``length`` samples of noise at unit RMS: generated (white, pink 1/f, brown 1/f^2 power), or a seeded
    stretch of a seeded file from ``files`` (looped when shorter than the recording)."""
    if kind == "folder":
        audio, _ = read_audio(files[rng.integers(len(files))], target_rate=rate)
        audio = np.tile(audio, -(-length // len(audio)) + 1)
        start = int(rng.integers(len(audio) - length + 1))
        noise = audio[start:start + length].astype(np.float64)
    else:
        exponent = {"white": 0.0, "pink": 1.0, "brown": 2.0}[kind]
        spectrum = np.fft.rfft(rng.standard_normal(length))
        frequencies = np.fft.rfftfreq(length)
        frequencies[0] = frequencies[1] if length > 1 else 1.0
        noise = np.fft.irfft(spectrum / frequencies ** (exponent / 2), n=length)
    rms = np.sqrt(np.mean(noise ** 2))
    return noise / rms if rms > 0 else noise
