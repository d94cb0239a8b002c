"""pyannote 3.1's diarization recipe on trained weights: segmentation-3.0 windows and CAM++ embeddings.

1. 10 s windows every ``pyannote.step_s`` (the last one ending on the last frame; shorter
   recordings are one window padded with zeros, as pyannote pads), read from the audio
   stream block by block; segmentation-3.0 gives each window's powerset posteriors on its
   16.875 ms grid, and the most probable class per frame gives the local speakers (hard: at
   most 2 of 3 per frame, pyannote's ``Powerset.to_multilabel(soft=False)``);
2. one CAM++ embedding per (window, local speaker): of the window's samples where that
   speaker speaks alone (pyannote's ``exclude_overlap``), else of all its samples, if they
   last ``min_embedding_s``; pyannote masks its embedding model's pooling, here the frames
   are cut out and joined, which costs at most one 10 s CAM++ pass per window;
   with ``split_threshold`` set, the change-of-voice check: one CAM++ embedding per
   ``split_piece_s`` piece of a local speaker's solo speech (a second pass over it), the best
   split of the pieces into an earlier and a later part (:func:`best_split`: the largest
   between-part sum of squares), and, where that sum is above ``split_threshold``, one CAM++
   embedding of each part (a third pass over those local speakers only);
3. such a local speaker becomes two (:func:`split_local_speakers`), its frames before and
   after the split: segmentation-3.0 gives two speakers who follow each other in a window one
   local speaker (pyAudioAnalysis' second example, six speakers back to back), whose one
   embedding then mixes two voices;
4. the shared stitching (:func:`~codecprobe.diarize.stitching.stitch`): local speakers with
   ``min_solo_s`` of solo speech are clustered (pyannote: 20 % of the window), every
   embedded one is assigned (Hungarian per window), the per-frame speaker count is the
   rounded mean of the windows' local counts, each frame keeps its ``count`` most active
   global speakers (overlap stays), then the minimum durations.

Steps 1-2 are :meth:`PyannotePipeline.analyse` (the expensive part; its only threshold is
``split_threshold``, below which parts are not embedded, so :func:`decide` with any threshold at or
above the analysis' gives what a fresh run would); steps 3-4 are :func:`decide`, which tuning
re-runs alone.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
import torch

from codecprobe.diarize.adapter_pipeline import window_starts
from codecprobe.diarize.aggregation import speaker_count
from codecprobe.diarize.clustering import SpeakerCount
from codecprobe.diarize.config import DiarizeConfig
from codecprobe.diarize.long_audio import audio_blocks
from codecprobe.diarize.recordings import Recording, RecordingResult, empty_result
from codecprobe.diarize.stitching import LocalWindows, finished_result, stitch, timed
from codecprobe.encoders.campplus import MIN_SAMPLES, campplus_embeddings, load_campplus_model
from codecprobe.encoders.segmentation import WINDOW_SECONDS, load_segmentation_model
from codecprobe.models.campplus import EMBEDDING_DIM
from codecprobe.models.pyannet import PyanNet, num_frames, speaker_activities
from codecprobe.threads import torch_threads

RATE = PyanNet.sample_rate
WINDOW_SAMPLES = int(WINDOW_SECONDS * RATE)
WINDOW_FRAMES = num_frames(WINDOW_SAMPLES)  # 589
FRAME_S = PyanNet.frame_step / RATE  # 16.875 ms
# grid frame t stands for [t * FRAME_S, (t + 1) * FRAME_S) but segmentation frame t is centred on
# sample 495 + 270 t: turns are shifted by the difference (22.5 ms)
SHIFT_S = (PyanNet.first_centre - PyanNet.frame_step / 2) / RATE
# each part of a split has at least this many pieces: the mean of a single short piece's embedding is too noisy
# (pieces of 0.75-1 s of one LibriSpeech voice lie at cosine similarity 0.3-0.6 on average) and would make the
# best split a chance one
SPLIT_MIN_PIECES = 2
_FIRST_SAMPLE = PyanNet.first_centre - PyanNet.frame_step // 2  # the first sample frame 0 stands for (360)


@dataclass
class PyannoteAnalysis:
    on: np.ndarray  # [windows, F, 3] bool: hard local speakers
    starts: np.ndarray  # [windows] first grid frame of each window
    n_frames: int  # grid length
    embeddings: np.ndarray  # [windows, 3, 192], NaN rows where a local speaker has none
    splits: Splits  # each local speaker's best split into an earlier and a later voice


@dataclass
class Splits:
    """Per (window, local speaker): where its solo speech splits best into two voices (:func:`best_split`)."""

    statistic: np.ndarray  # [windows, S] the best split's between-part sum of squares (best_split); NaN: not checked
    frame: np.ndarray  # [windows, S] first window frame of the later part
    # [windows, S, 2, 192] the earlier and later parts' CAM++ embeddings; NaN where statistic was not above
    # the analysis' split_threshold
    embeddings: np.ndarray

    @classmethod
    def none(cls, n_windows: int, n_local: int = 3) -> Splits:
        return cls(np.full((n_windows, n_local), np.nan), np.zeros((n_windows, n_local), np.int64),
                   np.full((n_windows, n_local, 2, EMBEDDING_DIM), np.nan, np.float32))

    @classmethod
    def joined(cls, parts: list[Splits]) -> Splits:
        return cls(*(np.concatenate([getattr(part, name) for part in parts])
                     for name in ("statistic", "frame", "embeddings")))


class PyannotePipeline:
    name = "pyannote"

    def __init__(self, config: DiarizeConfig):
        settings = config.pyannote
        self.config = config
        self.segmentation, self.segmentation_id = load_segmentation_model(settings.segmentation_weights)
        self.campplus, self.campplus_id = load_campplus_model(settings.embedding_weights)
        self.segmentation.to(config.device)
        self.campplus.to(config.device)

    def describe(self) -> dict:
        clustering = self.config.pyannote.clustering.method.upper()
        return {"pipeline": self.name, "trained": True,
                "segmentation": {"model": "pyannote segmentation-3.0", "weights_id": self.segmentation_id},
                "speaker_encoder": {"encoder": "campplus", "tap": "embedding", "weights_id": self.campplus_id,
                                    "trained": True},
                "label": f"pyannote 3.1 recipe (segmentation-3.0 + CAM++ + {clustering})"}

    def diarize(self, recording: Recording, speakers: SpeakerCount) -> RecordingResult:
        seconds: dict[str, float] = {}
        analysis = self.analyse(recording, seconds)
        if analysis.n_frames < 1:
            return empty_result(recording, f"shorter than one frame ({recording.duration:.3f} s < "
                                           f"{PyanNet.receptive_field / RATE:.3f} s): empty RTTM", seconds)
        return decide(self.config, recording, analysis, speakers, seconds)

    def analyse(self, recording: Recording, seconds: dict[str, float]) -> PyannoteAnalysis:
        """Hard local speakers of every window and their CAM++ embeddings."""
        settings = self.config.pyannote
        step = max(1, int(round(settings.step_s / FRAME_S)))
        ons, embeddings, splits, starts = [], [], [], []
        windows = SlidingWindows(audio_blocks(recording.path, RATE, self.config.block_s), step)
        with torch_threads(settings.threads):
            for batch in _batched(windows, settings.batch_windows):
                with timed(seconds, "segmentation"), torch.inference_mode():
                    audio = torch.from_numpy(np.stack([samples for _, samples in batch]))[:, None]
                    device = next(self.segmentation.parameters()).device
                    on = speaker_activities(self.segmentation(audio.to(device)), soft=False).cpu().numpy() > 0
                with timed(seconds, "embeddings"):
                    for (_, samples), local in zip(batch, on):
                        window_embeddings, window_splits = self.embed_window(samples, local)
                        embeddings.append(window_embeddings)
                        splits.append(window_splits)
                ons.append(on)
                starts += [start for start, _ in batch]
        if not starts:  # shorter than one frame
            return PyannoteAnalysis(np.zeros((0, WINDOW_FRAMES, 3), bool), np.zeros(0, np.int64), 0,
                                    np.zeros((0, 3, EMBEDDING_DIM)), Splits.none(0))
        return PyannoteAnalysis(np.concatenate(ons), np.asarray(starts, np.int64), num_frames(windows.total_samples),
                                np.stack(embeddings), Splits.joined(splits))

    def embed_window(self, samples: np.ndarray, on: np.ndarray) -> tuple[np.ndarray, Splits]:
        """One window's ``[S, 192]`` CAM++ embeddings, one per local speaker of ``on`` ``[F, S]``: over
        its solo samples, else all its samples, if they last ``min_embedding_s`` (NaN rows otherwise);
        and, with ``split_threshold`` set, each local speaker with solo speech for two parts of
        :data:`SPLIT_MIN_PIECES` pieces checked for a change of voice (a one-window :class:`Splits`;
        its two parts are embedded only where their split's statistic is above the threshold)."""
        settings = self.config.pyannote
        min_samples = max(MIN_SAMPLES, int(settings.min_embedding_s * RATE))
        piece = int(settings.split_piece_s * RATE) if settings.split_threshold is not None else 0
        out = np.full((on.shape[1], EMBEDDING_DIM), np.nan)
        splits = Splits.none(1, on.shape[1])
        alone = on & (on.sum(axis=1, keepdims=True) == 1)
        crops, speakers, checked = [], [], {}  # checked: local speaker -> its solo samples' indices
        for speaker in np.flatnonzero(on.any(axis=0)):
            for solo, mask in ((True, alone[:, speaker]), (False, on[:, speaker])):
                index = frame_samples(mask, len(samples))
                if len(index) >= min_samples:
                    crops.append(samples[index])
                    speakers.append(speaker)
                    if solo and piece and len(index) >= 2 * SPLIT_MIN_PIECES * piece:
                        checked[speaker] = index
                    break
        if not crops:
            return out, splits
        firsts = {speaker: piece_starts(len(index), piece) for speaker, index in checked.items()}
        pieces = [samples[checked[speaker][first:first + piece]] for speaker in checked for first in firsts[speaker]]
        vectors = campplus_embeddings(self.campplus, crops + pieces, threads=settings.threads)
        out[speakers] = vectors[:len(crops)]
        offset, parts, split_speakers = len(crops), [], []
        for speaker, index in checked.items():
            first = firsts[speaker]
            statistic, later = best_split(vectors[offset:offset + len(first)])
            offset += len(first)
            # the later part starts halfway between the pieces either side of the split
            cut = (first[later - 1] + piece + first[later]) // 2
            splits.statistic[0, speaker] = statistic
            splits.frame[0, speaker] = (index[cut] - _FIRST_SAMPLE) // PyanNet.frame_step
            if statistic > settings.split_threshold:
                parts += [samples[index[:cut]], samples[index[cut:]]]
                split_speakers.append(speaker)
        if parts:  # each part gets its own embedding over all its samples, as a local speaker does
            splits.embeddings[0, split_speakers] = campplus_embeddings(
                self.campplus, parts, threads=settings.threads).reshape(len(split_speakers), 2, EMBEDDING_DIM)
        return out, splits


def decide(config: DiarizeConfig, recording: Recording, analysis: PyannoteAnalysis, speakers: SpeakerCount,
           seconds: dict[str, float]) -> RecordingResult:
    """Local speakers to global speakers with the config's thresholds (cheap: tuning re-runs only this)."""
    settings = config.pyannote
    count = speaker_count(analysis.on, analysis.starts, analysis.n_frames)
    if not count.any():
        return empty_result(recording, "segmentation-3.0 found no speech: empty RTTM", seconds)
    on, embeddings, groups = split_local_speakers(analysis, settings.split_threshold)
    alone = on & (on.sum(axis=2, keepdims=True) == 1)
    reliable = (alone.sum(axis=1) * FRAME_S >= settings.min_solo_s) & ~np.isnan(embeddings[:, :, 0])
    windows = LocalWindows(on.astype(np.float32), on, analysis.starts, FRAME_S, analysis.n_frames)
    stitched = stitch(windows, embeddings, reliable, count, settings.clustering, speakers,
                      settings.min_duration_on, settings.min_duration_off, groups)
    seconds.update(stitched.seconds)
    result = finished_result(recording, stitched, FRAME_S, seconds)
    turns = result.turns
    start = turns.start + SHIFT_S
    result.turns = dataclasses.replace(turns, start=start,
                                       duration=np.minimum(turns.end + SHIFT_S, recording.duration) - start)
    return result


def split_local_speakers(analysis: PyannoteAnalysis, threshold: float | None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(on [windows, F, S], embeddings [windows, S, 192], groups [windows, S])``: the analysis' local
    speakers, each whose best split's statistic is above ``threshold`` made two (S grows by the most splits
    in one window).

    The earlier part keeps the local speaker's place, the later one takes a new one; each gets its part's
    embedding and the local speaker's index as its group. The two parts never speak at once, so the
    constrained assignment lets them share a global speaker (the clustering decides whether they are one
    voice) while keeping each apart from the window's other local speakers.
    A threshold below the analysis' own splits no more than the analysis' did (the parts were not embedded).
    """
    on, embeddings = analysis.on, analysis.embeddings
    groups = np.broadcast_to(np.arange(on.shape[2]), on.shape[::2])
    if threshold is None:
        return on, embeddings, groups
    # NaN (not checked): False; parts are embedded only where the analysis' own threshold was passed
    split = (analysis.splits.statistic > threshold) & ~np.isnan(analysis.splits.embeddings[:, :, 0, 0])
    if not split.any():
        return on, embeddings, groups
    extra = int(split.sum(axis=1).max())
    on = np.concatenate([on, np.zeros((*on.shape[:2], extra), bool)], axis=2)
    embeddings = np.concatenate([embeddings, np.full((len(on), extra, embeddings.shape[2]), np.nan)], axis=1)
    groups = np.concatenate([groups, np.broadcast_to(np.arange(groups.shape[1], on.shape[2]), (len(on), extra))], axis=1)
    for window in np.flatnonzero(split.any(axis=1)):
        for new, speaker in enumerate(np.flatnonzero(split[window]), start=analysis.on.shape[2]):
            later = analysis.splits.frame[window, speaker]
            on[window, later:, new] = on[window, later:, speaker]
            on[window, later:, speaker] = False
            embeddings[window, [speaker, new]] = analysis.splits.embeddings[window, speaker]
            groups[window, new] = speaker
    return on, embeddings, groups


def best_split(pieces: np.ndarray) -> tuple[float, int]:
    """The split of ``[n, D]`` time-ordered piece embeddings into an earlier and a later part of at least
    :data:`SPLIT_MIN_PIECES` pieces each (n >= 2 * SPLIT_MIN_PIECES) with the largest between-part sum of
    squares of the unit piece embeddings, ``n1 n2 / n * |mean1 - mean2|^2`` (what Ward's linkage would pay to
    merge the two parts): ``(that sum, first piece of the later part)``.

    Weighing the means' distance by the parts' sizes is what makes the statistic evidence of a change: the
    distance alone is largest where one part is shortest and noisiest, so it places a change late or early
    (the short part is purest) and finds short parts of one voice as far apart as two voices.

    >>> a, b = np.eye(3)[0], np.eye(3)[1]
    >>> statistic, later = best_split(np.stack([a, a, b, b, b]))
    >>> round(statistic, 4), later
    (2.4, 2)
    """
    unit = _unit(np.asarray(pieces, np.float64))
    n = len(unit)
    earlier = np.arange(SPLIT_MIN_PIECES, n - SPLIT_MIN_PIECES + 1)  # pieces in the earlier part
    before = np.cumsum(unit, axis=0)[earlier - 1]
    gap = before / earlier[:, None] - (unit.sum(axis=0) - before) / (n - earlier)[:, None]
    statistic = earlier * (n - earlier) / n * np.sum(gap ** 2, axis=1)
    best = int(np.argmax(statistic))
    return float(statistic[best]), int(earlier[best])


def piece_starts(n_samples: int, piece: int) -> np.ndarray:
    """Starts of ``n_samples // piece`` pieces of ``piece`` samples spread evenly over ``n_samples``
    (the first at 0, the last ending on the end; equal lengths, so CAM++ batches them).

    >>> piece_starts(10, 3).tolist()
    [0, 4, 7]
    """
    return np.round(np.linspace(0, n_samples - piece, n_samples // piece)).astype(np.int64)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def frame_samples(mask: np.ndarray, n_samples: int) -> np.ndarray:
    """Sample indices of a window's frames where ``mask`` is on: frame i stands for the
    270 samples centred on its centre (sample 495 + 270 i), i.e. ``[360 + 270 i, 630 + 270 i)``.

    >>> frame_samples(np.array([False, True]), 1000)[[0, -1]].tolist()
    [630, 899]
    """
    index = _FIRST_SAMPLE + PyanNet.frame_step * np.flatnonzero(mask)[:, None] + np.arange(PyanNet.frame_step)
    index = index.ravel()
    return index[index < n_samples]


class SlidingWindows:
    """``(first grid frame, 10 s of samples)`` of a stream of 16 kHz blocks: windows every ``step``
    frames, then one ending on the last frame if the regular ones miss it, each padded with zeros
    to 10 s; ``total_samples`` is the stream's length once it is exhausted. Holds one window
    and one block of audio at a time."""

    def __init__(self, blocks: Iterable[np.ndarray], step: int):
        self.blocks, self.step, self.total_samples = blocks, step, 0

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        hop = PyanNet.frame_step
        buffer, buffer_start, next_start, last_yielded = np.zeros(0, np.float32), 0, 0, None
        for block in self.blocks:
            buffer = np.concatenate([buffer, block])
            while (next_start * hop) + WINDOW_SAMPLES <= buffer_start + len(buffer):
                offset = next_start * hop - buffer_start
                yield next_start, buffer[offset:offset + WINDOW_SAMPLES]
                last_yielded, next_start = next_start, next_start + self.step
            keep = (last_yielded or 0) * hop  # the last window may start anywhere after the last one yielded
            buffer, buffer_start = buffer[keep - buffer_start:], keep
        self.total_samples = buffer_start + len(buffer)
        frames = num_frames(self.total_samples)
        if frames < 1:
            return
        last = int(window_starts(frames, WINDOW_FRAMES, self.step)[-1])
        if last_yielded is None or last > last_yielded:
            samples = buffer[last * hop - buffer_start:][:WINDOW_SAMPLES]
            yield last, np.pad(samples, (0, WINDOW_SAMPLES - len(samples)))


def _batched(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
