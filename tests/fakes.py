"""A tiny deterministic encoder for testing the pipeline without a neural network.

Frames are 10 ms windows at 16 kHz; tap ``energy`` gives [log energy, mean], tap
``peak`` gives [max |x|]. Its output is a known function of the input, so tests can
compare stored arrays with values computed here. It is registered as ``framestats`` so
that processes which rebuild encoders by name (Ray workers) can build it too.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from codecprobe.encoders.base import Encoder, EncoderIdentity
from codecprobe.encoders.registry import register


class FrameStatsEncoder(Encoder):
    name = "framestats"
    sample_rate = 16000
    hop = 160

    def __init__(self, scale: float = 1.0, fail_on_call: int | None = None, delay: float = 0.0):
        self.scale = scale
        self.calls = 0
        self.fail_on_call = fail_on_call
        self.delay = delay  # seconds of sleep per batch, to catch a run partway

    @property
    def taps(self):
        return ("energy", "peak")

    @property
    def default_taps(self):
        return ("energy",)

    def identity(self) -> EncoderIdentity:
        return EncoderIdentity(self.name, "none", True, {"scale": self.scale, "hop": self.hop})

    def encode_batch(self, audios, taps):
        self.calls += 1
        if self.fail_on_call is not None and self.calls == self.fail_on_call:
            raise RuntimeError("simulated crash")
        time.sleep(self.delay)
        return [{tap: self.frames(self.expected(audio, tap), 100.0, tap) for tap in taps} for audio in audios]

    def expected(self, audio: np.ndarray, tap: str) -> np.ndarray:
        n = int(np.ceil(len(audio) / self.hop))
        padded = np.zeros(n * self.hop, np.float32)
        padded[: len(audio)] = audio
        windows = padded.reshape(n, self.hop) * self.scale
        if tap == "energy":
            return np.stack([np.log(np.mean(windows**2, axis=1) + 1e-9), windows.mean(axis=1)], axis=1)
        return np.abs(windows).max(axis=1, keepdims=True)


@dataclass(frozen=True)
class FrameStatsSettings:
    scale: float = 1.0
    delay: float = 0.0


@register("framestats", settings=FrameStatsSettings)
def build_framestats(options, settings: FrameStatsSettings) -> FrameStatsEncoder:
    return FrameStatsEncoder(settings.scale, delay=settings.delay)


def write_tone_corpus(root, speakers=("alice", "bob", "carol"), per_speaker=3, rate=16000, seed=0):
    """Speaker folders of short seeded tones+noise wavs with distinct lengths; returns the file paths."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    paths = []
    for s, speaker in enumerate(speakers):
        (root / speaker).mkdir(parents=True, exist_ok=True)
        for u in range(per_speaker):
            n = int(rate * (0.3 + 0.17 * (s * per_speaker + u)))
            t = np.arange(n) / rate
            audio = 0.3 * np.sin(2 * np.pi * (120 + 60 * s) * t) + 0.01 * rng.standard_normal(n)
            path = root / speaker / f"{speaker}_{u}.wav"
            sf.write(path, audio.astype(np.float32), rate)
            paths.append(path)
    return paths


def write_pitch_corpus(root, pitches: dict[str, float], per_speaker: int, rate: int = 16000):
    """Speaker folders of half-second files, each speaker a tone of its own pitch (1 % higher per file)
    plus seeded noise: ``<speaker>/u<i>.wav``."""
    import soundfile as sf

    rng = np.random.default_rng(0)
    t = np.arange(rate // 2) / rate
    for speaker, pitch in pitches.items():
        (root / speaker).mkdir()
        for i in range(per_speaker):
            audio = 0.3 * np.sin(2 * np.pi * pitch * (1 + 0.01 * i) * t) + 0.05 * rng.normal(size=t.size)
            sf.write(root / speaker / f"u{i}.wav", audio.astype(np.float32), rate)
    return root
