"""RTTM speaker turns: a small ``Turn`` record and a columnar per-file container.

An RTTM ``SPEAKER`` line is ``SPEAKER <file> <chnl> <onset> <dur> <NA> <NA> <speaker> <NA> <NA>``.
Readers return ``{file_id: FileTurns}``; ``FileTurns`` keeps times in numpy columns so
that millions of turns cost tens of bytes each, not a Python object each.

Validation follows md-eval where it is defined and is strict by default: a malformed
line raises :class:`InputError` naming the file and line. With ``strict=False`` such
lines are skipped and listed in ``Problems``; a line with more than 10 fields (a
speaker name with a space) is then read as md-eval reads it: the 8th field is the
speaker. Zero-length turns are kept (md-eval scores no speech for them, but a
reference one still gets a collar). File ids are taken verbatim (dots included).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from codecprobe.errors import InputError

# RTTM record types md-eval knows; only SPEAKER records matter for diarization.
KNOWN_TYPES = frozenset({"SEGMENT", "NOSCORE", "NO_RT_METADATA", "LEXEME", "NON-LEX", "NON-SPEECH",
                         "FILLER", "EDIT", "IP", "SU", "CB", "A/P", "SPEAKER", "SPKR-INFO"})


@dataclass(frozen=True, slots=True)
class Turn:
    file_id: str
    onset: float
    duration: float
    speaker: str

    @property
    def offset(self) -> float:
        return self.onset + self.duration


@dataclass
class FileTurns:
    """All turns of one file: float64 ``onset``/``duration``, int ``speaker`` codes into ``labels``."""

    file_id: str
    onset: np.ndarray
    duration: np.ndarray
    speaker: np.ndarray
    labels: list[str]

    @property
    def offset(self) -> np.ndarray:
        return self.onset + self.duration

    def __len__(self) -> int:
        return len(self.onset)

    def __iter__(self) -> Iterator[Turn]:
        for onset, duration, code in zip(self.onset.tolist(), self.duration.tolist(), self.speaker.tolist()):
            yield Turn(self.file_id, onset, duration, self.labels[code])

    @classmethod
    def build(cls, file_id: str, onset, duration, speakers: Iterable[str]) -> "FileTurns":
        labels, codes = np.unique(np.asarray(list(speakers), dtype=object).astype(str), return_inverse=True)
        return cls(file_id, np.asarray(onset, dtype=np.float64), np.asarray(duration, dtype=np.float64),
                   codes.astype(np.int64).reshape(-1), [str(x) for x in labels])


def group_turns(turns: Iterable[Turn]) -> dict[str, FileTurns]:
    """Turns (any order, any files) to ``{file_id: FileTurns}``."""
    columns: dict[str, tuple[list, list, list]] = {}
    for turn in turns:
        onsets, durations, speakers = columns.setdefault(turn.file_id, ([], [], []))
        onsets.append(turn.onset)
        durations.append(turn.duration)
        speakers.append(turn.speaker)
    return {fid: FileTurns.build(fid, *cols) for fid, cols in columns.items()}


@dataclass
class Problems:
    """What the reader skipped or found odd, as ``path[:line]: reason``, to print as warnings: lines
    skipped (or read md-eval's way) in lenient mode, folders without a single RTTM."""

    messages: list[str] = field(default_factory=list)


def data_lines(path: str | os.PathLike, kind: str) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` for every line of a text file that is not empty or a comment."""
    for number, line in enumerate(read_lines(path, kind), start=1):
        fields = line.split()
        if not _blank_or_comment(fields):
            yield number, fields


def read_lines(path: str | os.PathLike, kind: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read {kind} ({error})") from None


def _blank_or_comment(fields: list[str]) -> bool:
    return not fields or fields[0].startswith((";", "#"))


def skip_or_raise(error: InputError, strict: bool, problems: Problems | None) -> None:
    """Strict mode raises a bad line's error; lenient mode records it (if asked) and goes on."""
    if strict:
        raise error
    if problems is not None:
        problems.messages.append(str(error))


def _parse_time(text: str, what: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{where}: {what} {text!r} must be a finite number >= 0")
    return value


def read_rttm(path: str | os.PathLike, strict: bool = True, problems: Problems | None = None) -> dict[str, FileTurns]:
    """Read the SPEAKER turns of one RTTM file as ``{file_id: FileTurns}``.

    A plain, valid SPEAKER line costs one comparison chain; anything else (blank lines and
    comments too) goes through every check in :func:`_speaker_times`, which names the line.
    Reading is a third of ``codecprobe score``'s time on large sets, so the loop is kept lean.
    """
    columns: dict[str, tuple[list, list, list]] = {}
    for number, line in enumerate(read_lines(path, "RTTM"), start=1):
        fields = line.split()
        try:
            onset, duration = float(fields[3]), float(fields[4])
            plain = (fields[0] == "SPEAKER" and 9 <= len(fields) <= 10 and 0 <= onset < math.inf
                     and 0 <= duration < math.inf and onset + duration < math.inf)
        except (ValueError, IndexError):
            plain = False
        if not plain:
            times = _speaker_times(fields, f"{path}:{number}", strict, problems)
            if times is None:
                continue
            onset, duration = times
        turns = columns.get(fields[1])
        if turns is None:
            turns = columns[fields[1]] = ([], [], [])
        turns[0].append(onset)
        turns[1].append(duration)
        turns[2].append(fields[7])
    return {fid: FileTurns.build(fid, *cols) for fid, cols in columns.items()}


def _speaker_times(fields: list[str], where: str, strict: bool, problems: Problems | None) -> tuple[float, float] | None:
    """Onset and duration of a SPEAKER line; None for blank lines, comments, other records and (lenient)
    skipped lines."""
    if _blank_or_comment(fields):
        return None
    try:
        if fields[0].upper() not in KNOWN_TYPES:
            raise InputError(f"{where}: unknown RTTM record type {fields[0]!r}")
        if fields[0].upper() != "SPEAKER":
            return None
        if len(fields) < 9:
            raise InputError(f"{where}: a SPEAKER line needs at least 9 fields, found {len(fields)}")
        onset = _parse_time(fields[3], "onset", where)
        duration = _parse_time(fields[4], "duration", where)
        if not math.isfinite(onset + duration):
            raise InputError(f"{where}: onset {fields[3]} + duration {fields[4]} overflows")
        if len(fields) > 10:  # kept in lenient mode, as md-eval keeps it
            skip_or_raise(InputError(f"{where}: {len(fields)} fields (a speaker name with a space?); "
                                     f"md-eval reads the speaker as {fields[7]!r}"), strict, problems)
    except InputError as error:
        skip_or_raise(error, strict, problems)
        return None
    return onset, duration


def rttm_paths(paths: Iterable[str | os.PathLike], problems: Problems | None = None) -> list[Path]:
    """Expand folders to the ``*.rttm`` files inside them (sorted); a folder with none is a problem."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(path.rglob("*.rttm"))
            if not inside and problems is not None:
                problems.messages.append(f"{path}: folder holds no .rttm files")
            found.extend(inside)
        elif path.exists():
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return found


def read_rttms(paths: Iterable[str | os.PathLike], strict: bool = True,
               problems: Problems | None = None) -> dict[str, FileTurns]:
    """Read RTTM files and folders of them; turns of one file id are pooled across files."""
    merged: dict[str, list[FileTurns]] = {}
    for path in rttm_paths(paths, problems):
        for fid, turns in read_rttm(path, strict, problems).items():
            merged.setdefault(fid, []).append(turns)
    return {fid: concatenate(parts) for fid, parts in merged.items()}


def concatenate(parts: list[FileTurns]) -> FileTurns:
    if len(parts) == 1:
        return parts[0]
    labels = [part.labels[code] for part in parts for code in part.speaker.tolist()]
    return FileTurns.build(parts[0].file_id, np.concatenate([p.onset for p in parts]),
                           np.concatenate([p.duration for p in parts]), labels)


def format_rttm(segmentation: dict[str, FileTurns], digits: int = 3) -> str:
    lines = []
    for fid in sorted(segmentation):
        for turn in segmentation[fid]:
            if any(ch.isspace() for ch in turn.speaker + turn.file_id) or not turn.speaker or not fid:
                raise InputError(f"file {fid!r} speaker {turn.speaker!r}: RTTM ids cannot be empty or contain spaces")
            lines.append(f"SPEAKER {fid} 1 {turn.onset:.{digits}f} {turn.duration:.{digits}f} "
                         f"<NA> <NA> {turn.speaker} <NA> <NA>")
    return "".join(line + "\n" for line in lines)


def write_rttm(path: str | os.PathLike, segmentation: dict[str, FileTurns], digits: int = 3) -> None:
    from codecprobe.report import atomic_write_text

    atomic_write_text(path, format_rttm(segmentation, digits))
