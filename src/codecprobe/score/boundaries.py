"""Where does the error come from? Boundary errors under the optimal speaker mapping.

Reference boundaries are the onsets and offsets of the (UEM-cut, merged) reference
turns. Each is a *speech* boundary (silence on the other side in the reference) or
a *speaker-change* boundary (another reference speaker is speaking there). Under the
DER speaker mapping, a reference onset of speaker r is matched to an onset of the
system speaker mapped to r (offsets likewise) when the two are each other's nearest
(mutual nearest neighbours) and at most ``max_distance`` apart; everything else is
unmatched. Unmapped speakers' boundaries are all unmatched.

Because md-eval's mapping does not depend on the collar, the error within N seconds
of a reference boundary is exactly DER(collar=0) - DER(collar=N) in seconds; its
share of the total error is the "boundary jitter" share.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from codecprobe.data.turns import Turns
from codecprobe.data.uem import Uem, default_uem
from codecprobe.score.der import DerComponents, file_der
from codecprobe.score.prepare import PreparedFile, prepare
from codecprobe.score.timeline import Speakers, merge_overlapping

TOLERANCES = (0.05, 0.1, 0.2, 0.5)
COLLARS = tuple(round(0.05 * i, 2) for i in range(11))


def _nearest(sorted_values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Index of the nearest of ``sorted_values`` for each query (``sorted_values`` non-empty)."""
    right = np.clip(np.searchsorted(sorted_values, queries), 1, len(sorted_values) - 1) if len(sorted_values) > 1 \
        else np.zeros(len(queries), dtype=int)
    if len(sorted_values) == 1:
        return right
    left = right - 1
    return np.where(np.abs(queries - sorted_values[left]) <= np.abs(sorted_values[right] - queries), left, right)


def match_indices(ref: np.ndarray, sys: np.ndarray, max_distance: float) -> np.ndarray:
    """For each reference time, the index of the system time it is matched to: the two are each other's
    nearest and at most ``max_distance`` apart; -1 where there is none.

    >>> match_indices(np.array([1.0, 2.0, 10.0]), np.array([1.2, 1.1, 5.0]), max_distance=1.0).tolist()
    [1, -1, -1]
    """
    matched = np.full(len(ref), -1, dtype=np.int64)
    if len(ref) == 0 or len(sys) == 0:
        return matched
    ref_order, sys_order = np.argsort(ref), np.argsort(sys)
    ref_sorted, sys_sorted = ref[ref_order], sys[sys_order]
    to_sys = _nearest(sys_sorted, ref_sorted)
    back = _nearest(ref_sorted, sys_sorted[to_sys])
    ok = (back == np.arange(len(ref_sorted))) & (np.abs(sys_sorted[to_sys] - ref_sorted) <= max_distance)
    matched[ref_order[ok]] = sys_order[to_sys[ok]]
    return matched


def match_boundaries(ref: np.ndarray, sys: np.ndarray, max_distance: float) -> np.ndarray:
    """Signed errors (system - reference) of mutual-nearest pairs within ``max_distance``; NaN if unmatched."""
    index = match_indices(ref, sys, max_distance)
    errors = np.full(len(ref), np.nan)
    errors[index >= 0] = sys[index[index >= 0]] - ref[index >= 0]
    return errors


@dataclass
class BoundaryPairs:
    """One file's reference boundaries and the system boundary each is matched to.

    Boundaries of a file's (prepared) turns are numbered onsets first, then offsets: boundary
    ``i < n`` is the onset of turn ``i``, boundary ``n + i`` its offset. ``ref_*`` follow the
    reference's numbering; ``sys_index`` is a system boundary's number, -1 where unmatched.
    """

    ref_time: np.ndarray
    change: np.ndarray  # is the reference boundary a speaker change (another reference speaker speaks there)
    sys_index: np.ndarray
    sys_time: np.ndarray  # every system boundary, in the system's numbering

    @property
    def matched(self) -> np.ndarray:
        return self.sys_index >= 0

    def errors(self) -> np.ndarray:
        """Signed errors (system - reference) of the matched reference boundaries."""
        return self.sys_time[self.sys_index[self.matched]] - self.ref_time[self.matched]

    def system_targets(self) -> tuple[np.ndarray, np.ndarray]:
        """For each system boundary, the reference boundary matched to it (NaN if none) and whether that
        one is a speaker change (False if none)."""
        target = np.full(len(self.sys_time), np.nan)
        change = np.zeros(len(self.sys_time), dtype=bool)
        target[self.sys_index[self.matched]] = self.ref_time[self.matched]
        change[self.sys_index[self.matched]] = self.change[self.matched]
        return target, change


def boundary_times(speakers: Speakers) -> np.ndarray:
    """Every boundary of prepared turns in the numbering of :class:`BoundaryPairs`: onsets, then offsets."""
    return np.concatenate([speakers.onset, speakers.offset])


def pair_boundaries(ref: Speakers, sys: Speakers, mapping: list[tuple[int, int]], max_distance: float) -> BoundaryPairs:
    """Match each reference onset (offset) to an onset (offset) of the system speaker mapped to its speaker."""
    n_ref, n_sys = len(ref.onset), len(sys.onset)
    change = np.concatenate([_is_change(ref, onsets=True), _is_change(ref, onsets=False)])
    ref_code, sys_code = np.tile(ref.code, 2), np.tile(sys.code, 2)
    ref_onset = np.arange(2 * n_ref) < n_ref
    sys_onset = np.arange(2 * n_sys) < n_sys
    ref_time, sys_time = boundary_times(ref), boundary_times(sys)
    sys_index = np.full(2 * n_ref, -1, dtype=np.int64)
    for r, s in mapping:
        for onsets in (True, False):
            mine = np.flatnonzero((ref_code == r) & (ref_onset == onsets))
            theirs = np.flatnonzero((sys_code == s) & (sys_onset == onsets))
            found = match_indices(ref_time[mine], sys_time[theirs], max_distance)
            sys_index[mine[found >= 0]] = theirs[found[found >= 0]]
    return BoundaryPairs(ref_time, change, sys_index, sys_time)


def file_boundary_pairs(file_id: str, reference: Turns | None, system: Turns | None, regions: np.ndarray,
                        max_distance: float = 1.0, digits: int | None = 3) -> tuple[PreparedFile, BoundaryPairs]:
    """One file's turns prepared as the scorer prepares them (cut to ``regions``, each speaker's own
    overlaps merged, times rounded to ``digits``) and its boundaries matched under the DER mapping."""
    prepared = prepare(file_id, reference, system, regions).rounded(digits)
    mapping = file_der(prepared).mapping
    return prepared, pair_boundaries(prepared.reference, prepared.system, mapping, max_distance)


@dataclass
class BoundaryErrors:
    """Matched signed errors (s) of one or more files, by kind, and the counts of unmatched boundaries."""

    errors: dict[str, list[np.ndarray]] = field(default_factory=lambda: {"speech": [], "change": []})
    unmatched_ref: int = 0
    unmatched_sys: int = 0

    def all(self, kind: str | None = None) -> np.ndarray:
        kinds = [kind] if kind else list(self.errors)
        parts = [e for k in kinds for e in self.errors[k]]
        return np.concatenate(parts) if parts else np.zeros(0)

    def summary(self, kind: str | None = None) -> dict:
        errors = np.abs(self.all(kind))
        out = {"matched": int(len(errors)),
               "mean_abs_error_s": float(errors.mean()) if len(errors) else None,
               "median_abs_error_s": float(np.median(errors)) if len(errors) else None}
        for tol in TOLERANCES:
            out[f"within_{int(tol * 1000)}ms"] = float(np.mean(errors <= tol)) if len(errors) else None
        return out


def _is_change(ref: Speakers, onsets: bool) -> np.ndarray:
    """For each reference onset (or offset): is another reference speaker speaking right there?

    An onset at t is a change when another speaker's turn has onset < t <= offset (so one
    speaker handing over to the next counts); an offset at t when onset <= t < offset.
    """
    times = ref.onset if onsets else ref.offset
    change = np.zeros(len(times), dtype=bool)
    for code in range(ref.n):
        mine, others = ref.code == code, ref.code != code
        on, off, _ = merge_overlapping(ref.onset[others], ref.offset[others], np.zeros(int(others.sum()), dtype=int))
        if len(on) == 0:
            continue
        k = np.searchsorted(on, times[mine], side="left" if onsets else "right") - 1
        last_off = off[np.maximum(k, 0)]
        change[mine] = (k >= 0) & ((last_off >= times[mine]) if onsets else (last_off > times[mine]))
    return change


def file_boundary_errors(ref: Speakers, sys: Speakers, mapping: list[tuple[int, int]],
                         max_distance: float) -> BoundaryErrors:
    pairs = pair_boundaries(ref, sys, mapping, max_distance)
    out = BoundaryErrors()
    errors, change = pairs.errors(), pairs.change[pairs.matched]
    out.errors["speech"].append(errors[~change])
    out.errors["change"].append(errors[change])
    out.unmatched_ref = int(np.sum(~pairs.matched))
    out.unmatched_sys = len(pairs.sys_time) - int(np.sum(pairs.matched))
    return out


@dataclass
class BoundaryReport:
    """Per-file DER parts, boundary errors, the collar curve and the error share near boundaries."""

    files: dict[str, DerComponents]
    boundaries: BoundaryErrors
    collar_curve: dict[float, DerComponents]

    @property
    def measured(self) -> bool:
        """Whether any reference speech was scored; without it no figure here measures anything."""
        return self.collar_curve[0.0].scored > 0

    def jitter_share(self, within: float) -> float | None:
        """Share of the (collar 0) DER error lying within ``within`` s of a reference boundary (None: no error)."""
        total = self.collar_curve[0.0].error
        return (total - self.collar_curve[within].error) / total if total > 0 else None

    def to_dict(self) -> dict:
        return {
            "files": {fid: der.to_dict() for fid, der in self.files.items()},
            "boundaries": {"all": self.boundaries.summary(), "speech": self.boundaries.summary("speech"),
                           "change": self.boundaries.summary("change"),
                           "unmatched_reference": self.boundaries.unmatched_ref,
                           "unmatched_system": self.boundaries.unmatched_sys,
                           # every matched error, for whoever draws boundary errors from measured ones (refine)
                           "signed_errors_s": {kind: np.round(self.boundaries.all(kind), 6).tolist()
                                               for kind in self.boundaries.errors}},
            "collar_curve": {f"{c:.2f}": der.to_dict() for c, der in self.collar_curve.items()},
            "error_share_near_boundary": {f"{c:.2f}": self.jitter_share(c) for c in self.collar_curve if c > 0},
        }


def analyse_boundaries(reference: dict[str, Turns], system: dict[str, Turns], uem: Uem | None = None,
                       collars=COLLARS, max_distance: float = 1.0, ignore_overlaps: bool = False,
                       digits: int | None = 3) -> BoundaryReport:
    """Boundary errors and DER at each collar (0 must be among them), over all files of the UEM."""
    collars = tuple(sorted({0.0, *map(float, collars)}))
    uem = default_uem(reference, system) if uem is None else uem
    files, errors = {}, BoundaryErrors()
    curve = {c: DerComponents() for c in collars}
    for fid in sorted(uem):
        prepared = prepare(fid, reference.get(fid), system.get(fid), uem[fid]).rounded(digits)
        result = file_der(prepared, collars, ignore_overlaps)
        files[fid] = result.components[0]
        if prepared.reference.n or len(prepared.ref_points):
            for c, der in zip(collars, result.components):
                curve[c] = curve[c] + der
        found = file_boundary_errors(prepared.reference, prepared.system, result.mapping, max_distance)
        for kind in errors.errors:
            errors.errors[kind].extend(found.errors[kind])
        errors.unmatched_ref += found.unmatched_ref
        errors.unmatched_sys += found.unmatched_sys
    return BoundaryReport(files, errors, curve)
