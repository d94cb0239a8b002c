"""One simulated recording, made from its index alone.

Recording ``i`` draws everything from ``numpy.random.default_rng([seed, i])``, so it is the
same whichever recordings were made before it, in whatever order, and a resumed run makes
exactly what an uninterrupted one would have. The steps, in the order the draws happen:

1. the number of speakers (``speakers.counts`` with ``count_weights``) and which ones (without
   replacement from the pool);
2. the number of turns (a uniform integer in ``[min_turns, max_turns]`` per speaker, summed) and
   who speaks each (the conversational Markov chain, or each speaker's turns on their own track
   for the independent model); each speaker walks through a seeded permutation of their
   utterances (repeating it when they have fewer utterances than turns);
3. each turn's audio: the utterance read at the simulation rate, silent edges trimmed, cut to a
   drawn length (``turns.source: cut``), cut to whole milliseconds, scaled to ``level_dbfs``;
4. the onsets (:mod:`codecprobe.simulate.timing`); a gain per speaker; the sum;
5. noise at a drawn SNR (speech power measured where the RTTM has speech); a scale-down if
   the peak would clip.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codecprobe.simulate.config import SimulateConfig
from codecprobe.simulate.mixing import (PEAK_LIMIT, UtteranceCache, make_noise, mix, quiet_cut, set_level,
                                        speech_mask)
from codecprobe.simulate.sources import SourcePool
from codecprobe.simulate.timing import (ConversationalTiming, conversational_onsets, independent_onsets,
                                        speaker_order)


@dataclass
class PlacedTurn:
    speaker: str
    onset: float  # seconds in the recording (whole milliseconds)
    duration: float
    source: str  # the source segment id
    source_start: float  # seconds into the source file where the turn's audio begins


@dataclass
class SimulatedRecording:
    recording_id: str
    audio: np.ndarray  # float32, mono, at config.sampling_rate
    turns: list[PlacedTurn]
    speakers: list[str]
    gains_db: dict[str, float]
    snr_db: float | None
    peak_scale: float  # 1.0 unless the mixture was scaled down to stay below PEAK_LIMIT


def recording_id(config: SimulateConfig, index: int) -> str:
    return f"{config.recording_prefix}-{index:06d}"


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
    playlists = [_playlist(len(pool.utterances[s]), int(np.sum(order == k)), rng) for k, s in enumerate(speakers)]

    cache = UtteranceCache(config.turns, rate)
    clips, sources, used = [], [], [0] * n_speakers
    for k in order.tolist():
        utterance = pool.utterances[speakers[k]][playlists[k][used[k]]]
        used[k] += 1
        audio, trimmed = cache.load(utterance)
        start = 0
        if config.turns.source == "cut":
            length = max(per_ms, int(round(config.turns.cut_duration.draw(rng, 1)[0] * rate)))
            if length < len(audio):
                first = int(rng.integers(len(audio) - length + 1))
                start, end = quiet_cut(audio, first, first + length, int(config.turns.cut_snap * rate), rate // 50)
                if end - start < per_ms:
                    start, end = first, first + length
                audio = audio[start:end]
        audio = audio[:len(audio) // per_ms * per_ms]
        clips.append(set_level(audio, config.turns.level_dbfs))
        sources.append((utterance, (trimmed + start) / rate))
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

    turns = [PlacedTurn(speakers[k], onset / 1000, duration / 1000, utterance.segment_id,
                        round(utterance.start + offset, 6))
             for k, onset, duration, (utterance, offset) in zip(order.tolist(), onsets.tolist(), durations.tolist(),
                                                                  sources)]
    turns.sort(key=lambda t: (t.onset, t.speaker))
    return SimulatedRecording(recording_id(config, index), (audio * scale).astype(np.float32), turns, speakers,
                              {s: float(g) for s, g in zip(speakers, gains)}, snr, scale)


def _playlist(n_utterances: int, n_turns: int, rng: np.random.Generator) -> list[int]:
    """Utterance indices for ``n_turns`` turns: seeded permutations of all of them, one after another."""
    rounds = -(-n_turns // n_utterances)
    return np.concatenate([rng.permutation(n_utterances) for _ in range(rounds)])[:n_turns].tolist()
