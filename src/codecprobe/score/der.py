"""Diarization error rate as md-eval computes it (NIST RT-09), one file at a time.

md-eval's rules, all applied here:
- the speaker mapping is one-to-one and maximises the time reference and system
  speakers speak together inside the UEM, *before* collars or overlap exclusion;
- the scored region is the UEM minus ``collar`` seconds on each side of every
  reference boundary, minus (``ignore_overlaps``) regions where the reference has
  two or more speakers;
- in each elementary interval of duration d with N_ref reference and N_sys system
  speakers of which N_map are mapped pairs: scored += d*N_ref, miss += d*max(N_ref-N_sys, 0),
  false alarm += d*max(N_sys-N_ref, 0), confusion += d*(min(N_ref, N_sys) - N_map).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from codecprobe.score.assignment import linear_sum_assignment
from codecprobe.score.prepare import PreparedFile
from codecprobe.score.timeline import activity, coverage, cut_points, weighted_cooccurrence


def percent(part: float, total: float) -> float:
    """``100 * part / total``; with nothing to score, 100 if there is any error else 0 (dscore's rule)."""
    if total > 0:
        return 100.0 * part / total
    return 100.0 if part > 0 else 0.0


@dataclass
class DerComponents:
    """Seconds of scored reference speech and of each kind of error; they add up over files."""

    scored: float = 0.0
    miss: float = 0.0
    fa: float = 0.0
    conf: float = 0.0

    def __add__(self, other: "DerComponents") -> "DerComponents":
        return DerComponents(*(a + b for a, b in zip(asdict(self).values(), asdict(other).values())))

    @property
    def error(self) -> float:
        return self.miss + self.fa + self.conf

    @property
    def der(self) -> float:
        return percent(self.error, self.scored)

    def to_dict(self) -> dict:
        """Percentages under the md-eval names, seconds with a ``_s`` suffix."""
        return {"scored": self.scored, "der": self.der, "miss": percent(self.miss, self.scored),
                "fa": percent(self.fa, self.scored), "conf": percent(self.conf, self.scored),
                "miss_s": self.miss, "fa_s": self.fa, "conf_s": self.conf}


def optimal_mapping(overlap: np.ndarray) -> list[tuple[int, int]]:
    """(ref, sys) index pairs maximising total overlap; pairs that never co-occur are not mapped."""
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    return [(r, c) for r, c in zip(rows.tolist(), cols.tolist()) if overlap[r, c] > 0]


@dataclass
class FileDer:
    components: list[DerComponents]   # one per collar asked for
    mapping: list[tuple[int, int]]


def file_der(prepared: PreparedFile, collars=(0.0,), ignore_overlaps: bool = False) -> FileDer:
    """DER components of one prepared file for each collar (the mapping does not depend on the collar)."""
    ref, sys, regions = prepared.reference, prepared.system, prepared.regions
    boundaries = prepared.ref_boundaries
    collars = [float(c) for c in collars]
    edges = cut_points(regions, ref.onset, ref.offset, sys.onset, sys.offset,
                       *[(boundaries - c, boundaries + c) for c in collars if c > 0])
    if len(edges) < 2:
        return FileDer([DerComponents() for _ in collars], [])
    duration = np.diff(edges)
    on_ref = activity(edges, ref.onset, ref.offset, ref.code, ref.n)
    on_sys = activity(edges, sys.onset, sys.offset, sys.code, sys.n)
    in_uem = coverage(edges, regions[:, 0], regions[:, 1]) > 0
    mapping = optimal_mapping(weighted_cooccurrence(duration * in_uem, on_ref, on_sys))
    n_ref, n_sys = on_ref.sum(axis=1), on_sys.sum(axis=1)
    rows = [r for r, _ in mapping]
    cols = [c for _, c in mapping]
    n_map = (on_ref[:, rows] * on_sys[:, cols]).sum(axis=1)
    scorable = in_uem & (n_ref <= 1) if ignore_overlaps else in_uem
    components = []
    for collar in collars:
        scored = scorable
        if collar > 0:
            scored = scored & (coverage(edges, boundaries - collar, boundaries + collar) == 0)
        weight = duration * scored
        components.append(DerComponents(
            scored=float(np.sum(weight * n_ref)),
            miss=float(np.sum(weight * np.maximum(n_ref - n_sys, 0))),
            fa=float(np.sum(weight * np.maximum(n_sys - n_ref, 0))),
            conf=float(np.sum(weight * (np.minimum(n_ref, n_sys) - n_map))),
        ))
    return FileDer(components, mapping)
