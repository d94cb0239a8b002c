"""UEM scoring regions: ``<file> <chnl> <onset> <offset>`` lines, several regions per file.

Regions are kept as an ``(n, 2)`` float array per file, sorted, with overlapping (not
merely touching) regions merged as dscore does. File ids are taken verbatim; md-eval
strips a directory and the first ``.ext`` from UEM ids and dscore the last one, which
silently un-matches ids that contain dots (see docs/scoring.md).
"""
from __future__ import annotations

import os

import numpy as np

from codecprobe.data.rttm import Problems, data_lines, parse_time, skip_or_raise
from codecprobe.data.turns import Turns
from codecprobe.errors import InputError

Uem = dict  # {recording_id: (n, 2) float64 array of [onset, offset) regions}


def merge_regions(regions: np.ndarray) -> np.ndarray:
    """Sort regions and merge those that overlap; touching regions stay apart (measure is the same)."""
    regions = np.asarray(regions, dtype=np.float64).reshape(-1, 2)
    regions = regions[np.argsort(regions[:, 0], kind="stable")]
    if len(regions) < 2:
        return regions
    ends = np.maximum.accumulate(regions[:, 1])
    starts_group = np.r_[True, regions[1:, 0] >= ends[:-1]]
    group = np.cumsum(starts_group) - 1
    out = np.empty((group[-1] + 1, 2))
    out[:, 0] = regions[starts_group, 0]
    out[:, 1] = np.maximum.reduceat(regions[:, 1], np.flatnonzero(starts_group))
    return out


def read_uem(path: str | os.PathLike, strict: bool = True, problems: Problems | None = None) -> Uem:
    regions: dict[str, list[tuple[float, float]]] = {}
    for number, fields in data_lines(path, "UEM"):
        where = f"{path}:{number}"
        try:
            if len(fields) != 4:
                raise InputError(f"{where}: a UEM line has 4 fields (file chnl onset offset), found {len(fields)}")
            onset = parse_time(fields[2], "onset", where)
            offset = parse_time(fields[3], "offset", where)
            if offset <= onset:
                raise InputError(f"{where}: offset {offset} is not after onset {onset}")
        except InputError as error:
            skip_or_raise(error, strict, problems)
            continue
        regions.setdefault(fields[0], []).append((onset, offset))
    return {fid: merge_regions(np.array(r)) for fid, r in regions.items()}


def write_uem(path: str | os.PathLike, uem: Uem, digits: int = 3) -> None:
    from codecprobe.report import atomic_write_text

    lines = [f"{fid} 1 {on:.{digits}f} {off:.{digits}f}\n" for fid in sorted(uem) for on, off in uem[fid]]
    atomic_write_text(path, "".join(lines))


def default_uem(reference: dict[str, Turns], system: dict[str, Turns]) -> Uem:
    """dscore's default: per file, from the earliest onset to the latest offset of reference or system."""
    uem = {}
    for fid in sorted(set(reference) | set(system)):
        parts = [t for t in (reference.get(fid), system.get(fid)) if t is not None and len(t)]
        onset = min(float(t.start.min()) for t in parts)
        offset = max(float(t.end.max()) for t in parts)
        if offset > onset:
            uem[fid] = np.array([[onset, offset]])
    return uem


def to_timeline(regions: np.ndarray, uri: str | None = None):
    """A recording's scoring regions as a ``pyannote.core.Timeline``."""
    from pyannote.core import Segment, Timeline

    return Timeline([Segment(float(on), float(off)) for on, off in np.asarray(regions).reshape(-1, 2)], uri=uri)


def from_timeline(timeline) -> np.ndarray:
    """The ``(n, 2)`` regions of a ``pyannote.core.Timeline``, sorted, overlapping ones merged."""
    return merge_regions(np.array([[s.start, s.end] for s in timeline], dtype=np.float64))
