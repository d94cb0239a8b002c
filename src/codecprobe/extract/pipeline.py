"""Extract encoder taps for every segment of a corpus into a :class:`LatentStore`.

What is already stored (same segment, same source fingerprint, same encoder identity
and tap) is skipped, so a rerun after a crash resumes where the last committed batch
ended. Segments are sorted by duration and packed into batches under a padded-audio
budget (length bucketing). Unreadable files are recorded as failures and skipped.

Each batch is read (:func:`read_segments`), encoded and written as one shard
(:func:`encode_to_shard`) by an executor, and its rows are committed to the store's
index here, in the calling process, so the index keeps one writer. Speed (``real_time_factor``)
is measured after a warm-up call on the first segment, which pays the encoder's first-call
set-up (lazy imports, allocations) outside the clock: otherwise a small corpus through a fast
encoder reports the set-up, not the encoder (issue 18 item 9: MFCC at 9.3x against log-mel's 138.5x). The local executor
(:func:`run_local`) does this in this process, reading the next batch on a background
thread while the model runs; the Ray executor
(:func:`codecprobe.extract.ray_executor.run_on_ray`) spreads the same two functions
over a cluster.
"""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np
from tqdm.auto import tqdm

from codecprobe.audio import AudioError, read_audio
from codecprobe.encoders.base import Encoder, weights_kind
from codecprobe.extract.executor import ExecutorConfig
from codecprobe.store import LatentStore
from codecprobe.store.latent_store import NewEntry, WrittenShard, write_shard

if TYPE_CHECKING:  # lhotse takes seconds to import, and Ray's reading workers need none of it
    from lhotse import SupervisionSegment

    from codecprobe.data import Corpus


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
    wall_seconds: float = 0.0  # the whole run
    warmup_seconds: float = 0.0  # the warm-up call on the first segment (local executor)
    timed_seconds: float = 0.0  # after the warm-up: reading, encoding and storing the segments
    model_seconds: float = 0.0  # time inside encoder.encode_batch (summed over workers)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (segment id or path, reason)

    @property
    def real_time_factor(self) -> float:
        """Audio seconds processed per wall-clock second after the warm-up (higher is faster)."""
        return self.audio_seconds / self.timed_seconds if self.timed_seconds > 0 else float("nan")

    def to_dict(self) -> dict:
        return {**self.__dict__, "weights": weights_kind(self.weights_id, self.trained),
                "real_time_factor": self.real_time_factor, "audio_hours": self.audio_seconds / 3600}


@dataclass(frozen=True)
class SegmentJob:
    """One segment to encode, with all a reader in any process needs (no corpus object)."""

    segment_id: str
    path: str
    start: float
    duration: float
    fingerprint: str


@dataclass(frozen=True)
class BatchOutcome:
    """What became of one planned batch: the shard its arrays went to (None if nothing was read)."""

    index: int  # position in the plan
    shard: WrittenShard | None
    failures: list[tuple[str, str]]
    audio_seconds: float
    model_seconds: float
    n_encoded: int


def extract(
    corpus: Corpus,
    encoder: Encoder,
    taps: Sequence[str] | None,
    store: LatentStore,
    batch_seconds: float = 120.0,
    max_batch_size: int = 32,
    progress: bool = True,
    executor: ExecutorConfig = ExecutorConfig(),
) -> ExtractSummary:
    """Encode every segment of ``corpus`` not yet in ``store`` at ``taps`` (default: the encoder's).

    ``executor`` says where: in this process (the default) or on a Ray cluster (docs/scale.md);
    the store ends up the same either way.
    """
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

    if todo:  # before any work: Ray's workers would write shards into the folder
        store.require_writable(identity, len(todo) * len(taps))
    batches = [
        [SegmentJob(todo[i].id, str(corpus.audio_path(todo[i].recording_id)), todo[i].start, todo[i].duration,
                    fingerprints[todo[i].id]) for i in batch]
        for batch in plan_batches([s.duration for s in todo], batch_seconds, max_batch_size)
    ]
    if executor.kind == "ray":
        from codecprobe.extract.ray_executor import run_on_ray

        outcomes = run_on_ray(batches, encoder, taps, store.root, executor)
    else:
        summary.warmup_seconds = warm_up(encoder, taps, batches[0][0]) if batches else 0.0
        outcomes = run_local(batches, encoder, taps, store.root)
    clock = time.perf_counter()  # speed is measured from here
    # the total is the sum of the very numbers the bar adds up, in the same order: it ends exactly on it
    audio_per_batch = [sum(job.duration for job in batch) for batch in batches]
    bar = tqdm(total=sum(audio_per_batch), unit="s", unit_scale=True, disable=not progress,
               desc=f"{identity.encoder}:{','.join(taps)}", dynamic_ncols=True)
    failures: dict[int, list[tuple[str, str]]] = {}  # by batch, listed in plan order at the end
    for outcome in outcomes:
        if outcome.shard is not None:
            store.commit(identity, outcome.shard)
        failures[outcome.index] = outcome.failures
        summary.n_extracted += outcome.n_encoded
        summary.audio_seconds += outcome.audio_seconds
        summary.model_seconds += outcome.model_seconds
        bar.update(audio_per_batch[outcome.index])
        bar.set_postfix_str(f"{summary.audio_seconds / max(time.perf_counter() - clock, 1e-9):.1f}x real time")
    bar.close()
    summary.failures += [failure for index in sorted(failures) for failure in failures[index]]
    summary.timed_seconds = time.perf_counter() - clock
    summary.wall_seconds = time.perf_counter() - started
    return summary


def warm_up(encoder: Encoder, taps: Sequence[str], job: SegmentJob) -> float:
    """Encode one segment once, unstored, so the first-call set-up is not timed with the corpus; its seconds."""
    tick = time.perf_counter()
    loaded, _ = read_segments([job], encoder.sample_rate)
    if loaded:  # an unreadable segment is reported when its batch is read
        encoder.encode_batch([loaded[0][1]], taps)
    return time.perf_counter() - tick


def run_local(batches: list[list[SegmentJob]], encoder: Encoder, taps: Sequence[str],
              root: str | os.PathLike) -> Iterator[BatchOutcome]:
    """Encode the batches in this process, in plan order, reading the next one on a thread meanwhile."""
    with ThreadPoolExecutor(max_workers=1) as reader:
        pending = reader.submit(read_segments, batches[0], encoder.sample_rate) if batches else None
        for index in range(len(batches)):
            loaded, failed = pending.result()
            if index + 1 < len(batches):  # overlap reading the next batch with this batch's forward pass
                pending = reader.submit(read_segments, batches[index + 1], encoder.sample_rate)
            yield encode_to_shard(encoder, taps, root, index, loaded, failed)


def read_segments(jobs: Sequence[SegmentJob], rate: int) -> tuple[list[tuple[SegmentJob, np.ndarray]], list[tuple[str, str]]]:
    """Read and resample each segment: ``(job, audio)`` for those read, ``(segment id, reason)`` for the rest."""
    loaded, failed = [], []
    for job in jobs:
        try:
            audio, _ = read_audio(job.path, job.start, job.start + job.duration, target_rate=rate)
        except AudioError as error:
            failed.append((job.segment_id, str(error)))
            continue
        loaded.append((job, audio))
    return loaded, failed


def encode_to_shard(encoder: Encoder, taps: Sequence[str], root: str | os.PathLike, index: int,
                    loaded: list[tuple[SegmentJob, np.ndarray]], failed: list[tuple[str, str]]) -> BatchOutcome:
    """Encode one read batch and write its arrays as a shard of the store at ``root`` (not yet indexed)."""
    if not loaded:
        return BatchOutcome(index, None, failed, 0.0, 0.0, 0)
    tick = time.perf_counter()
    outputs = encoder.encode_batch([audio for _, audio in loaded], taps)
    model_seconds = time.perf_counter() - tick
    loaded, outputs, not_finite = _finite_only(loaded, outputs)
    failed = failed + not_finite
    if not loaded:
        return BatchOutcome(index, None, failed, 0.0, model_seconds, 0)
    shard = write_shard(root, [
        NewEntry(job.segment_id, tap, job.fingerprint, sequence.frames, sequence.frame_rate)
        for (job, _), by_tap in zip(loaded, outputs) for tap, sequence in by_tap.items()
    ])
    return BatchOutcome(index, shard, failed, sum(job.duration for job, _ in loaded), model_seconds, len(loaded))


def ensure_extracted(corpus: Corpus, encoder: Encoder, taps: Sequence[str], store: LatentStore,
                     progress: bool = True, executor: ExecutorConfig = ExecutorConfig()) -> ExtractSummary:
    """:func:`extract`, then refuse to go on if any segment of the corpus could not be encoded.

    A study that reads every segment back from the store calls this first: a missing
    segment is a bad input file, reported by name, not a ``KeyError`` later.
    """
    from codecprobe.errors import InputError

    summary = extract(corpus, encoder, taps, store, progress=progress, executor=executor)
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


def _finite_only(loaded: list, outputs: list[dict]) -> tuple[list, list[dict], list[tuple[str, str]]]:
    """The segments whose every tap is finite, and a failure for each of the others."""
    kept, kept_outputs, failed = [], [], []
    for (job, audio), by_tap in zip(loaded, outputs):
        bad = [tap for tap, sequence in by_tap.items() if not np.isfinite(sequence.frames).all()]
        if bad:
            failed.append((job.segment_id, f"the encoder gave non-finite values (NaN or infinity) at tap(s) {', '.join(bad)}"))
        else:
            kept.append((job, audio))
            kept_outputs.append(by_tap)
    return kept, kept_outputs, failed


def _fingerprint(corpus: Corpus, segment: SupervisionSegment) -> str:
    return source_fingerprint(corpus.audio_path(segment.recording_id), segment.start, segment.duration)


def source_fingerprint(path: str, start: float, duration: float) -> str:
    """What the store checks a cached entry against: changes when the audio file or the span changes."""
    try:
        stat = os.stat(path)
        source = f"{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        source = "missing"
    return f"{source}:{start:.6f}:{duration:.6f}"
