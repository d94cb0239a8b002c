"""What a simulated recording (or a whole set) looks like, measured from its turns alone.

The same measures apply to any RTTM, so simulated and real conversations can be compared:

* speech ratio: time with at least one speaker over the recording's duration; silence ratio: the
  rest; overlap ratio: time with two or more speakers over the speech time (NeMo's convention);
* transitions, over the turns in onset order: the gap from the latest end so far to a turn's
  onset is a pause (same speaker as the turn before it, or a different one) when positive and an
  overlap when negative; the turn-change share is the share of turns whose speaker differs from
  the previous turn's (over a set: in its recordings of two or more speakers).
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from codecprobe.score.timeline import coverage, cut_points

TRANSITIONS = ("same_speaker_pause", "different_speaker_pause", "overlap")


def transitions(onset: np.ndarray, offset: np.ndarray, speakers: list) -> list[tuple[str, float, bool]]:
    """``(kind, seconds, speaker changed)`` for every turn after the first, in onset order: the gap
    from the latest end so far to the turn's onset, a ``same_speaker_pause`` or
    ``different_speaker_pause`` when positive, an ``overlap`` (its size) when negative.

    >>> transitions(np.array([0.0, 2.0, 2.5, 5.0]), np.array([3.0, 4.0, 2.8, 6.0]), ["a", "b", "c", "c"])
    [('overlap', 1.0, True), ('overlap', 1.5, True), ('same_speaker_pause', 1.0, False)]
    """
    order = np.lexsort((offset, onset))
    found, latest = [], None
    for previous, current in zip(order[:-1].tolist(), order[1:].tolist()):
        latest = offset[previous] if latest is None else max(latest, offset[previous])
        gap = float(onset[current] - latest)
        changed = speakers[current] != speakers[previous]
        kind = "overlap" if gap < 0 else "different_speaker_pause" if changed else "same_speaker_pause"
        found.append((kind, abs(gap), changed))
    return found


def turn_statistics(onset: np.ndarray, duration: np.ndarray, speakers: list[str], total: float) -> dict:
    """Statistics of one recording's turns (seconds) over ``[0, total]``.

    >>> stats = turn_statistics(np.array([0.0, 2.0, 5.0]), np.array([3.0, 2.0, 1.0]), ["a", "b", "b"], 8.0)
    >>> stats["speech"], stats["overlap"], stats["silence"], stats["transitions"]["overlap"]
    (5.0, 1.0, 3.0, {'count': 1, 'total': 1.0})
    """
    onset, duration = np.asarray(onset, dtype=np.float64), np.asarray(duration, dtype=np.float64)
    offset = np.round(onset + duration, 6)  # touching turns (a 0 ms pause) must not overlap by a rounding error
    edges = cut_points([0.0, total], onset, offset)
    active = coverage(edges, onset, offset)
    lengths = np.diff(edges)
    speech, overlap = float(lengths[active >= 1].sum()), float(lengths[active >= 2].sum())
    totals = {name: {"count": 0, "total": 0.0} for name in TRANSITIONS}
    changes = 0
    for kind, seconds, changed in transitions(onset, offset, speakers):
        totals[kind]["count"] += 1
        totals[kind]["total"] += seconds
        changes += changed
    return {
        "duration": total, "speech": speech, "overlap": overlap, "silence": total - speech,
        "speech_ratio": speech / total if total else 0.0, "overlap_ratio": overlap / speech if speech else 0.0,
        "silence_ratio": (total - speech) / total if total else 0.0,
        "turns": len(onset), "mean_turn": float(duration.mean()) if len(duration) else 0.0,
        "turns_per_speaker": dict(sorted(Counter(speakers).items())),
        "speaker_changes": changes, "transitions": totals,
    }


class Totals:
    """Running totals over recordings (a few numbers each, so a set of any size costs the same)."""

    def __init__(self):
        self.recordings = 0
        self.duration = self.speech = self.overlap = self.turn_time = 0.0
        self.turns = 0
        self.changes = self.between = 0  # speaker changes and transitions, in recordings of two or more speakers
        self.speaker_counts: Counter = Counter()
        self.speakers_used: set[str] = set()
        self.transitions = {name: {"count": 0, "total": 0.0} for name in TRANSITIONS}

    def add(self, stats: dict, speakers: list[str]) -> None:
        self.recordings += 1
        self.duration += stats["duration"]
        self.speech += stats["speech"]
        self.overlap += stats["overlap"]
        self.turns += stats["turns"]
        self.turn_time += stats["mean_turn"] * stats["turns"]
        if len(speakers) > 1:
            self.changes += stats["speaker_changes"]
            self.between += stats["turns"] - 1
        self.speaker_counts[len(speakers)] += 1
        self.speakers_used.update(speakers)
        for name in TRANSITIONS:
            self.transitions[name]["count"] += stats["transitions"][name]["count"]
            self.transitions[name]["total"] += stats["transitions"][name]["total"]

    def summary(self) -> dict:
        changes = self.transitions["different_speaker_pause"]["count"] + self.transitions["overlap"]["count"]
        return {
            "recordings": self.recordings, "hours": self.duration / 3600,
            "mean_duration": self.duration / self.recordings if self.recordings else 0.0,
            "speech_ratio": self.speech / self.duration if self.duration else 0.0,
            "overlap_ratio": self.overlap / self.speech if self.speech else 0.0,
            "silence_ratio": 1 - self.speech / self.duration if self.duration else 0.0,
            "speakers_per_recording": {str(k): v for k, v in sorted(self.speaker_counts.items())},
            "speakers_used": len(self.speakers_used),
            "turns": self.turns, "mean_turn": self.turn_time / self.turns if self.turns else 0.0,
            "turn_change_share": self.changes / self.between if self.between else None,
            "overlap_share_of_changes": self.transitions["overlap"]["count"] / changes if changes else None,
            "mean": {name: (t["total"] / t["count"] if t["count"] else None) for name, t in self.transitions.items()},
        }
