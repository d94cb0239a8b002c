"""When each turn starts: the speaker order and the pauses and overlaps between turns.

Everything here works in integer milliseconds, so that every boundary written to the
RTTM (3 decimals) falls exactly on a sample of the audio.

Two models, both after lhotse's meeting simulators (``lhotse.workflows.meeting_simulation``):

* ``conversational`` (lhotse's ``ConversationalMeetingSimulator``, after BUT's EEND_dataprep):
  turns follow one another; after a turn of the same speaker comes a pause, after another
  speaker's turn a pause or, with ``overlap_probability``, an overlap. An overlap never makes a
  speaker overlap themself and never makes more than ``max_simultaneous_speakers`` speak at once
  (lhotse's ``allow_3fold_overlap=False`` is 2). The distributions can be fitted to real RTTMs
  as lhotse's ``fit`` does (histograms), with gaps measured where the model places turns
  (:func:`fit_conversational`).
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

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from codecprobe.simulate.config import TimingConfig


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
    turn_duration: Sampler | None = None  # fitted turn lengths (replace turns.cut_duration)

    @classmethod
    def from_config(cls, config: TimingConfig) -> "ConversationalTiming":
        if config.fit_rttm:
            return fit_conversational(config.fit_rttm, config.max_simultaneous_speakers, config.fit_turn_durations)
        return cls(config.turn_change_probability, config.same_speaker_pause, config.different_speaker_pause,
                   config.overlap_probability, config.overlap, config.max_simultaneous_speakers)

    def describe(self) -> dict:
        """The parameters as the report shows them (means of fitted histograms included)."""
        return {"turn_change_probability": self.turn_change_probability,
                "same_speaker_pause_mean": self.same_speaker_pause.expected_mean(),
                "different_speaker_pause_mean": self.different_speaker_pause.expected_mean(),
                "overlap_probability": self.overlap_probability, "overlap_mean": self.overlap.expected_mean(),
                "max_simultaneous_speakers": self.max_simultaneous_speakers,
                "turn_duration_mean": self.turn_duration.expected_mean() if self.turn_duration else None,
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

    >>> from codecprobe.simulate.config import Distribution
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


def fit_conversational(rttm_paths: list[str], max_simultaneous_speakers: int,
                       fit_turn_durations: bool = True) -> ConversationalTiming:
    """Fit the conversational model to real RTTMs: 100-bin histograms (scipy's ``rv_histogram``, as
    lhotse's ``fit``) of the same-speaker pauses, different-speaker pauses and overlaps, the overlap
    share of speaker changes, the turn-change share and (``fit_turn_durations``) the turn lengths.

    Gaps are measured as :func:`codecprobe.simulate.statistics.transitions` measures them, from the
    latest end so far, because that is where the model places the next turn. lhotse's ``fit``
    measures from the previous turn's end instead; fed to the same placement rule, AMI's train
    references then give recordings with 0.31 silence and 0.078 overlap (AMI: 0.165 and 0.134),
    against 0.185 and 0.111 with this fit (4-speaker recordings of AMI-length turns).
    """
    from scipy.stats import rv_histogram

    from codecprobe.data.rttm import read_rttms
    from codecprobe.errors import InputError
    from codecprobe.simulate.statistics import transitions

    gaps: dict[str, list[float]] = {"same_speaker_pause": [], "different_speaker_pause": [], "overlap": []}
    durations, changes = [], []
    for turns in read_rttms(rttm_paths).values():
        durations.extend(turns.duration.tolist())
        for kind, seconds, changed in transitions(turns.start, turns.end, turns.code.tolist()):
            gaps[kind].append(seconds)
            changes.append(changed)
    source = ", ".join(map(str, rttm_paths))
    empty = [kind for kind, values in gaps.items() if len(values) < 2]
    if empty:
        raise InputError(f"{source}: timing.fit_rttm needs turns with at least two of each gap; "
                         f"too few {', '.join(empty)}")

    def histogram(values) -> FittedHistogram:
        return FittedHistogram(rv_histogram(np.histogram(values, bins=100, density=True)), source)

    overlaps, pauses = len(gaps["overlap"]), len(gaps["different_speaker_pause"])
    return ConversationalTiming(
        float(np.mean(changes)), histogram(gaps["same_speaker_pause"]), histogram(gaps["different_speaker_pause"]),
        overlaps / (overlaps + pauses), histogram(gaps["overlap"]), max_simultaneous_speakers,
        histogram(durations) if fit_turn_durations else None,
    )


def _milliseconds(seconds: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(seconds) * 1000).astype(np.int64)
