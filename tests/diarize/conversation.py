"""Recordings with a known answer for the diarization tests: utterances of known speakers in turns."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from codecprobe.audio import read_audio
from codecprobe.data import Turns

RATE = 16000


def write_conversation(folder: Path, utterances: dict[str, list[Path]], name: str = "conversation",
                       n_turns: int = 12, overlap_s: float = 0.0, seed: int = 0) -> tuple[Path, Turns]:
    """``folder/<name>.wav``: ``n_turns`` turns, each a whole utterance of the next speaker, and its reference.

    The speaker changes at every turn (seeded order) and each speaker's utterances are
    used in turn. Pauses are 0.3-0.8 s; with ``overlap_s``, every other change of
    speaker overlaps the previous turn by that much instead. A turn's reference span is
    its utterance trimmed of leading and trailing silence (below 1 % of its peak).
    """
    rng = np.random.default_rng(seed)
    speakers = sorted(utterances)
    order = [int(rng.integers(len(speakers)))]
    while len(order) < n_turns:
        step = int(rng.integers(1, len(speakers))) if len(speakers) > 1 else 0
        order.append((order[-1] + step) % len(speakers))
    used = {speaker: 0 for speaker in speakers}
    pieces, onsets, durations, labels, cursor = [], [], [], [], 0.5
    for turn, index in enumerate(order):
        speaker = speakers[index]
        files = utterances[speaker]
        audio, _ = read_audio(files[used[speaker] % len(files)], target_rate=RATE)
        used[speaker] += 1
        loud = np.flatnonzero(np.abs(audio) > 0.01 * np.abs(audio).max())
        audio = audio[loud[0]:loud[-1] + 1]
        if turn and overlap_s and turn % 2 == 0:
            start = max(0.0, cursor - overlap_s)
        elif turn:
            start = cursor + rng.uniform(0.3, 0.8)
        else:
            start = cursor
        first = int(round(start * RATE))
        pieces.append((first, audio))
        onsets.append(first / RATE)
        durations.append(len(audio) / RATE)
        labels.append(speaker)
        cursor = (first + len(audio)) / RATE
    mix = np.zeros(int((cursor + 0.5) * RATE), np.float32)
    for first, audio in pieces:
        mix[first:first + len(audio)] += audio
    path = folder / f"{name}.wav"
    sf.write(path, mix, RATE)
    return path, Turns.build(name, np.round(onsets, 3), np.round(durations, 3), labels)


def librispeech_utterances(shared_data: Path, speakers: list[str], per_speaker: int = 6) -> dict[str, list[Path]]:
    """The first utterances of some LibriSpeech test-other speakers (``../shared/data``)."""
    root = shared_data / "librispeech-test-other"
    return {speaker: sorted((root / speaker).rglob("*.flac"))[:per_speaker] for speaker in speakers}
