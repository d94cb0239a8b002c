"""RTTM reading and writing: speaker turns as :class:`~codecprobe.data.turns.Turns` per recording.

An RTTM ``SPEAKER`` line is ``SPEAKER <file> <chnl> <onset> <dur> <NA> <NA> <speaker> <NA> <NA>``;
readers return ``{recording_id: Turns}`` (the RTTM file id is the recording id).

Validation follows md-eval where it is defined and is strict by default: a malformed
line raises :class:`InputError` naming the file and line. With ``strict=False`` such
lines are skipped and listed in ``Problems``; a line with more than 10 fields (a
speaker name with a space) is then read as md-eval reads it: the 8th field is the
speaker. Zero-length turns are kept (md-eval scores no speech for them, but a
reference one still gets a collar). File ids are taken verbatim (dots included).
Times are written with :data:`RTTM_DIGITS` decimals (milliseconds, as dscore and pyannote write them).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from codecprobe.data.turns import Turns, concatenate
from codecprobe.errors import InputError

# RTTM record types md-eval knows; only SPEAKER records matter for diarization.
KNOWN_TYPES = frozenset({"SEGMENT", "NOSCORE", "NO_RT_METADATA", "LEXEME", "NON-LEX", "NON-SPEECH",
                         "FILLER", "EDIT", "IP", "SU", "CB", "A/P", "SPEAKER", "SPKR-INFO"})
RTTM_DIGITS = 3


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


def parse_time(text: str, what: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{where}: {what} {text!r} must be a finite number >= 0")
    return value


def read_rttm(path: str | os.PathLike, strict: bool = True, problems: Problems | None = None) -> dict[str, Turns]:
    """Read the SPEAKER turns of one RTTM file as ``{recording_id: Turns}``.

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
    return {fid: Turns.build(fid, *cols) for fid, cols in columns.items()}


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
        onset = parse_time(fields[3], "onset", where)
        duration = parse_time(fields[4], "duration", where)
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
               problems: Problems | None = None) -> dict[str, Turns]:
    """Read RTTM files and folders of them; turns of one file id are pooled across files."""
    merged: dict[str, list[Turns]] = {}
    for path in rttm_paths(paths, problems):
        for fid, turns in read_rttm(path, strict, problems).items():
            merged.setdefault(fid, []).append(turns)
    return {fid: concatenate(parts) for fid, parts in merged.items()}


def read_segments(path: str | os.PathLike) -> Turns:
    """pyAudioAnalysis ``.segments`` references: ``start<TAB>end<TAB>speaker`` per line, recording id = stem."""
    path = Path(path)
    starts, durations, speakers = [], [], []
    for number, line in enumerate(read_lines(path, "segments"), start=1):
        if not line.strip():
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        try:
            start, end, speaker = float(fields[0]), float(fields[1]), fields[2].strip()
        except (ValueError, IndexError):
            raise InputError(f"{path}:{number}: expected start<TAB>end<TAB>speaker, got {line!r}") from None
        if not 0 <= start <= end < math.inf:
            raise InputError(f"{path}:{number}: a turn must have 0 <= start <= end < inf, got {start} - {end}")
        starts.append(start)
        durations.append(end - start)
        speakers.append(speaker)
    return Turns.build(path.stem, starts, durations, speakers)


def format_rttm(segmentation: dict[str, Turns], digits: int = RTTM_DIGITS) -> str:
    """RTTM text of ``{recording_id: Turns}``, recordings sorted by id, turns in their order."""
    lines = []
    for rid in sorted(segmentation):
        for turn in segmentation[rid]:
            if any(ch.isspace() for ch in turn.speaker + rid) or not turn.speaker or not rid:
                raise InputError(f"file {rid!r} speaker {turn.speaker!r}: RTTM ids cannot be empty or contain spaces")
            lines.append(f"SPEAKER {rid} 1 {turn.start:.{digits}f} {turn.duration:.{digits}f} "
                         f"<NA> <NA> {turn.speaker} <NA> <NA>")
    return "".join(line + "\n" for line in lines)


def write_rttm(path: str | os.PathLike, segmentation: dict[str, Turns], digits: int = RTTM_DIGITS) -> None:
    from codecprobe.report import atomic_write_text

    atomic_write_text(path, format_rttm(segmentation, digits))
