"""When each turn starts: the speaker order and the pauses and overlaps between turns.

Everything here works in integer milliseconds, so that every boundary written to the
RTTM (3 decimals) falls exactly on a sample of the audio.

Two models, both after lhotse's meeting simulators (``lhotse.workflows.meeting_simulation``):

* ``conversational`` (lhotse's ``ConversationalMeetingSimulator``, after BUT's EEND_dataprep):
  turns follow one another; after a turn of the same speaker comes a pause, after another
  speaker's turn a pause or, with ``overlap_probability``, an overlap. An overlap never makes a
  speaker overlap themself and never makes more than ``max_simultaneous_speakers`` speak at once
  (lhotse's ``allow_3fold_overlap=False`` is 2). The four distributions can be fitted to real
  RTTMs with lhotse's own ``fit`` (:func:`fit_conversational`).
* ``independent`` (lhotse's ``SpeakerIndependentMeetingSimulator``, EEND's Algorithm 1): every
  speaker's turns on their own track, each preceded by an exponential pause.

Why lhotse's classes are not called directly: their timing draws use numpy's global random
state (scipy ``rvs`` without a generator) and give every meeting a ``uuid4`` id, so the same
seed does not give the same meetings; the independent simulator reseeds every meeting with
the same seed, so all meetings share one pause sequence; neither can make one-speaker
recordings (``MeetingSampler`` asserts more than one speaker), nor choose speakers from an
allowed list beyond filtering the cuts first; and ``simulate`` returns every meeting at
once. Their placement rules are reproduced here with one seeded generator per recording.
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from codecprobe.simulate.config import Distribution, TimingConfig


class Sampler(Protocol):
    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray: ...

    def expected_mean(self) -> float: ...


@dataclass
class FittedHistogram:
    """A distribution fitted to real data: scipy's ``rv_histogram`` (made by lhotse's ``fit``)."""

    histogram: object  # scipy.stats.rv_histogram
    source: str

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.maximum(self.histogram.rvs(size=size, random_state=rng), 0.0)

    def expected_mean(self) -> float:
        return float(self.histogram.mean())


@dataclass
class ConversationalTiming:
    """The conversational model's parameters: configured distributions, or histograms fitted to RTTMs."""

    turn_change_probability: float
    same_speaker_pause: Sampler
    different_speaker_pause: Sampler
    overlap_probability: float
    overlap: Sampler
    max_simultaneous_speakers: int

    @classmethod
    def from_config(cls, config: TimingConfig) -> "ConversationalTiming":
        if config.fit_rttm:
            return fit_conversational(config.fit_rttm, config.max_simultaneous_speakers)
        return cls(config.turn_change_probability, config.same_speaker_pause, config.different_speaker_pause,
                   config.overlap_probability, config.overlap, config.max_simultaneous_speakers)

    def describe(self) -> dict:
        """The parameters as the report shows them (means of fitted histograms included)."""
        return {"turn_change_probability": self.turn_change_probability,
                "same_speaker_pause_mean": self.same_speaker_pause.expected_mean(),
                "different_speaker_pause_mean": self.different_speaker_pause.expected_mean(),
                "overlap_probability": self.overlap_probability, "overlap_mean": self.overlap.expected_mean(),
                "max_simultaneous_speakers": self.max_simultaneous_speakers,
                "fitted_to": getattr(self.overlap, "source", None)}


def speaker_order(turns: int, n_speakers: int, change_probability: float, rng: np.random.Generator) -> np.ndarray:
    """Who speaks each of ``turns`` turns: a Markov chain over ``n_speakers``.

    The first turn goes to a random speaker; each next one to another speaker (chosen uniformly)
    with ``change_probability``, else to the same. Every speaker gets at least one turn: once the
    turns left equal the speakers not yet heard, each goes to one of those.

    >>> order = speaker_order(12, 3, 1.0, np.random.default_rng(0))
    >>> sorted(set(order.tolist())), bool(np.all(order[1:] != order[:-1]))
    ([0, 1, 2], True)
    """
    if turns < n_speakers:
        raise ValueError(f"{turns} turns cannot give each of {n_speakers} speakers one")
    order = np.empty(turns, dtype=np.int64)
    order[0] = rng.integers(n_speakers)
    heard = {int(order[0])}
    changes = rng.random(turns) < change_probability
    others = rng.integers(max(n_speakers - 1, 1), size=turns)  # index among the other speakers
    for i in range(1, turns):
        unheard = sorted(set(range(n_speakers)) - heard)
        if unheard and turns - i <= len(unheard):
            order[i] = unheard[others[i] % len(unheard)]
        elif changes[i] and n_speakers > 1:
            order[i] = (order[i - 1] + 1 + others[i]) % n_speakers
        else:
            order[i] = order[i - 1]
        heard.add(int(order[i]))
    return order


def conversational_onsets(durations: np.ndarray, order: np.ndarray, timing: ConversationalTiming,
                          rng: np.random.Generator) -> np.ndarray:
    """Onsets (ms) of turns of ``durations`` (ms) spoken by ``order``, placed one after another.

    A turn starts a pause after the latest end so far, or (a change of speaker, with the overlap
    probability) an overlap before it, cut short so that the speaker does not overlap themself, at
    most ``max_simultaneous_speakers`` speak at once, and the turn starts after the previous turn's
    onset (turns stay in the order drawn; lhotse lets an overlapping turn start before the turn it
    overlaps, which turns "A, B, A-overlapping-B" into "A, A, B" in onset order).

    >>> timing = ConversationalTiming(1.0, Distribution("fixed", mean=0.5), Distribution("fixed", mean=0.25),
    ...                               1.0, Distribution("fixed", mean=1.0), 2)
    >>> conversational_onsets(np.array([3000, 3000, 500, 2000]), np.array([0, 1, 0, 0]), timing,
    ...                       np.random.default_rng(0)).tolist()
    [0, 2000, 4000, 5500]
    """
    n = len(durations)
    same = _milliseconds(timing.same_speaker_pause.draw(rng, n))
    different = _milliseconds(timing.different_speaker_pause.draw(rng, n))
    overlap = _milliseconds(timing.overlap.draw(rng, n))
    overlaps = rng.random(n) < timing.overlap_probability
    onsets = np.zeros(n, dtype=np.int64)
    last_end: dict[int, int] = {int(order[0]): int(durations[0])}
    latest = int(durations[0])
    for i in range(1, n):
        speaker = int(order[i])
        if speaker == order[i - 1]:
            start = latest + same[i]
        elif not overlaps[i]:
            start = latest + different[i]
        else:
            others = sorted((end for s, end in last_end.items() if s != speaker), reverse=True)
            earliest = max(last_end.get(speaker, 0), onsets[i - 1] + 1)
            if len(others) >= timing.max_simultaneous_speakers:
                earliest = max(earliest, others[timing.max_simultaneous_speakers - 1])
            start = latest - min(overlap[i], latest - earliest)
        onsets[i] = start
        last_end[speaker] = start + int(durations[i])
        latest = max(latest, last_end[speaker])
    return onsets


def independent_onsets(durations: np.ndarray, order: np.ndarray, mean_pause: float,
                       rng: np.random.Generator) -> np.ndarray:
    """EEND's Algorithm 1: each speaker's turns in order on their own track, each after an
    exponential pause of ``mean_pause`` seconds (the first one too), all tracks starting at 0.

    >>> independent_onsets(np.array([1000, 1000, 1000]), np.array([0, 1, 0]), 1e-9, np.random.default_rng(0)).tolist()
    [0, 0, 1000]
    """
    pauses = _milliseconds(rng.exponential(mean_pause, len(durations)))
    onsets = np.zeros(len(durations), dtype=np.int64)
    track_end: dict[int, int] = {}
    for i, speaker in enumerate(order.tolist()):
        onsets[i] = track_end.get(speaker, 0) + pauses[i]
        track_end[speaker] = int(onsets[i] + durations[i])
    return onsets


def fit_conversational(rttm_paths: list[str], max_simultaneous_speakers: int) -> ConversationalTiming:
    """Fit the conversational model to real RTTMs with lhotse's ``ConversationalMeetingSimulator.fit``
    (100-bin histograms of same-speaker pauses, different-speaker pauses and overlaps, and the
    overlap probability); the turn-change probability is the share of consecutive turns (by onset)
    whose speakers differ."""
    from lhotse import SupervisionSegment, SupervisionSet
    from lhotse.workflows.meeting_simulation import ConversationalMeetingSimulator

    from codecprobe.errors import InputError
    from codecprobe.score.rttm import read_rttms

    files = read_rttms(rttm_paths)
    segments = [SupervisionSegment(id=f"{fid}-{i}", recording_id=fid, start=t.onset, duration=t.duration,
                                   speaker=t.speaker)
                for fid, turns in files.items() for i, t in enumerate(turns)]
    changes = [np.mean(np.diff(turns.speaker[np.argsort(turns.onset, kind="stable")]) != 0)
               for turns in files.values() if len(turns) > 1]
    if not changes:
        raise InputError(f"{', '.join(rttm_paths)}: timing.fit_rttm needs RTTMs with at least two turns in a file")
    weights = [len(turns) - 1 for turns in files.values() if len(turns) > 1]
    simulator = ConversationalMeetingSimulator()
    with contextlib.redirect_stdout(io.StringIO()):  # fit prints its parameters
        simulator.fit(SupervisionSet.from_segments(segments))
    source = ", ".join(map(str, rttm_paths))
    return ConversationalTiming(
        float(np.average(changes, weights=weights)),
        FittedHistogram(simulator.same_spk_pause_dist, source),
        FittedHistogram(simulator.diff_spk_pause_dist, source),
        float(simulator.prob_diff_spk_overlap),
        FittedHistogram(simulator.diff_spk_overlap_dist, source),
        max_simultaneous_speakers,
    )


def _milliseconds(seconds: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(seconds) * 1000).astype(np.int64)
