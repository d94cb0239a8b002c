"""A small corpus of distinct synthetic voices, made offline with no models.

Used by the demo when no real speech is at hand. Each voice is a source-filter
formant synthesiser with its own pitch, vocal-tract length (formant scaling),
spectral tilt and speaking rate; each utterance is a seeded sequence of vowel-like
syllables. The voices differ in the ways real speakers differ (pitch, formants,
timbre) while the "words" vary, so speaker probes have something real to find.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import lfilter

RATE = 16000
# F1, F2, F3 (Hz) of five vowels for an average adult vocal tract.
_VOWELS = np.array([[730, 1090, 2440], [530, 1840, 2480], [270, 2290, 3010], [570, 840, 2410], [300, 870, 2240]])


def make_synthetic_corpus(root: str | Path, n_speakers: int = 6, utterances_per_speaker: int = 8,
                          seed: int = 0) -> Path:
    """Write ``<root>/<voice>/<voice>_<n>.wav`` (16 kHz) and return ``root`` (speaker-folders layout)."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    for v in range(n_speakers):
        voice = {
            "f0": rng.uniform(85, 250),
            "formant_scale": rng.uniform(0.82, 1.22),
            "tilt": rng.uniform(0.90, 0.98),
            "syllable_seconds": rng.uniform(0.12, 0.26),
        }
        folder = root / f"voice{v:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        for u in range(utterances_per_speaker):
            path = folder / f"voice{v:02d}_{u:02d}.wav"
            if not path.exists():
                audio = _utterance(voice, np.random.default_rng([seed, v, u]))
                sf.write(path, audio, RATE)
    return root


def _utterance(voice: dict, rng: np.random.Generator) -> np.ndarray:
    pieces = [np.zeros(int(0.2 * RATE), np.float32)]
    for _ in range(rng.integers(6, 14)):
        seconds = voice["syllable_seconds"] * rng.uniform(0.7, 1.4)
        formants = _VOWELS[rng.integers(len(_VOWELS))] * voice["formant_scale"]
        pieces.append(_syllable(seconds, voice["f0"] * rng.uniform(0.9, 1.15), formants, voice["tilt"], rng))
        pieces.append(np.zeros(int(rng.uniform(0.02, 0.12) * RATE), np.float32))
    audio = np.concatenate(pieces)
    return (0.3 * audio / (np.abs(audio).max() + 1e-9)).astype(np.float32)


def _syllable(seconds: float, f0: float, formants: np.ndarray, tilt: float, rng: np.random.Generator) -> np.ndarray:
    n = int(seconds * RATE)
    contour = f0 * (1 + 0.08 * np.sin(np.linspace(0, np.pi, n)))  # a small pitch rise and fall
    phase = np.cumsum(contour / RATE)
    source = (np.diff(np.floor(phase), prepend=0) > 0).astype(np.float64)  # one pulse per period
    source = lfilter([1.0], [1.0, -tilt], source) + 0.02 * rng.standard_normal(n)  # glottal tilt + breath
    signal = source
    for frequency, bandwidth in zip(formants, (80, 100, 140)):
        radius = np.exp(-np.pi * bandwidth / RATE)
        signal = lfilter([1 - radius], [1, -2 * radius * np.cos(2 * np.pi * frequency / RATE), radius**2], signal)
    envelope = np.minimum(1, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.02 * RATE))
    return (signal * envelope).astype(np.float32)
