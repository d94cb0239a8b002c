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

from typing import Iterator, Literal

import numpy as np

from codecprobe.structure.analysis import SpeakerSplit
from codecprobe.structure.frames import ArrayFrames


def utterances(kind: Literal["cyclic", "iid"], speakers: int = 10, per_speaker: int = 4, frames: int = 200,
               dim: int = 8, corners: int = 6, steps: int = 10, noise: float = 0.05, shared: bool = True,
               seed: int = 0) -> Iterator[tuple[str, str, np.ndarray, np.ndarray]]:
    """``(id, speaker, frames [frames, dim], energy_db [frames])`` one utterance at a time."""
    rng = np.random.default_rng(seed)
    common = rng.standard_normal((corners, dim))
    for s in range(speakers):
        path = common if shared else rng.standard_normal((corners, dim))
        for u in range(per_speaker):
            if kind == "iid":
                z = rng.standard_normal((frames, dim))
            else:
                place = (rng.integers(corners * steps) + np.arange(frames)) % (corners * steps)
                side, progress = place // steps, (place % steps)[:, None] / steps
                z = (1 - progress) * path[side] + progress * path[(side + 1) % corners]
                z = z + noise * rng.standard_normal((frames, dim))
            yield f"spk{s}/utt{u}", f"spk{s}", z.astype(np.float32), rng.normal(-30, 10, frames).astype(np.float32)


def speaker_split(speaker_of: dict[str, str], train_speakers: int) -> SpeakerSplit:
    """Speakers ``spk0`` .. ``spk{train_speakers - 1}`` train, the others are held out."""
    ids = sorted(speaker_of)
    train = [i for i in ids if int(speaker_of[i][3:]) < train_speakers]
    return SpeakerSplit(train, [i for i in ids if i not in set(train)], speaker_of)


def generate(kind: Literal["cyclic", "iid"], speakers: int = 10, train_speakers: int | None = None,
             **options) -> tuple[ArrayFrames, SpeakerSplit]:
    """Every utterance in memory, and a split: the first ``train_speakers`` (default 80 %) speakers train."""
    data, speaker_of = {}, {}
    for uid, speaker, z, energy in utterances(kind, speakers, **options):
        data[uid] = (z, energy)
        speaker_of[uid] = speaker
    n_train = int(round(0.8 * speakers)) if train_speakers is None else train_speakers
    return ArrayFrames(data), speaker_split(speaker_of, n_train)
