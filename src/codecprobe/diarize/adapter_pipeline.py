"""The adapter pipeline: a trained window model over a recording of any length.

1. The model's input features on its frame grid (its encoder's latents, read from the
   latent store when they are there, else encoded block by block);
2. sliding windows of the model's training length every ``adapter.step_s``, the last one
   ending on the recording's last frame; the model gives each window's local speaker
   activities, in batches;
3. a speaker embedding track over the recording (GE2E partials by default), and one
   embedding per (window, local speaker) over the frames where it speaks alone;
4. hysteresis on the local activities, the per-frame speaker count, clustering, the
   constrained assignment, overlap-add and reconstruction
   (:func:`~codecprobe.diarize.stitching.stitch`): overlapping speech stays overlapping.

Steps 1-3 are :meth:`AdapterPipeline.analyse` (the expensive part); step 4 is
:func:`decide`, which tuning re-runs alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from codecprobe.diarize.aggregation import hysteresis, speaker_count
from codecprobe.diarize.clustering import SpeakerCount
from codecprobe.diarize.config import DiarizeConfig
from codecprobe.diarize.long_audio import audio_blocks
from codecprobe.diarize.recordings import Recording, RecordingResult, empty_result
from codecprobe.diarize.speaker_embeddings import EmbeddingTrack, build_speaker_encoder, embedding_track
from codecprobe.diarize.stitching import LocalWindows, finished_result, solo_embeddings, stitch, timed
from codecprobe.threads import torch_threads


class WindowModel(Protocol):
    """What the pipeline needs from a trained model that sees one window at a time."""

    frame_rate: float  # output frames per second (its label grid)
    window_frames: int  # output frames per window, its training length
    input_ratio: int  # input frames per output frame
    n_local: int  # local speakers per window
    trained: bool  # False for an untrained (random-weights) control anywhere in it
    from_store: list[str]  # the input taps of the last recording read from the latent store

    def describe(self) -> dict:
        """What it is (checkpoint, encoders, taps, weights), for the summary; includes a one-line ``label``."""

    def features(self, recording: Recording, block_s: float) -> np.ndarray:
        """The model's input ``[frames * input_ratio, dim]`` for the whole recording."""

    def predict(self, windows: np.ndarray) -> np.ndarray:
        """Local speaker activity in [0, 1], ``[batch, frames, n_local]``, of windows
        ``[batch, frames * input_ratio, dim]`` (the last window of a recording may be shorter)."""


@dataclass
class AdapterAnalysis:
    activity: np.ndarray  # [windows, F, S] local activity
    starts: np.ndarray  # [windows] first frame of each window on the model's grid
    n_frames: int  # grid length
    frame_s: float
    track: EmbeddingTrack


class AdapterPipeline:
    name = "adapter"

    def __init__(self, config: DiarizeConfig, model: WindowModel | None = None):
        self.config = config
        self.model = model if model is not None else load_window_model(config)
        self.encoder, self.tap = build_speaker_encoder(config.embedding, config.device)

    def describe(self) -> dict:
        identity = self.encoder.identity()
        model = self.model.describe()
        trained = self.model.trained and identity.trained
        label = (f"adapter {model['label']} + {identity.encoder}:{self.tap} speaker embeddings + "
                 f"{self.config.adapter.clustering.method.upper()}")
        return {"pipeline": self.name, "trained": trained, "model": model,
                "speaker_encoder": {"encoder": identity.encoder, "tap": self.tap, "weights_id": identity.weights_id,
                                    "trained": identity.trained, "settings": identity.settings},
                "label": label + ("" if trained else " [UNTRAINED CONTROL: random weights]")}

    def diarize(self, recording: Recording, speakers: SpeakerCount) -> RecordingResult:
        seconds: dict[str, float] = {}
        frame_s = 1 / self.model.frame_rate
        if recording.duration < frame_s:
            return empty_result(recording, f"shorter than one frame ({recording.duration:.3f} s < {frame_s:g} s): "
                                           "empty RTTM")
        result = decide(self.config, recording, self.analyse(recording, seconds), speakers, seconds)
        if self.model.from_store:
            result.notes.append(f"{', '.join(self.model.from_store)} read from the latent store")
        return result

    def analyse(self, recording: Recording, seconds: dict[str, float]) -> AdapterAnalysis:
        config, model = self.config, self.model
        with timed(seconds, "encoder"):
            features = model.features(recording, config.block_s)
        n_frames, ratio = len(features) // model.input_ratio, model.input_ratio
        with timed(seconds, "adapter"), torch_threads(config.adapter.threads or torch.get_num_threads()):
            starts = window_starts(n_frames, model.window_frames,
                                   max(1, int(round(config.adapter.step_s * model.frame_rate))))
            activity = np.concatenate([
                model.predict(np.stack([features[s * ratio:(s + model.window_frames) * ratio] for s in batch]))
                for batch in np.array_split(starts, max(1, -(-len(starts) // config.adapter.batch_windows)))])
        with timed(seconds, "embeddings"):
            track = embedding_track(self.encoder, self.tap,
                                    audio_blocks(recording.path, self.encoder.sample_rate, config.block_s))
        return AdapterAnalysis(activity.astype(np.float32), starts, n_frames, 1 / model.frame_rate, track)


def decide(config: DiarizeConfig, recording: Recording, analysis: AdapterAnalysis, speakers: SpeakerCount,
           seconds: dict[str, float]) -> RecordingResult:
    """Local activities to global speakers with the config's thresholds (cheap: tuning re-runs only this)."""
    adapter = config.adapter
    with timed(seconds, "embeddings"):
        on = hysteresis(analysis.activity, adapter.onset, adapter.offset, axis=1)
        windows = LocalWindows(analysis.activity, on, analysis.starts, analysis.frame_s, analysis.n_frames)
        count = speaker_count(on, analysis.starts, analysis.n_frames)
        if not count.any():
            return empty_result(recording, "the adapter found no speech: empty RTTM", seconds)
        embeddings, reliable = solo_embeddings(windows, analysis.track, config.embedding.min_share, adapter.min_speech_s)
    stitched = stitch(windows, embeddings, reliable, count, adapter.clustering, speakers,
                      adapter.min_duration_on, adapter.min_duration_off)
    seconds.update(stitched.seconds)
    return finished_result(recording, stitched, analysis.frame_s, seconds, speakers)


def window_starts(n_frames: int, window: int, step: int) -> np.ndarray:
    """First frames of windows every ``step`` frames, the last one ending on the last frame.

    A recording shorter than one window gets one (shorter) window.

    >>> window_starts(10, 4, 3).tolist(), window_starts(3, 4, 3).tolist()
    ([0, 3, 6], [0])
    >>> window_starts(11, 4, 3).tolist()
    [0, 3, 6, 7]
    """
    last = max(0, n_frames - window)
    starts = np.arange(0, last + 1, step)
    return starts if starts[-1] == last else np.append(starts, last)


def load_window_model(config: DiarizeConfig) -> WindowModel:
    """The adapter checkpoint of the config, its encoders checked (InputError when it cannot serve)."""
    from codecprobe.diarize.checkpoint_model import CheckpointModel

    return CheckpointModel(config.model, config.device, config.store)
