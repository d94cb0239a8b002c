"""Tone speakers: each speaker's utterances are pure tones at that speaker's own frequency, so
who speaks when can be read back from the audio (energy in one FFT bin per speaker)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 16000
FRAME = 320  # 20 ms: a tone at a multiple of 50 Hz fills exactly one FFT bin of a frame
FREQUENCIES = {"s1": 300, "s2": 750, "s3": 1500, "s4": 2400, "s5": 3350}


def write_tones(root: Path, speakers=("s1", "s2", "s3", "s4"), per_speaker=3) -> Path:
    """``<root>/<speaker>/<n>.wav`` (speaker-folders layout): 0.6-1.6 s tones at constant amplitude."""
    for speaker in speakers:
        (root / speaker).mkdir(parents=True, exist_ok=True)
        for u in range(per_speaker):
            t = np.arange(int(RATE * (0.6 + 0.5 * u))) / RATE
            tone = 0.5 * np.sin(2 * np.pi * FREQUENCIES[speaker] * t)
            sf.write(root / speaker / f"{u}.wav", tone.astype(np.float32), RATE, subtype="FLOAT")
    return root


def band_energy(audio: np.ndarray, frequency: int) -> np.ndarray:
    """Energy of each 20 ms frame in the FFT bin of ``frequency``."""
    frames = audio[: len(audio) // FRAME * FRAME].reshape(-1, FRAME)
    spectrum = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return spectrum[:, frequency * FRAME // RATE]
