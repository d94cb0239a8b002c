"""Conversations with references, and the windows the adapter trains and is evaluated on.

A :class:`Conversations` set is the recordings of a corpus with their reference turns
(from RTTM or any speaker-labelled supervisions); a corpus without a single speaker-labelled
turn is refused, naming the corpus. :class:`DiarizationWindows` serves windows of frames
from a :class:`~codecprobe.train.bank.FrameBank` with their targets on the label grid.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
from lhotse import Recording, RecordingSet, SupervisionSet
from torch.utils.data import Dataset

from codecprobe.data import Corpus, Turns, load_corpus
from codecprobe.errors import InputError
from codecprobe.train.bank import FrameBank
from codecprobe.train.grid import grid_frames
from codecprobe.train.labels import RecordingActivity, frame_activity, window_targets
from codecprobe.train.windows import window_starts


@dataclass
class Conversations:
    """Recordings and their reference turns (sorted by start, end, speaker), in the corpus's order."""

    name: str
    corpus: Corpus  # with whole_recordings set: each recording is one segment to encode
    recordings: list[Recording]
    turns: dict[str, Turns]

    def subset(self, ids: list[str], name: str) -> "Conversations":
        keep = set(ids)
        return Conversations(name, self.corpus, [r for r in self.recordings if r.id in keep],
                             {i: self.turns[i] for i in ids})

    def frames(self, rate: float) -> list[tuple[str, int]]:
        """``(recording id, grid frames)`` of every recording at ``rate`` Hz."""
        return [(r.id, grid_frames(r.duration, rate)) for r in self.recordings]

    def activities(self, rate: float) -> list[RecordingActivity]:
        return [frame_activity(r.id, self.turns[r.id], grid_frames(r.duration, rate), rate) for r in self.recordings]

    def reference(self, recording_id: str) -> Turns:
        return self.turns[recording_id]

    @property
    def speakers(self) -> set[str]:
        return {speaker for turns in self.turns.values() for speaker in turns.labels}

    @property
    def hours(self) -> float:
        return sum(r.duration for r in self.recordings) / 3600


def load_conversations(path: str, layout: str | None = None) -> Conversations:
    """A corpus's recordings with their speaker-labelled turns; recordings without any are left out,
    a corpus without any is an error. So is one of single-speaker files (speaker-folders, fsdd,
    librispeech, voxceleb), whose "turns" would be whole files labelled by their folder or name:
    a reference invented, not read."""
    corpus = load_corpus(path, layout)
    if not corpus.whole_recordings and corpus.layout != "manifest":
        raise InputError(f"{path}: no reference turns (read as layout {corpus.layout!r}: single-speaker files, each "
                         "labelled by its folder or name); a diarization corpus needs references: audio with "
                         "<id>.rttm files (--layout rttm, as `codecprobe simulate` writes) or a manifest")
    turns: dict[str, list[tuple[float, float, str]]] = {}
    for segment in corpus.supervisions:
        if segment.speaker is not None:
            turns.setdefault(segment.recording_id, []).append((segment.start, segment.end, segment.speaker))
    if not turns:
        raise InputError(f"{path}: no speaker-labelled turns (a diarization corpus needs reference turns: "
                         "RTTM, .segments, or supervisions with speakers)")
    recordings = [r for r in corpus.recordings if r.id in turns]
    whole = dataclasses.replace(
        corpus, whole_recordings=True, recordings=RecordingSet.from_recordings(recordings),
        supervisions=SupervisionSet.from_segments(s for s in corpus.supervisions if s.recording_id in turns))
    return Conversations(corpus.name, whole, recordings, {r.id: _sorted_turns(r.id, turns[r.id]) for r in recordings})


def _sorted_turns(recording_id: str, spans: list[tuple[float, float, str]]) -> Turns:
    """``(start, lhotse's end, speaker)`` spans as turns sorted by start, end and speaker; durations are
    ``end - start`` of lhotse's (8-digit rounded) end, as the references were always built."""
    spans = sorted(spans)
    return Turns.build(recording_id, [s[0] for s in spans], [s[1] - s[0] for s in spans], [s[2] for s in spans])


def load_training(config) -> tuple[Conversations, Conversations | None]:
    """A study config's training conversations and its validation ones: ``val_corpus``, or a seeded
    ``val_fraction`` of the training recordings (the config's ``train_*``, ``val_*`` and ``split_seed``)."""
    train = load_conversations(config.train_corpus, config.train_layout)
    if config.val_corpus:
        return train, load_conversations(config.val_corpus, config.val_layout)
    return split_conversations(train, config.val_fraction, config.split_seed)


def split_conversations(data: Conversations, fraction: float, seed: int) -> tuple[Conversations, Conversations | None]:
    """A seeded share of the recordings (at least one, if there are two or more) set aside for validation."""
    ids = [r.id for r in data.recordings]
    count = int(round(fraction * len(ids)))
    if fraction > 0 and len(ids) >= 2:
        count = min(max(count, 1), len(ids) - 1)
    if count == 0:
        return data, None
    held = set(np.random.default_rng(seed).permutation(ids)[:count].tolist())
    return (data.subset([i for i in ids if i not in held], data.name),
            data.subset([i for i in ids if i in held], f"{data.name} (validation)"))


class DiarizationWindows(Dataset):
    """Windows of input frames and their targets.

    ``bank`` holds the inputs at ``input_ratio`` times the label rate (2 for Mimi's 25 Hz
    layer taps under the 12.5 Hz labels); each item is a dict of ``features``
    ``[window * input_ratio, dim]``, ``targets`` ``[window, slots]`` and ``mask`` ``[window]``
    (False past the recording's end).
    """

    def __init__(self, bank: FrameBank, activities: list[RecordingActivity], window: int, step: int, slots: int,
                 input_ratio: int = 1):
        if [a.recording_id for a in activities] != bank.ids:
            raise ValueError("the activities do not follow the bank's recordings")
        self.bank, self.activities = bank, activities
        self.window, self.slots, self.input_ratio = window, slots, input_ratio
        self.windows = [(row, start) for row, activity in enumerate(activities)
                        for start in window_starts(len(activity.activity), window, step)]

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        row, start = self.windows[index]
        activity = self.activities[row].activity
        features = self.bank.window(row, start * self.input_ratio, self.window * self.input_ratio)
        targets, _ = window_targets(activity, start, self.window, self.slots)
        mask = np.arange(self.window) < len(activity) - start
        return {"features": torch.from_numpy(features), "targets": torch.from_numpy(targets),
                "mask": torch.from_numpy(mask)}

    def dropped_speakers(self) -> int:
        """Windows' active speakers that did not fit in the slots, summed (reported, not hidden)."""
        return sum(window_targets(self.activities[row].activity, start, self.window, self.slots)[1]
                   for row, start in self.windows)


def check_distinct_ids(sets: list[Conversations]) -> None:
    """Refuse two recordings with one id from different files: the latent store keeps one entry per
    segment id, so the second would replace the first's latents (and a bank could read the wrong ones)."""
    seen: dict[str, tuple[str, str]] = {}
    for conversations in sets:
        for recording in conversations.recordings:
            path = conversations.corpus.audio_path(recording.id)
            if seen.setdefault(recording.id, (conversations.name, path))[1] != path:
                name, other = seen[recording.id]
                raise InputError(f"recording id {recording.id!r} is {other} in {name} and {path} in "
                                 f"{conversations.name}: the latent store keeps one entry per id; give one set other "
                                 "ids (e.g. codecprobe simulate --set recording_prefix=...)")
