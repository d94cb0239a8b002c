"""Extract encoder taps for every segment of a corpus into a :class:`LatentStore`.

What is already stored (same segment, same source fingerprint, same encoder identity
and tap) is skipped, so a rerun after a crash resumes where the last committed batch
ended. Segments are sorted by duration and packed into batches under a padded-audio
budget (length bucketing); the next batch's audio is read on a background thread
while the model runs. Unreadable files are recorded as failures and skipped.
"""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from lhotse import SupervisionSegment
from tqdm.auto import tqdm

from codecprobe.audio import AudioError, read_audio
from codecprobe.data import Corpus
from codecprobe.encoders.base import Encoder
from codecprobe.store import LatentStore
from codecprobe.store.latent_store import NewEntry


@dataclass
class ExtractSummary:
    encoder: str
    weights_id: str
    trained: bool
    taps: list[str]
    n_segments: int = 0
    n_cached: int = 0
    n_extracted: int = 0
    audio_seconds: float = 0.0  # audio encoded in this run
    wall_seconds: float = 0.0
    model_seconds: float = 0.0  # time inside encoder.encode_batch
    failures: list[tuple[str, str]] = field(default_factory=list)  # (segment id or path, reason)

    @property
    def real_time_factor(self) -> float:
        """Audio seconds processed per wall-clock second (higher is faster)."""
        return self.audio_seconds / self.wall_seconds if self.wall_seconds else float("nan")

    def to_dict(self) -> dict:
        return {**self.__dict__, "real_time_factor": self.real_time_factor, "audio_hours": self.audio_seconds / 3600}


def extract(
    corpus: Corpus,
    encoder: Encoder,
    taps: Sequence[str] | None,
    store: LatentStore,
    batch_seconds: float = 120.0,
    max_batch_size: int = 32,
    progress: bool = True,
) -> ExtractSummary:
    started = time.perf_counter()
    taps = encoder.check_taps(taps or encoder.default_taps)
    identity = encoder.identity()
    summary = ExtractSummary(identity.encoder, identity.weights_id, identity.trained, list(taps))
    summary.failures += list(corpus.failures)

    segments = corpus.segments()
    summary.n_segments = len(segments)
    fingerprints = {s.id: _fingerprint(corpus, s) for s in segments}
    stored = [store.fingerprints(identity, tap) for tap in taps]
    todo = [s for s in segments if any(done.get(s.id) != fingerprints[s.id] for done in stored)]
    summary.n_cached = len(segments) - len(todo)

    batches = plan_batches([s.duration for s in todo], batch_seconds, max_batch_size)
    bar = tqdm(total=sum(s.duration for s in todo), unit="s", unit_scale=True, disable=not progress,
               desc=f"{identity.encoder}:{','.join(taps)}", dynamic_ncols=True)
    with ThreadPoolExecutor(max_workers=1) as reader:
        pending = reader.submit(_read_batch, corpus, [todo[i] for i in batches[0]], encoder.sample_rate) if batches else None
        for index in range(len(batches)):
            loaded, failed = pending.result()
            if index + 1 < len(batches):  # overlap reading the next batch with this batch's forward pass
                pending = reader.submit(_read_batch, corpus, [todo[i] for i in batches[index + 1]], encoder.sample_rate)
            summary.failures += failed
            if loaded:
                tick = time.perf_counter()
                outputs = encoder.encode_batch([audio for _, audio in loaded], taps)
                summary.model_seconds += time.perf_counter() - tick
                store.put_many(identity, [
                    NewEntry(segment.id, tap, fingerprints[segment.id], sequence.frames, sequence.frame_rate)
                    for (segment, _), by_tap in zip(loaded, outputs) for tap, sequence in by_tap.items()
                ])
                summary.n_extracted += len(loaded)
                summary.audio_seconds += sum(segment.duration for segment, _ in loaded)
            bar.update(sum(todo[i].duration for i in batches[index]))
            bar.set_postfix_str(f"{summary.audio_seconds / max(time.perf_counter() - started, 1e-9):.1f}x real time")
    bar.close()
    summary.wall_seconds = time.perf_counter() - started
    return summary


def ensure_extracted(corpus: Corpus, encoder: Encoder, taps: Sequence[str], store: LatentStore,
                     progress: bool = True) -> ExtractSummary:
    """:func:`extract`, then refuse to go on if any segment of the corpus could not be encoded.

    A study that reads every segment back from the store calls this first: a missing
    segment is a bad input file, reported by name, not a ``KeyError`` later.
    """
    from codecprobe.errors import InputError

    summary = extract(corpus, encoder, taps, store, progress=progress)
    failed = {where for where, _ in summary.failures} & {s.id for s in corpus.segments()}
    if failed:
        raise InputError(f"{corpus.name}: {len(failed)} segment(s) could not be encoded, e.g. "
                         f"{sorted(failed)[0]}; fix or remove them")
    return summary


def plan_batches(durations: Sequence[float], batch_seconds: float, max_batch_size: int) -> list[list[int]]:
    """Group indices by length: sorted by duration, each batch's padded size within budget.

    A batch's cost is ``len(batch) * longest`` seconds of (padded) audio; a segment longer
    than the budget gets a batch of its own.

    >>> plan_batches([1.0, 5.0, 1.2, 4.0], batch_seconds=8.0, max_batch_size=8)
    [[0, 2], [3], [1]]
    """
    order = np.argsort(np.asarray(durations, dtype=float), kind="stable")
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order.tolist():
        longest = durations[index]  # sorted ascending, so the newcomer is the longest
        if current and ((len(current) + 1) * longest > batch_seconds or len(current) >= max_batch_size):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def _read_batch(corpus: Corpus, segments: list[SupervisionSegment], rate: int):
    loaded, failed = [], []
    for segment in segments:
        path = corpus.audio_path(segment.recording_id)
        try:
            audio, _ = read_audio(path, segment.start, segment.start + segment.duration, target_rate=rate)
        except AudioError as error:
            failed.append((segment.id, str(error)))
            continue
        loaded.append((segment, audio))
    return loaded, failed


def _fingerprint(corpus: Corpus, segment: SupervisionSegment) -> str:
    """Changes when the segment's audio file or span changes."""
    path = corpus.audio_path(segment.recording_id)
    try:
        stat = os.stat(path)
        source = f"{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        source = "missing"
    return f"{source}:{segment.start:.6f}:{segment.duration:.6f}"
