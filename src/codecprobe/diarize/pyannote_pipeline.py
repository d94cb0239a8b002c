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
3. the shared stitching (:func:`~codecprobe.diarize.stitching.stitch`): local speakers with
   ``min_solo_s`` of solo speech are clustered (pyannote: 20 % of the window), every
   embedded one is assigned (Hungarian per window), the per-frame speaker count is the
   rounded mean of the windows' local counts, each frame keeps its ``count`` most active
   global speakers (overlap stays), then the minimum durations.

Steps 1-2 are :meth:`PyannotePipeline.analyse` (the expensive part, threshold-free); step 3
is :func:`decide`, which tuning re-runs alone.
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


@dataclass
class PyannoteAnalysis:
    on: np.ndarray  # [windows, F, 3] bool: hard local speakers
    starts: np.ndarray  # [windows] first grid frame of each window
    n_frames: int  # grid length
    embeddings: np.ndarray  # [windows, 3, 192], NaN rows where a local speaker has none


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
        min_samples = max(MIN_SAMPLES, int(settings.min_embedding_s * RATE))
        ons, embeddings, starts = [], [], []
        windows = SlidingWindows(audio_blocks(recording.path, RATE, self.config.block_s), step)
        with torch_threads(settings.threads):
            for batch in _batched(windows, settings.batch_windows):
                with timed(seconds, "segmentation"), torch.inference_mode():
                    audio = torch.from_numpy(np.stack([samples for _, samples in batch]))[:, None]
                    device = next(self.segmentation.parameters()).device
                    on = speaker_activities(self.segmentation(audio.to(device)), soft=False).cpu().numpy() > 0
                with timed(seconds, "embeddings"):
                    for (_, samples), local in zip(batch, on):
                        embeddings.append(self._embed(samples, local, min_samples, settings.threads))
                ons.append(on)
                starts += [start for start, _ in batch]
        if not starts:  # shorter than one frame
            return PyannoteAnalysis(np.zeros((0, WINDOW_FRAMES, 3), bool), np.zeros(0, np.int64), 0,
                                    np.zeros((0, 3, EMBEDDING_DIM)))
        return PyannoteAnalysis(np.concatenate(ons), np.asarray(starts, np.int64), num_frames(windows.total_samples),
                                np.stack(embeddings))

    def _embed(self, samples: np.ndarray, on: np.ndarray, min_samples: int, threads: int) -> np.ndarray:
        """``[3, 192]``: each local speaker's CAM++ embedding over its solo samples, else all its samples."""
        out = np.full((on.shape[1], EMBEDDING_DIM), np.nan)
        alone = on & (on.sum(axis=1, keepdims=True) == 1)
        crops, speakers = [], []
        for speaker in np.flatnonzero(on.any(axis=0)):
            for mask in (alone[:, speaker], on[:, speaker]):
                crop = samples[frame_samples(mask, len(samples))]
                if len(crop) >= min_samples:
                    crops.append(crop)
                    speakers.append(speaker)
                    break
        if crops:
            out[speakers] = campplus_embeddings(self.campplus, crops, threads=threads)
        return out


def decide(config: DiarizeConfig, recording: Recording, analysis: PyannoteAnalysis, speakers: SpeakerCount,
           seconds: dict[str, float]) -> RecordingResult:
    """Local speakers to global speakers with the config's thresholds (cheap: tuning re-runs only this)."""
    settings = config.pyannote
    on = analysis.on
    count = speaker_count(on, analysis.starts, analysis.n_frames)
    if not count.any():
        return empty_result(recording, "segmentation-3.0 found no speech: empty RTTM", seconds)
    alone = on & (on.sum(axis=2, keepdims=True) == 1)
    reliable = (alone.sum(axis=1) * FRAME_S >= settings.min_solo_s) & ~np.isnan(analysis.embeddings[:, :, 0])
    windows = LocalWindows(on.astype(np.float32), on, analysis.starts, FRAME_S, analysis.n_frames)
    stitched = stitch(windows, analysis.embeddings, reliable, count, settings.clustering, speakers,
                      settings.min_duration_on, settings.min_duration_off)
    seconds.update(stitched.seconds)
    result = finished_result(recording, stitched, FRAME_S, seconds)
    turns = result.turns
    start = turns.start + SHIFT_S
    result.turns = dataclasses.replace(turns, start=start,
                                       duration=np.minimum(turns.end + SHIFT_S, recording.duration) - start)
    return result


def frame_samples(mask: np.ndarray, n_samples: int) -> np.ndarray:
    """Sample indices of a window's frames where ``mask`` is on: frame i stands for the
    270 samples centred on its centre (sample 495 + 270 i), i.e. ``[360 + 270 i, 630 + 270 i)``.

    >>> frame_samples(np.array([False, True]), 1000)[[0, -1]].tolist()
    [630, 899]
    """
    first = PyanNet.first_centre - PyanNet.frame_step // 2
    index = first + PyanNet.frame_step * np.flatnonzero(mask)[:, None] + np.arange(PyanNet.frame_step)
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
