"""One simulated recording, made from its index alone.

Recording ``i`` draws everything from ``numpy.random.default_rng([seed, i])``, so it is the
same whichever recordings were made before it, in whatever order, and a resumed run makes
exactly what an uninterrupted one would have. The steps, in the order the draws happen:

1. the number of speakers (``speakers.counts`` with ``count_weights``) and which ones (without
   replacement from the pool);
2. the number of turns (a uniform integer in ``[min_turns, max_turns]`` per speaker, summed) and
   who speaks each (the conversational Markov chain, or each speaker's turns on their own track
   for the independent model);
3. each turn's audio (:class:`TurnMaker`): utterances read at the simulation rate, silent edges
   trimmed, cut (or joined) to a drawn length, scaled to ``level_dbfs``, whole milliseconds;
4. the onsets (:mod:`codecprobe.simulate.timing`); a gain per speaker; the sum;
5. noise at a drawn SNR (speech power measured where the RTTM has speech); a scale-down if
   the peak would clip.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codecprobe.data.turns import Turns
from codecprobe.simulate.config import SimulateConfig
from codecprobe.simulate.mixing import (PEAK_LIMIT, UtteranceCache, make_noise, mix, quiet_cut, set_level,
                                        speech_mask)
from codecprobe.simulate.sources import SourcePool
from codecprobe.simulate.timing import (ConversationalTiming, Sampler, conversational_onsets, independent_onsets,
                                        speaker_order)


@dataclass
class Piece:
    """A stretch of one source utterance inside a turn."""

    source: str  # the source segment id
    source_start: float  # seconds into the source file where the piece begins
    offset: float  # seconds from the turn's onset
    duration: float


@dataclass
class SimulatedRecording:
    recording_id: str
    audio: np.ndarray  # float32, mono, at config.sampling_rate
    turns: Turns  # sorted by start, then speaker; times in whole milliseconds
    pieces: list[list[Piece]]  # what each turn is made of, in the order of ``turns``
    speakers: list[str]
    gains_db: dict[str, float]
    snr_db: float | None
    peak_scale: float  # 1.0 unless the mixture was scaled down to stay below PEAK_LIMIT


def simulate_recording(index: int, pool: SourcePool, config: SimulateConfig, timing: ConversationalTiming,
                       noise_files: list) -> SimulatedRecording:
    rng = np.random.default_rng([config.seed, index])
    rate, per_ms = config.sampling_rate, config.sampling_rate // 1000
    options = config.speakers

    weights = np.asarray(options.count_weights, dtype=np.float64)
    n_speakers = int(rng.choice(options.counts, p=weights / weights.sum()))
    speakers = [pool.speakers[i] for i in rng.choice(len(pool.speakers), n_speakers, replace=False).tolist()]
    turns_each = rng.integers(options.min_turns, options.max_turns + 1, size=n_speakers)
    if config.timing.model == "conversational":
        order = speaker_order(int(turns_each.sum()), n_speakers, timing.turn_change_probability, rng)
    else:
        order = np.repeat(np.arange(n_speakers), turns_each)

    maker = TurnMaker(pool, speakers, config, timing.turn_duration or config.turns.cut_duration, rng)
    clips, pieces = zip(*(maker.make(k) for k in order.tolist()))
    durations = np.array([len(c) // per_ms for c in clips], dtype=np.int64)

    if config.timing.model == "conversational":
        onsets = conversational_onsets(durations, order, timing, rng)
    else:
        means = config.timing.independent_pause_means
        onsets = independent_onsets(durations, order, means[min(n_speakers, len(means)) - 1], rng)
    gains = config.speakers.gain_db.draw(rng, n_speakers)
    starts = (onsets * per_ms).tolist()
    total = int(max(s + len(c) for s, c in zip(starts, clips)))
    audio = mix(clips, starts, [float(gains[k]) for k in order.tolist()], total)

    snr = None
    if config.noise.kind != "none":
        snr = float(config.noise.snr_db.draw(rng, 1)[0])
        speech = speech_mask(starts, [len(c) for c in clips], total)
        power = float(np.mean(audio[speech] ** 2)) if speech.any() else 0.0
        audio += make_noise(config.noise.kind, total, rng, noise_files, rate) * np.sqrt(power / 10 ** (snr / 10))
    peak = float(np.max(np.abs(audio))) if total else 0.0
    scale = PEAK_LIMIT / peak if peak > PEAK_LIMIT else 1.0

    placed = sorted(zip(onsets.tolist(), [speakers[k] for k in order.tolist()], durations.tolist(), pieces),
                    key=lambda t: (t[0], t[1]))
    rid = config.recording_id(index)
    turns = Turns.build(rid, [t[0] / 1000 for t in placed], [t[2] / 1000 for t in placed], [t[1] for t in placed])
    return SimulatedRecording(rid, (audio * scale).astype(np.float32), turns, [t[3] for t in placed], speakers,
                              {s: float(g) for s, g in zip(speakers, gains)}, snr, scale)


class TurnMaker:
    """The audio of each turn of one recording, from the speakers' utterances.

    Each speaker walks through seeded permutations of their utterances, one after another. A turn
    is the next utterance (``turns.source: utterance``) or a stretch of a drawn length
    (``cut``): cut from the utterance, or, when the utterance is shorter and ``turns.join`` is on,
    the utterance followed by the speaker's next ones after short within-turn pauses until the
    length is reached. Every piece is scaled to ``level_dbfs``; a turn lasts whole milliseconds.
    """

    def __init__(self, pool: SourcePool, speakers: list[str], config: SimulateConfig, turn_length: Sampler,
                 rng: np.random.Generator):
        self.utterances = [pool.utterances[s] for s in speakers]
        self.turn_length = turn_length
        self.playlists: list[list[int]] = [[] for _ in speakers]
        self.turns = config.turns
        self.rate = config.sampling_rate
        self.rng = rng
        self.cache = UtteranceCache(config.turns, config.sampling_rate)

    def make(self, k: int) -> tuple[np.ndarray, list[Piece]]:
        per_ms = self.rate // 1000
        if self.turns.source == "utterance":
            return self._assemble([self._piece(k, None, offset=0, anywhere=False)])
        length = max(per_ms, int(round(self.turn_length.draw(self.rng, 1)[0] * self.rate)))
        parts = [self._piece(k, length, offset=0, anywhere=True)]
        filled = len(parts[0][0])
        while self.turns.join and filled < length:
            gap = int(round(self.turns.join_pause.draw(self.rng, 1)[0] * 1000)) * per_ms
            room = length - filled - gap
            if room < self.turns.min_duration * self.rate:
                break
            parts.append(self._piece(k, room, offset=filled + gap, anywhere=False))
            filled += gap + len(parts[-1][0])
        return self._assemble(parts)

    def _piece(self, k: int, length: int | None, offset: int, anywhere: bool) -> tuple[np.ndarray, Piece]:
        """The speaker's next utterance, or at most ``length`` samples of it: from a random point
        (``anywhere``) or its start, each end of the cut moved to a quiet point."""
        if not self.playlists[k]:
            self.playlists[k] = self.rng.permutation(len(self.utterances[k])).tolist()
        utterance = self.utterances[k][self.playlists[k].pop(0)]
        audio, trimmed = self.cache.load(utterance)
        first = 0
        if length is not None and length < len(audio):
            first = int(self.rng.integers(len(audio) - length + 1)) if anywhere else 0
            a, b = quiet_cut(audio, first, first + length, int(self.turns.cut_snap * self.rate), self.rate // 50)
            first, last = (a, b) if b - a >= self.rate // 1000 else (first, first + length)
            audio = audio[first:last]
        source_start = round(utterance.start + (trimmed + first) / self.rate, 6)
        return audio, Piece(utterance.segment_id, source_start, offset / self.rate, len(audio) / self.rate)

    def _assemble(self, parts: list[tuple[np.ndarray, Piece]]) -> tuple[np.ndarray, list[Piece]]:
        """One clip of whole milliseconds: each piece at its offset, scaled to the turn level."""
        per_ms = self.rate // 1000
        end = max(round(piece.offset * self.rate) + len(audio) for audio, piece in parts) // per_ms * per_ms
        clip = np.zeros(end, dtype=np.float32)
        pieces = []
        for audio, piece in parts:
            offset = round(piece.offset * self.rate)
            audio = audio[:end - offset]
            clip[offset:offset + len(audio)] = set_level(audio, self.turns.level_dbfs)
            pieces.append(Piece(piece.source, piece.source_start, piece.offset, len(audio) / self.rate))
        return clip, pieces
