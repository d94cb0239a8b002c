"""The data model every stage passes along.

We use lhotse's own classes: a :class:`lhotse.Recording` per audio file and a
:class:`lhotse.SupervisionSegment` per speaker-labelled span (with optional text).
A :class:`Corpus` bundles the two sets with where they came from, and says what the
encoder should see: the segments themselves (utterance corpora, for verification) or
whole recordings (conversation corpora, for diarization). On disk a corpus is a pair of
lhotse manifests (``recordings.jsonl.gz``, ``supervisions.jsonl.gz``) plus ``corpus.json``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lhotse import Recording, RecordingSet, SupervisionSegment, SupervisionSet
from lhotse.audio import AudioSource

from codecprobe.audio import audio_info
from codecprobe.report.files import atomic_write_text


@dataclass
class Corpus:
    name: str
    root: Path
    layout: str
    recordings: RecordingSet
    supervisions: SupervisionSet
    whole_recordings: bool = False  # True: encode each recording whole (diarization corpora)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) of unreadable files

    def __post_init__(self) -> None:
        for segment in self.supervisions:
            if segment.recording_id not in self.recordings:
                raise ValueError(f"segment {segment.id} refers to unknown recording {segment.recording_id}")

    # -- what gets encoded ---------------------------------------------------
    def segments(self) -> list[SupervisionSegment]:
        """The spans an encoder sees: the supervisions, or one span per whole recording."""
        if not self.whole_recordings:
            return list(self.supervisions)
        return [
            SupervisionSegment(id=r.id, recording_id=r.id, start=0.0, duration=r.duration)
            for r in self.recordings
        ]

    def audio_path(self, recording_id: str) -> str:
        return self.recordings[recording_id].sources[0].source

    def speakers(self) -> list[str]:
        return sorted({s.speaker for s in self.supervisions if s.speaker is not None})

    @property
    def hours(self) -> float:
        return sum(s.duration for s in self.segments()) / 3600

    # -- manifests on disk ---------------------------------------------------
    def save(self, directory: str | os.PathLike) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.recordings.to_file(directory / "recordings.jsonl.gz")
        self.supervisions.to_file(directory / "supervisions.jsonl.gz")
        meta = {"name": self.name, "root": str(self.root), "layout": self.layout,
                "whole_recordings": self.whole_recordings, "failures": self.failures}
        atomic_write_text(directory / "corpus.json", json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "Corpus":
        directory = Path(directory)
        meta = json.loads((directory / "corpus.json").read_text())
        return cls(
            name=meta["name"], root=Path(meta["root"]), layout=meta["layout"],
            recordings=RecordingSet.from_file(directory / "recordings.jsonl.gz").to_eager(),
            supervisions=SupervisionSet.from_file(directory / "supervisions.jsonl.gz").to_eager(),
            whole_recordings=meta["whole_recordings"],
            failures=[tuple(f) for f in meta["failures"]],
        )


def source_of(segment: SupervisionSegment) -> str:
    """The original recording a segment comes from: ``custom["source"]`` where a loader knows
    more than the file (VoxCeleb utterances cut from one video), else its recording id."""
    return (segment.custom or {}).get("source", segment.recording_id)


def make_recording(recording_id: str, path: str | os.PathLike) -> Recording:
    """A lhotse Recording from a file header (soundfile; raises AudioError for bad files).

    The source path is made absolute, so saved manifests work from any folder.
    """
    info = audio_info(path)
    return Recording(
        id=recording_id,
        sources=[AudioSource(type="file", channels=list(range(info.num_channels)), source=os.path.abspath(path))],
        sampling_rate=info.sampling_rate,
        num_samples=info.num_samples,
        duration=info.duration,
    )


def segment_id_for_path(relative_path: str) -> str:
    """The id a file gets from its path relative to the corpus root, without extension.

    Trial lists name files by relative path (``id10270/5r0dWxy17C8/00001.wav``); this is
    how such a name maps onto a segment id (``id10270/5r0dWxy17C8/00001``).
    """
    path = PurePosixPath(relative_path.replace(os.sep, "/"))
    return str(path.with_suffix("")) if path.suffix else str(path)
