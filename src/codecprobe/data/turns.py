"""Speaker turns, the time data model every stage passes along: who speaks when in a recording.

A :class:`Turn` is one span of one speaker: a recording id, a start and a duration in seconds
(``end`` = start + duration), and a speaker label. :class:`Turns` holds all turns of one
recording in numpy columns (``start``, ``duration``, ``code`` into ``labels``), so that millions
of turns cost tens of bytes each, not a Python object each; iterating it yields :class:`Turn`.
Both check their invariants when built (times finite and >= 0) and refuse bad ones with a
one-line :class:`~codecprobe.errors.InputError`. Turns may overlap, one speaker's own included
(RTTM allows it; the scorer merges them). Zero-length turns are allowed (RTTM has them).

    >>> turns = Turns.build("meeting1", [0.0, 1.5], [2.0, 1.0], ["alice", "bob"])
    >>> [(t.start, t.end, t.speaker) for t in turns]
    [(0.0, 2.0, 'alice'), (1.5, 2.5, 'bob')]

Conversions: :meth:`Turns.to_supervisions` / :meth:`Turns.from_supervisions` (lhotse),
:meth:`Turns.to_annotation` / :meth:`Turns.from_annotation` (pyannote.core); RTTM text is in
:mod:`codecprobe.data.rttm`, scoring regions (UEM) in :mod:`codecprobe.data.uem`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

from codecprobe.errors import InputError


def _check_times(recording_id: str, start: float, duration: float) -> None:
    if not (0 <= start < math.inf and 0 <= duration < math.inf):  # NaN fails every comparison
        raise InputError(f"recording {recording_id!r}: a turn needs a finite start >= 0 and duration >= 0, "
                         f"got start {start} duration {duration}")


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker's span in one recording, in seconds."""

    recording_id: str
    start: float
    duration: float
    speaker: str

    def __post_init__(self) -> None:
        _check_times(self.recording_id, self.start, self.duration)

    @property
    def end(self) -> float:
        return self.start + self.duration

    def to_dict(self) -> dict:
        return {"recording_id": self.recording_id, "start": self.start, "duration": self.duration,
                "speaker": self.speaker}

    @classmethod
    def from_dict(cls, data: dict) -> "Turn":
        return cls(data["recording_id"], float(data["start"]), float(data["duration"]), data["speaker"])


@dataclass
class Turns:
    """All turns of one recording: float64 ``start``/``duration``, int ``code`` into ``labels``."""

    recording_id: str
    start: np.ndarray
    duration: np.ndarray
    code: np.ndarray
    labels: list[str]

    def __post_init__(self) -> None:
        self.start = np.asarray(self.start, dtype=np.float64).reshape(-1)
        self.duration = np.asarray(self.duration, dtype=np.float64).reshape(-1)
        self.code = np.asarray(self.code, dtype=np.int64).reshape(-1)
        if not len(self.start) == len(self.duration) == len(self.code):
            raise InputError(f"recording {self.recording_id!r}: {len(self.start)} starts, {len(self.duration)} "
                             f"durations and {len(self.code)} speakers")
        with np.errstate(over="ignore", invalid="ignore"):
            bad = ~((self.start >= 0) & (self.duration >= 0) & np.isfinite(self.start + self.duration))
        if bad.any():
            i = int(np.argmax(bad))
            _check_times(self.recording_id, float(self.start[i]), float(self.duration[i]))
            raise InputError(f"recording {self.recording_id!r}: turn at {self.start[i]} s with duration "
                             f"{self.duration[i]} ends past any finite time")
        if len(self.code) and not 0 <= self.code.min() <= self.code.max() < len(self.labels):
            raise InputError(f"recording {self.recording_id!r}: speaker codes outside the {len(self.labels)} labels")

    @classmethod
    def build(cls, recording_id: str, start, duration, speakers: Iterable[str]) -> "Turns":
        """Turns from columns of starts, durations and speaker labels."""
        labels, codes = np.unique(np.asarray(list(speakers), dtype=object).astype(str), return_inverse=True)
        return cls(recording_id, start, duration, codes, [str(x) for x in labels])

    @classmethod
    def empty(cls, recording_id: str) -> "Turns":
        return cls.build(recording_id, [], [], [])

    @property
    def end(self) -> np.ndarray:
        return self.start + self.duration

    @property
    def speakers(self) -> list[str]:
        """The speaker label of every turn."""
        return [self.labels[c] for c in self.code.tolist()]

    def __len__(self) -> int:
        return len(self.start)

    def __iter__(self) -> Iterator[Turn]:
        for start, duration, speaker in zip(self.start.tolist(), self.duration.tolist(), self.speakers):
            yield Turn(self.recording_id, start, duration, speaker)

    def as_written(self, digits: int) -> "Turns":
        """The turns an RTTM written with ``digits`` decimals reads back as, to the last bit.

        Start and duration are each rounded as ``'%.{digits}f'`` prints them (Python's correctly
        rounded ``round``; :func:`round_half_like_python`), so that scoring these turns and scoring
        the written file agree.
        """
        return Turns(self.recording_id, round_half_like_python(self.start, digits),
                     round_half_like_python(self.duration, digits), self.code.copy(), list(self.labels))

    # -- dictionaries, lhotse, pyannote.core -----------------------------------
    def to_dict(self) -> dict:
        return {"recording_id": self.recording_id, "start": self.start.tolist(),
                "duration": self.duration.tolist(), "speaker": self.speakers}

    @classmethod
    def from_dict(cls, data: dict) -> "Turns":
        return cls.build(data["recording_id"], data["start"], data["duration"], data["speaker"])

    def to_supervisions(self) -> list:
        """One ``lhotse.SupervisionSegment`` per turn, with ids ``<recording id>-<index:06d>``."""
        from lhotse import SupervisionSegment

        return [SupervisionSegment(id=f"{self.recording_id}-{i:06d}", recording_id=self.recording_id,
                                   start=t.start, duration=t.duration, speaker=t.speaker)
                for i, t in enumerate(self)]

    @staticmethod
    def from_supervisions(supervisions: Iterable) -> dict[str, "Turns"]:
        """lhotse supervisions (any recordings, any order) as ``{recording_id: Turns}``."""
        return group_turns(Turn(s.recording_id, s.start, s.duration, s.speaker) for s in supervisions)

    def to_annotation(self):
        """A ``pyannote.core.Annotation`` (uri = recording id); each turn is its own track, so a
        speaker's overlapping or repeated turns all survive."""
        from pyannote.core import Annotation, Segment

        annotation = Annotation(uri=self.recording_id)
        for i, turn in enumerate(self):
            annotation[Segment(turn.start, turn.end), i] = turn.speaker
        return annotation

    @classmethod
    def from_annotation(cls, annotation, recording_id: str | None = None) -> "Turns":
        """Turns of a ``pyannote.core.Annotation`` (recording id: its uri unless given), sorted by start."""
        rows = [(segment.start, segment.end - segment.start, str(label))
                for segment, _, label in annotation.itertracks(yield_label=True)]
        recording_id = recording_id if recording_id is not None else annotation.uri
        if recording_id is None:
            raise InputError("a pyannote annotation without a uri needs a recording id")
        return cls.build(recording_id, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def group_turns(turns: Iterable[Turn]) -> dict[str, Turns]:
    """Turns (any order, any recordings) as ``{recording_id: Turns}``."""
    columns: dict[str, tuple[list, list, list]] = {}
    for turn in turns:
        starts, durations, speakers = columns.setdefault(turn.recording_id, ([], [], []))
        starts.append(turn.start)
        durations.append(turn.duration)
        speakers.append(turn.speaker)
    return {rid: Turns.build(rid, *cols) for rid, cols in columns.items()}


def concatenate(parts: list[Turns]) -> Turns:
    """The turns of several collections of one recording, in one."""
    if len(parts) == 1:
        return parts[0]
    return Turns.build(parts[0].recording_id, np.concatenate([p.start for p in parts]),
                       np.concatenate([p.duration for p in parts]), [s for p in parts for s in p.speakers])


def round_half_like_python(x, digits: int) -> np.ndarray:
    """``round(v, digits)`` of every value, which is what ``'%.{digits}f' % v`` prints (dscore writes
    md-eval's input with ``'%.3f' % round(v, 3)``).

    ``np.round`` scales by ``10**digits`` first, which can tip a value that lies just above
    a tie onto it (3.0005 is stored as 3.000500000000000078: Python gives 3.001, numpy 3.0).
    Away from ties both agree; only the few values near a tie are rounded by Python.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.round(x, digits)
    scaled = x * 10.0 ** digits
    near_tie = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if near_tie.any():
        out[near_tie] = [round(v, digits) for v in x[near_tie].tolist()]
    return out
