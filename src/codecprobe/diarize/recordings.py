"""What ``codecprobe diarize`` reads and what it hands back per recording.

Inputs are audio files or corpora in any layout the project loads (every recording of
a corpus is diarized whole). Everything is checked before any work: a missing path or
two recordings with one id stop the run; an unreadable audio file is listed as a
failure and the batch goes on.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from codecprobe.audio import AudioError, audio_info
from codecprobe.errors import InputError
from codecprobe.data.turns import Turns

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")


@dataclass(frozen=True)
class Recording:
    id: str  # RTTM file id (no whitespace)
    path: str
    duration: float  # seconds
    corpus: str = ""  # the corpus, or the folder of a file given alone: reports name it beside the id

    @property
    def name(self) -> str:
        """The id with its corpus, as reports show it: ``sample`` alone says nothing (issue 18 item 9)."""
        return display_name(self.id, self.corpus)


def display_name(recording_id: str, corpus: str) -> str:
    """A recording id as reports show it: with its corpus, unless the id already names it.

    >>> display_name("sample", "pyannote-sample"), display_name("ES2004a", "ami-ES2004a"), display_name("x", "")
    ('sample (pyannote-sample)', 'ES2004a (ami-ES2004a)', 'x')
    >>> display_name("pyannote-sample/sample", "pyannote-sample")
    'pyannote-sample/sample'
    """
    return f"{recording_id} ({corpus})" if corpus and corpus not in recording_id else recording_id


@dataclass
class RecordingResult:
    recording: Recording
    turns: Turns
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per stage
    n_speakers: int = 0
    speech_s: float = 0.0  # seconds with at least one speaker in the output
    notes: list[str] = field(default_factory=list)  # why an RTTM is empty, fallbacks taken

    @property
    def real_time_factor(self) -> float:
        """Audio seconds per wall-clock second (higher is faster)."""
        total = sum(self.seconds.values())
        return self.recording.duration / total if total > 0 else float("nan")

    def to_dict(self) -> dict:
        return {"id": self.recording.id, "corpus": self.recording.corpus, "path": self.recording.path,
                "duration_s": self.recording.duration,
                "n_speakers": self.n_speakers, "n_turns": len(self.turns), "speech_s": self.speech_s,
                "seconds": self.seconds, "real_time_factor": self.real_time_factor, "notes": self.notes}


def empty_result(recording: Recording, note: str, seconds: dict | None = None) -> RecordingResult:
    return RecordingResult(recording, Turns.empty(recording.id), dict(seconds or {}), notes=[note])


def collect_recordings(inputs: list[str | Path], layout: str | None = None) -> tuple[list[Recording], list[tuple[str, str]]]:
    """Recordings of the given audio files and corpora, and ``(path, reason)`` of unreadable files."""
    from codecprobe.data import load_corpus

    recordings: dict[str, Recording] = {}
    failures: list[tuple[str, str]] = []

    def add(recording_id: str, path: str, source: Path, corpus: str) -> None:
        rid = rttm_id(recording_id)
        if rid in recordings:
            raise InputError(f"{source}: a second recording with id {rid!r} (first: {recordings[rid].path}); "
                             f"give the files separately or rename one")
        try:
            recordings[rid] = Recording(rid, path, audio_info(path).duration, corpus)
        except AudioError as error:
            failures.append((error.path, error.reason))

    for given in map(Path, inputs):
        if not given.exists():
            raise InputError(f"{given}: no such audio file or corpus")
        if given.is_file() and given.suffix.lower() in AUDIO_SUFFIXES:
            add(given.stem, str(given), given, given.absolute().parent.name)
            continue
        corpus = load_corpus(given, layout)
        failures += list(corpus.failures)
        for recording in corpus.recordings:
            add(recording.id, corpus.audio_path(recording.id), given, corpus.name)
    return list(recordings.values()), failures


def rttm_id(name: str) -> str:
    """A recording name as an RTTM file id: whitespace becomes ``_`` (RTTM fields are space-separated).

    >>> rttm_id("meeting 1/part a")
    'meeting_1/part_a'
    """
    return re.sub(r"\s+", "_", name.strip()) or "recording"


def speech_seconds(on: np.ndarray, frame_s: float) -> float:
    """Seconds with at least one speaker on."""
    return float(on.any(axis=1).sum() * frame_s) if on.size else 0.0
