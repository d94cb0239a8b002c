"""Windows with local speakers to global speakers on one frame grid: the part both pipelines share.

Given sliding windows of local speaker activity (from the adapter, or from VAD for the
classic baseline), one speaker embedding per (window, local speaker) and a speaker count
per frame, :func:`stitch` clusters the reliable embeddings into global speakers,
assigns every embedded local speaker to one of them (never two of one window to the
same one), overlap-adds the windows onto the grid, keeps the ``count`` most active
speakers per frame and applies the minimum durations.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from codecprobe.diarize.aggregation import apply_min_durations, overlap_add, reconstruct, to_turns
from codecprobe.diarize.assignment import constrained_assignment
from codecprobe.diarize.clustering import Clusters, SpeakerCount, cluster_embeddings
from codecprobe.diarize.config import ClusteringConfig
from codecprobe.diarize.recordings import Recording, RecordingResult, speech_seconds
from codecprobe.diarize.speaker_embeddings import EmbeddingTrack, pool


@dataclass
class LocalWindows:
    """Sliding windows over a recording's frame grid and the local speakers in each."""

    activity: np.ndarray  # [windows, F, S] local activity in [0, 1]
    on: np.ndarray  # [windows, F, S] the same, binarised
    starts: np.ndarray  # [windows] first grid frame of each window
    frame_s: float  # grid step
    n_frames: int  # grid length

    def __post_init__(self) -> None:
        if self.activity.shape != self.on.shape or self.activity.ndim != 3 or len(self.starts) != len(self.activity):
            raise ValueError(f"activity {self.activity.shape}, on {self.on.shape} and starts {self.starts.shape} disagree")


@dataclass
class Stitched:
    on: np.ndarray  # [n_frames, speakers] final activity
    clusters: Clusters
    n_embeddings: int  # (window, local speaker) pairs with an embedding
    n_reliable: int  # of those, the reliable ones (0: none was, and all were clustered)
    seconds: dict[str, float] = field(default_factory=dict)  # clustering, aggregation


def solo_embeddings(windows: LocalWindows, track: EmbeddingTrack, min_share: float,
                    min_speech_s: float) -> tuple[np.ndarray, np.ndarray]:
    """One embedding per (window, local speaker): pooled where it speaks alone, else wherever it speaks.

    Returns ``(embeddings [windows, S, D] with NaN rows where it never speaks,
    reliable [windows, S])``: reliable ones spoke alone for at least ``min_speech_s``
    and are the ones clustered (pyannote's ``filter_embeddings``); the rest are only assigned.
    """
    n_windows, _, n_local = windows.on.shape
    embeddings = np.full((n_windows, n_local, track.vectors.shape[1]), np.nan)
    alone = windows.on & (windows.on.sum(axis=2, keepdims=True) == 1)
    reliable = alone.sum(axis=1) * windows.frame_s >= min_speech_s
    for w, s in zip(*np.nonzero(windows.on.any(axis=1))):
        for mask in (alone[w, :, s], windows.on[w, :, s]):
            vector = pool(track, mask, windows.frame_s, int(windows.starts[w]), min_share) if mask.any() else None
            if vector is not None:
                embeddings[w, s] = vector
                break
    reliable &= ~np.isnan(embeddings[:, :, 0])
    return embeddings, reliable


def stitch(windows: LocalWindows, embeddings: np.ndarray, reliable: np.ndarray, count: np.ndarray,
           clustering: ClusteringConfig, speakers: SpeakerCount, min_duration_on: float,
           min_duration_off: float, groups: np.ndarray | None = None) -> Stitched:
    """Global speakers per grid frame from windows, their embeddings and the per-frame count
    (``groups``: local speakers that may share a global speaker, :func:`constrained_assignment`)."""
    seconds: dict[str, float] = {}
    embedded = ~np.isnan(embeddings[:, :, 0])
    with timed(seconds, "clustering"):
        chosen = reliable if reliable.any() else embedded  # nothing reliable: cluster what there is
        clusters = cluster_embeddings(embeddings[chosen], clustering, speakers)
        assignment = constrained_assignment(embeddings, clusters.centroids, groups)
    with timed(seconds, "aggregation"):
        activity = overlap_add(windows.activity, windows.starts, assignment, windows.n_frames, clusters.n_speakers)
        if speakers.num is not None or speakers.maximum is not None:
            count = np.minimum(count, speakers.num or speakers.maximum)
        on = apply_min_durations(reconstruct(activity, count), windows.frame_s, min_duration_on, min_duration_off)
    return Stitched(on, clusters, int(embedded.sum()), int(reliable.sum()), seconds)


@contextlib.contextmanager
def timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    """Add the wall time of the ``with`` block to ``seconds[stage]``."""
    tick = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - tick


def finished_result(recording: Recording, stitched: Stitched, frame_s: float, seconds: dict[str, float],
                    speakers: SpeakerCount = SpeakerCount()) -> RecordingResult:
    """The recording's turns (speakers ``SPEAKER_00``, ``SPEAKER_01``, ... in order of first appearance),
    with a note where fewer speakers came out than ``speakers`` asks for, and why."""
    labels = [f"SPEAKER_{k:02d}" for k in range(stitched.on.shape[1])]
    turns = to_turns(stitched.on, frame_s, recording.id, labels, recording.duration)
    result = RecordingResult(recording, turns, seconds, n_speakers=len(set(turns.code.tolist())),
                             speech_s=speech_seconds(stitched.on, frame_s))
    if stitched.n_reliable == 0 and stitched.n_embeddings > 0:
        result.notes.append("no window had enough speech for a reliable embedding: clustered all of them")
    if not len(turns):
        result.notes.append("no speaker left after the minimum durations: empty RTTM")
    asked = speakers.num or speakers.minimum
    if len(turns) and result.n_speakers < asked:
        option = f"--num-speakers {speakers.num}" if speakers.num else f"--min-speakers {speakers.minimum}"
        clusters = stitched.clusters.n_speakers
        why = (f"the clustering made {clusters} from {stitched.clusters.n_clustered} speaker embedding(s)"
               if clusters < asked else
               f"{clusters - result.n_speakers} of {clusters} clustered speakers never speak after the per-frame "
               f"speaker count and the minimum durations")
        result.notes.append(f"{option} asked for {asked} speakers; found {result.n_speakers}: {why}")
    return result
