"""The resynthesis study: its config, ``run_resynth(config, out) -> ResynthResult``, and the result.

1. The trials: a trial list (``trials``) or every pair of the corpus's speaker-labelled
   segments (at most ``max_trials_per_class`` per class).
2. Each segment the trials name goes through the codec at each bitrate (first n codebooks);
   decoded audio is cached under ``cache`` (default ``OUT/decoded``), one file per codec
   identity, codebook count and segment (its file, range, size and modification time), so a
   rerun decodes nothing again.
3. Each verifier embeds the original and the resynthesised utterances (16 kHz). Per bitrate:
   the cosine similarity of each utterance's two embeddings (mean with a t interval over
   utterances), and the cosine-scored EER of the trials with enrolment and test both
   resynthesised, and with original enrolment against resynthesised test; the EER of the same
   trials on the original audio is the reference row. EER intervals bootstrap over speakers.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from codecprobe.config import ConfigError
from codecprobe.errors import InputError
from codecprobe.report.results import Result, write_study
from codecprobe.resynth.verifiers import SAMPLE_RATE, VERIFIERS


@dataclass
class ResynthConfig:
    corpus: str = ""
    layout: str | None = None
    codec: str = "lyra"
    weights: str | None = None  # the codec's weights (default: the encoder's own default)
    random_init: bool = False  # the codec's untrained control instead
    seed: int = 0  # of that control
    bitrates: list[float] = field(default_factory=lambda: [3.2, 6.0, 9.2])  # kbps
    verifiers: list[str] = field(default_factory=lambda: list(VERIFIERS))
    trials: str | None = None  # a 'label enroll test' file; default: generated from the corpus
    max_trials_per_class: int | None = None  # generated trials: None = every pair
    trial_seed: int = 0
    exclude_same_recording: bool = False
    cache: str | None = None  # decoded audio; default OUT/decoded
    bootstrap_replicates: int = 1000  # EER intervals, over speakers
    confidence: float = 0.95
    threads: int = 1  # torch threads of the verifiers

    def __post_init__(self) -> None:
        unknown = [v for v in self.verifiers if v not in VERIFIERS]
        if unknown or not self.verifiers:
            raise ConfigError(f"verifiers: {unknown or 'none given'}; known: {', '.join(VERIFIERS)}")
        if not self.bitrates or any(b <= 0 for b in self.bitrates):
            raise ConfigError(f"bitrates: positive kbps values needed, got {self.bitrates}")
        if not 0 < self.confidence < 1 or self.bootstrap_replicates < 0 or self.threads < 1:
            raise ConfigError("confidence must be in (0, 1), bootstrap_replicates >= 0 and threads >= 1")


@dataclass
class ResynthResult(Result):
    study = "resynth"
    renderer = "codecprobe.resynth.report:render"

    codec: dict  # encoder, weights_id, trained, weights (its label), kbps_per_codebook, sample_rate
    data: dict  # corpus, segments, speakers, trials, target_trials, trials_source
    verifiers: dict  # name -> weights id
    rows: list[dict]  # per verifier: the original reference row, then one row per bitrate
    failures: list[list[str]]  # [file or segment id, reason] of inputs left out (with their trials)
    timing: dict  # CPU seconds per step, segments decoded now and read from the cache
    config: ResynthConfig
    provenance: dict


def run_resynth(config: ResynthConfig, out: str | os.PathLike, progress: bool = True) -> ResynthResult:
    from codecprobe.data import load_corpus
    from codecprobe.encoders.base import weights_label
    from codecprobe.report.provenance import provenance
    from codecprobe.resynth.codecs import build_resynthesiser, codebooks_for
    from codecprobe.resynth.verifiers import load_verifier

    if not config.corpus:
        raise InputError("no corpus: pass --corpus DIR")
    codec = build_resynthesiser(config.codec, config.weights, config.random_init, config.seed)
    sizes = [codebooks_for(kbps, codec.kbps_per_codebook, codec.max_codebooks, config.codec)
             for kbps in config.bitrates]
    corpus = load_corpus(config.corpus, config.layout)
    segments = {s.id: s for s in corpus.segments() if s.speaker is not None}
    trials = _trials(config, list(segments.values()))
    cpu = {"read": time.process_time()}

    originals, failures = {}, [[path, reason] for path, reason in corpus.failures]  # unreadable files first
    for segment_id in trials.segment_ids():
        try:
            originals[segment_id] = _read(corpus, segments[segment_id], SAMPLE_RATE)
        except InputError as error:
            failures.append([segment_id, str(error)])
    trials = trials.without(set(segments) - set(originals))
    ids = trials.segment_ids()
    if not trials.n_target or trials.n_target == len(trials):
        raise InputError(f"{config.corpus}: the trials need same- and different-speaker pairs")
    cpu["read"] = time.process_time() - cpu["read"]

    identity = codec.identity()
    cache = Path(config.cache) if config.cache else Path(out) / "decoded"
    decoded: dict[int, list[np.ndarray]] = {}
    counts = {"decoded_now": 0, "from_cache": 0}
    start = time.process_time()
    for n in sizes:
        decoded[n] = [_resynthesised(codec, corpus, segments[i], len(originals[i]), n, cache, counts)
                      for i in _progress(ids, progress, f"{config.codec} {n * codec.kbps_per_codebook:g} kbps")]
    cpu["decode"] = time.process_time() - start

    speaker_index = {s: k for k, s in enumerate(sorted({segments[i].speaker for i in ids}))}
    position = {i: k for k, i in enumerate(ids)}
    pairs = (np.array([position[e] for e in trials.enroll]), np.array([position[t] for t in trials.test]))
    trial_speakers = tuple(np.array([speaker_index[segments[ids[k]].speaker] for k in side]) for side in pairs)
    rows, verifier_ids = [], {}
    for name in config.verifiers:
        start = time.process_time()
        verifier = load_verifier(name, config.threads)
        verifier_ids[name] = verifier.weights_id
        original = verifier.embed([originals[i] for i in ids])
        rows.append({"verifier": name, "condition": "original", "kbps": None, "n_codebooks": None,
                     **_eers(config, original, original, pairs, trials.labels, trial_speakers, "eer")})
        for n in sizes:
            resynth = verifier.embed(decoded[n])
            rows.append({"verifier": name, "condition": "resynthesised", "kbps": round(n * codec.kbps_per_codebook, 6),
                         "n_codebooks": n, **_similarity(original, resynth, config.confidence),
                         **_eers(config, resynth, resynth, pairs, trials.labels, trial_speakers, "eer"),
                         **_eers(config, original, resynth, pairs, trials.labels, trial_speakers, "eer_original_enrol")})
        cpu[f"verify_{name}"] = time.process_time() - start

    return ResynthResult(
        codec={"encoder": identity.encoder, "weights_id": identity.weights_id, "trained": identity.trained,
               "weights": weights_label(identity.weights_id, identity.trained),
               "kbps_per_codebook": codec.kbps_per_codebook, "sample_rate": codec.sample_rate},
        data={"corpus": str(config.corpus), "segments": len(ids), "speakers": len(speaker_index),
              "trials": len(trials), "target_trials": trials.n_target, "trials_source": trials.source,
              "seconds": float(sum(len(a) for a in originals.values()) / SAMPLE_RATE)},
        verifiers=verifier_ids, rows=rows, failures=failures,
        timing={"cpu_s": {k: round(v, 2) for k, v in cpu.items()}, **counts},
        config=config, provenance=provenance(("ai-edge-litert", "resemblyzer")))


def write_resynth(result: ResynthResult, out: str | os.PathLike) -> Path:
    """``OUT/results.json`` and ``OUT/report.md``; returns the report's path."""
    return write_study(result, out)


def _trials(config: ResynthConfig, segments: list):
    from codecprobe.verify.trials import generate_trials, read_trials

    if not segments:
        raise InputError(f"{config.corpus}: no speaker-labelled segments")
    if config.trials:
        return read_trials(config.trials, known_ids=[s.id for s in segments])
    return generate_trials(segments, config.max_trials_per_class, config.trial_seed, config.exclude_same_recording)


def _read(corpus, segment, rate: int) -> np.ndarray:
    from codecprobe.audio import read_audio

    audio, _ = read_audio(corpus.audio_path(segment.recording_id), segment.start, segment.start + segment.duration,
                          target_rate=rate)
    if audio.size == 0:
        raise InputError(f"{segment.id}: no audio")
    return audio


def cache_key(identity, n_codebooks: int, path: str, start: float, duration: float) -> str:
    """A file name for one decoded segment: everything that changes its samples, hashed."""
    stat = os.stat(path)
    text = json.dumps({"codec": asdict(identity), "n_codebooks": n_codebooks, "file": os.path.abspath(path),
                       "start": start, "duration": duration, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns},
                      sort_keys=True, default=str)
    return f"{identity.encoder}-{n_codebooks}cb-{hashlib.sha256(text.encode()).hexdigest()[:24]}.npy"


def _resynthesised(codec, corpus, segment, samples: int, n: int, cache: Path, counts: dict) -> np.ndarray:
    """The segment through the codec at ``n`` codebooks, at 16 kHz and ``samples`` long (from the cache if there)."""
    from codecprobe.audio.io import resample
    from codecprobe.report.files import atomic_write_bytes

    path = cache / cache_key(codec.identity(), n, corpus.audio_path(segment.recording_id), segment.start,
                             segment.duration)
    if path.is_file():
        counts["from_cache"] += 1
        return np.load(path)
    audio = codec.resynthesise(_read(corpus, segment, codec.sample_rate), n)
    audio = resample(audio, codec.sample_rate, SAMPLE_RATE) if codec.sample_rate != SAMPLE_RATE else audio
    audio = np.pad(audio, (0, max(0, samples - len(audio))))[:samples].astype(np.float32)
    buffer = io.BytesIO()
    np.save(buffer, audio)
    atomic_write_bytes(path, buffer.getvalue())
    counts["decoded_now"] += 1
    return audio


def _similarity(original: np.ndarray, resynth: np.ndarray, confidence: float) -> dict:
    """Mean cosine similarity of each utterance's two embeddings, with a t interval over utterances."""
    from scipy import stats

    from codecprobe.resynth.verifiers import cosine_rows

    values = cosine_rows(original, resynth)
    mean, half = float(values.mean()), 0.0
    if len(values) > 1:
        half = float(stats.t.ppf((1 + confidence) / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))
    return {"similarity": mean, "similarity_low": mean - half, "similarity_high": mean + half,
            "similarity_min": float(values.min())}


def _eers(config: ResynthConfig, enroll: np.ndarray, test: np.ndarray, pairs, labels, speakers, key: str) -> dict:
    """Cosine-scored EER (%) of the trials, enrolment rows from ``enroll`` and test rows from ``test``."""
    from codecprobe.resynth.verifiers import cosine_rows
    from codecprobe.verify.metrics import eer, eer_interval

    scores = cosine_rows(enroll[pairs[0]], test[pairs[1]])
    interval = (eer_interval(scores, labels, speakers, config.bootstrap_replicates, config.confidence)
                if config.bootstrap_replicates else None)
    return {key: 100 * eer(scores, labels), f"{key}_interval": [100 * v for v in interval] if interval else None}


def _progress(items: list, progress: bool, what: str):
    from tqdm.auto import tqdm

    return tqdm(items, disable=not progress, file=sys.stderr, leave=False, desc=what, unit="utt")
