"""A trained adapter from ``codecprobe train`` as the window model of the adapter pipeline.

The checkpoint rebuilds its own input encoders (each checked to be the very encoder it
was trained on: same weights identity and settings) and fuses their taps onto its frame
grid as it did in training (:meth:`DiarizationModule.fuse`). For each recording every
input tap comes from the latent store when it holds that recording's frames for that
encoder (same identity, tap and audio fingerprint: run ``codecprobe extract`` on the
corpus first), else it is encoded block by block (:mod:`~codecprobe.diarize.long_audio`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codecprobe.diarize.long_audio import audio_blocks, encode_long
from codecprobe.diarize.recordings import Recording
from codecprobe.errors import InputError


class CheckpointModel:
    def __init__(self, path: str, device: str = "cpu", store: str | None = None):
        from codecprobe.adapter.module import DiarizationModule
        from codecprobe.train import load_module

        if not Path(path).is_file():
            raise InputError(f"{path}: no such checkpoint")
        try:
            module = load_module(path)
        except InputError:  # a file that is no checkpoint: said in one line already
            raise
        except Exception as error:  # torch and Lightning raise many types for a file that is not theirs
            reason = (str(error).strip().splitlines() or [""])[0][:200]
            raise InputError(f"{path}: not a checkpoint from `codecprobe train` ({type(error).__name__}: {reason})") from None
        if not isinstance(module, DiarizationModule):
            raise InputError(f"{path}: a {type(module).__name__} checkpoint, not a diarization adapter")
        self.path, self.module, self.store = str(path), module.to(device).eval(), store
        self.inputs = module.input_encoders(device)  # InputError when an encoder is not the one it trained on
        self.frame_rate = module.frame_rate
        self.window_frames = module.window_frames
        self.input_ratio = module.input_ratio
        self.n_local = module.n_local
        self.trained = module.trained_encoders
        self.from_store: list[str] = []  # the last recording's taps read from the store rather than encoded

    def describe(self) -> dict:
        return {"checkpoint": self.path, **self.module.describe()}

    def features(self, recording: Recording, block_s: float) -> np.ndarray:
        from codecprobe.train.grid import grid_frames

        taps, self.from_store = [], []
        for encoder, source in self.inputs:
            frames = self._stored(recording, source)
            if frames is None:
                sequence = encode_long(encoder, audio_blocks(recording.path, encoder.sample_rate, block_s), [source.tap])
                frames = (sequence[source.tap].frames, sequence[source.tap].frame_rate)
            taps.append(frames)
        return self.module.fuse(taps, grid_frames(recording.duration, self.frame_rate))

    def predict(self, windows: np.ndarray) -> np.ndarray:
        return self.module.predict(windows)

    def _stored(self, recording: Recording, source) -> tuple[np.ndarray, float] | None:
        """``(frames, frame_rate)`` of this recording and tap from the store, if it holds them for this audio."""
        if self.store is None or not (Path(self.store) / "index.sqlite").exists():
            return None
        from codecprobe.extract.pipeline import source_fingerprint
        from codecprobe.store import open_store

        with open_store(self.store) as store:
            if store.fingerprints(source.identity, source.tap).get(recording.id) != source_fingerprint(
                    recording.path, 0.0, recording.duration):
                return None
            frames = store.read(recording.id, source.identity, source.tap)
            rate = store.frame_rate(source.identity, source.tap)
        self.from_store.append(f"{source.identity.encoder}:{source.tap}")
        return frames, rate
