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
import re
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


def read_text(path: str | os.PathLike, kind: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read {kind} ({error})") from None


def data_lines(path: str | os.PathLike, kind: str, text: str | None = None) -> Iterator[tuple[str, list[str]]]:
    """``("file:line", fields)`` for every line of a text file that is not empty or a comment."""
    if text is None:
        text = read_text(path, kind)
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if fields and not fields[0].startswith((";", "#")):
            yield f"{path}:{number}", fields


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
    """Read the SPEAKER turns of one RTTM file as ``{file_id: FileTurns}``."""
    text = read_text(path, "RTTM")
    plain = _read_plain_speaker_lines(text)
    if plain is not None:
        return plain
    columns: dict[str, tuple[list, list, list]] = {}
    for where, fields in data_lines(path, "RTTM", text):
        try:
            if fields[0].upper() not in KNOWN_TYPES:
                raise InputError(f"{where}: unknown RTTM record type {fields[0]!r}")
            if fields[0].upper() != "SPEAKER":
                continue
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
            continue
        onsets, durations, speakers = columns.setdefault(fields[1], ([], [], []))
        onsets.append(onset)
        durations.append(duration)
        speakers.append(fields[7])
    return {fid: FileTurns.build(fid, *cols) for fid, cols in columns.items()}


# One SPEAKER record of exactly 10 fields on one line; groups: file id, onset, duration, speaker.
_PLAIN_SPEAKER = (r"[ \t]*SPEAKER[ \t]+(\S+)[ \t]+\S+[ \t]+(\S+)[ \t]+(\S+)[ \t]+\S+[ \t]+\S+[ \t]+(\S+)"
                  r"[ \t]+\S+[ \t]+\S+[ \t\r]*$")
_PLAIN_SPEAKER_LINE = re.compile("^" + _PLAIN_SPEAKER, re.MULTILINE)
# a line that is neither blank nor a plain SPEAKER record, or a line break other than \n and \r\n
# (str.splitlines() breaks lines there, a regex's ^ and $ do not)
_OTHER_LINE = re.compile(rf"^(?!{_PLAIN_SPEAKER}|[ \t\r]*$)|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]|\r(?!\n)",
                         re.MULTILINE)


def _read_plain_speaker_lines(text: str) -> dict[str, FileTurns] | None:
    """The common case at numpy speed: every non-blank line a valid 10-field SPEAKER record.

    Returns what the line-by-line reader would, or None when the text holds anything else
    (comments, other records, other field counts, a bad value); the line-by-line reader then
    reads it and, where it must, reports the line at fault.
    """
    if _OTHER_LINE.search(text):
        return None
    records = _PLAIN_SPEAKER_LINE.findall(text)
    if not records:
        return None
    file_ids, onsets, durations, speakers = zip(*records)
    try:
        onset = np.fromiter(map(float, onsets), dtype=np.float64, count=len(records))
        duration = np.fromiter(map(float, durations), dtype=np.float64, count=len(records))
    except ValueError:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        valid = np.isfinite(onset + duration) & (onset >= 0) & (duration >= 0)
    if not valid.all():
        return None
    names, first, which = np.unique(np.array(file_ids), return_index=True, return_inverse=True)
    speaker = np.array(speakers)
    order = np.argsort(which, kind="stable")  # line order within each file
    bounds = np.r_[0, np.cumsum(np.bincount(which, minlength=len(names)))]
    turns = {}
    for k in np.argsort(first).tolist():  # files in order of first appearance, as the line reader
        rows = order[bounds[k]:bounds[k + 1]]
        turns[str(names[k])] = FileTurns.build(str(names[k]), onset[rows], duration[rows], speaker[rows])
    return turns


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
