"""Latent sequences of known structure, for the tests and ``bench/structure.py``.

``cyclic``: every utterance walks a closed path through ``corners`` points in steps of
``1/steps`` of a side, from a random place on it, plus white noise. The hidden cluster is the
side the walk is on, and the dynamics are a function of it (the side's direction), so a key
that recovers the place on the path predicts them: the gate must PASS. With
``shared=False`` each speaker walks its own path: the structure is real but speaker-specific,
so keys fitted on other speakers do not transfer. ``iid``: white noise, no structure: FAIL.
Energies are independent of everything (a random half of the frames is "high-energy").
"""
from __future__ import annotations

from typing import Literal

import numpy as np

from codecprobe.structure.analysis import SpeakerSplit
from codecprobe.structure.frames import ArrayFrames


def generate(kind: Literal["cyclic", "iid"], speakers: int = 10, utterances: int = 4, frames: int = 200,
             dim: int = 8, corners: int = 6, steps: int = 10, noise: float = 0.05, shared: bool = True,
             train_speakers: int | None = None, seed: int = 0) -> tuple[ArrayFrames, SpeakerSplit]:
    """Utterances ``spk{s}/utt{u}`` and a split: the first ``train_speakers`` (default 80 %) speakers train."""
    rng = np.random.default_rng(seed)
    common = rng.standard_normal((corners, dim))
    data, speaker_of = {}, {}
    for s in range(speakers):
        path = common if shared else rng.standard_normal((corners, dim))
        for u in range(utterances):
            uid = f"spk{s}/utt{u}"
            if kind == "iid":
                z = rng.standard_normal((frames, dim))
            else:
                place = (rng.integers(corners * steps) + np.arange(frames)) % (corners * steps)
                side, progress = place // steps, (place % steps)[:, None] / steps
                z = (1 - progress) * path[side] + progress * path[(side + 1) % corners]
                z = z + noise * rng.standard_normal((frames, dim))
            data[uid] = (z.astype(np.float32), rng.normal(-30, 10, frames).astype(np.float32))
            speaker_of[uid] = f"spk{s}"
    n_train = int(round(0.8 * speakers)) if train_speakers is None else train_speakers
    ids = sorted(data)
    train = [i for i in ids if int(speaker_of[i][3:]) < n_train]
    held_out = [i for i in ids if int(speaker_of[i][3:]) >= n_train]
    return ArrayFrames(data), SpeakerSplit(train, held_out, speaker_of)
