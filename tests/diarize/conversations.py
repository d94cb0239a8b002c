"""Small generated conversations for tests: tone 'speakers' taking turns, with RTTM references.

Each speaker is a harmonic tone with its own pitch and timbre (MFCCs separate them easily);
turns follow each other with short pauses and occasional overlaps. A folder of these
loads with the ``rttm`` layout, like the output of ``codecprobe simulate``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 16000
VOICES = {"ann": 140.0, "bob": 220.0, "cat": 330.0, "dan": 500.0, "eve": 760.0}


def voice(name: str, seconds: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = VOICES[name] * (1 + 0.02 * np.sin(2 * np.pi * 3 * t))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    weights = {"ann": (1, .5, .2), "bob": (1, .1, .6), "cat": (.4, 1, .3), "dan": (1, .8, .8), "eve": (1, .2, .05)}[name]
    audio = sum(w * np.sin((h + 1) * phase) for h, w in enumerate(weights))
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t + rng.uniform(0, 6.28)) ** 2
    return (0.15 * audio * envelope).astype(np.float32)


def write_conversations(root: Path, count: int, speakers=("ann", "bob", "cat"), seconds: float = 12.0,
                        seed: int = 0, prefix: str = "conv") -> Path:
    """``count`` recordings of 2-3 of ``speakers`` with ``<id>.wav`` + ``<id>.rttm`` in ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for index in range(count):
        rec = f"{prefix}{index:03d}"
        audio = 0.003 * rng.standard_normal(int(seconds * RATE)).astype(np.float32)
        present = list(rng.choice(speakers, size=min(len(speakers), int(rng.integers(2, 4))), replace=False))
        lines, t, previous = [], rng.uniform(0.3, 1.0), None
        while t < seconds - 0.5:
            speaker = rng.choice([s for s in present if s != previous])
            length = min(rng.uniform(0.8, 2.5), seconds - t)
            start = int(t * RATE)
            piece = voice(speaker, length, rng)
            audio[start: start + len(piece)] += piece[: len(audio) - start]
            lines.append(f"SPEAKER {rec} 1 {t:.3f} {length:.3f} <NA> <NA> {speaker} <NA> <NA>\n")
            previous = speaker
            t += length + (rng.uniform(-0.4, 0) if rng.random() < 0.2 else rng.uniform(0.1, 0.8))
        sf.write(root / f"{rec}.wav", audio, RATE)
        (root / f"{rec}.rttm").write_text("".join(lines))
    return root
