"""The training-free baseline: Silero VAD speech, speaker-embedding windows, clustering; no overlap.

Every window of the speaker encoder (a GE2E partial: 1.6 s every 0.4 s by default; for
a frame-level tap, ``window_s`` every ``step_s`` of mean-pooled speech frames) is one
"local speaker" that is active on the window's speech frames. Windows mostly speech
are clustered; every window with speech is then assigned to its nearest speaker, and
each speech frame goes to the speaker most of its windows were assigned to (the shared
:func:`~codecprobe.diarize.stitching.stitch` with a count of one speaker on speech
frames and none elsewhere).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from codecprobe.audio.vad import VAD_RATE, segments_from_probabilities, segments_to_frame_mask, stream_speech_probabilities
from codecprobe.diarize.clustering import SpeakerCount
from codecprobe.diarize.config import ClassicConfig, DiarizeConfig
from codecprobe.diarize.long_audio import audio_blocks
from codecprobe.diarize.recordings import Recording, RecordingResult, empty_result
from codecprobe.diarize.speaker_embeddings import EmbeddingTrack, build_speaker_encoder, embedding_track, pool
from codecprobe.diarize.stitching import LocalWindows, finished_result, stitch, timed


def speech_on_grid(segments: list[tuple[float, float]], frame_s: float, duration: float) -> np.ndarray:
    """Grid frames (``[t * frame_s, (t + 1) * frame_s)``) at least half covered by speech segments."""
    return segments_to_frame_mask(segments, 1 / frame_s, math.ceil(duration / frame_s - 1e-9))


def classic_windows(track: EmbeddingTrack, speech: np.ndarray, config: ClassicConfig,
                    min_share: float) -> tuple[LocalWindows, np.ndarray, np.ndarray]:
    """Windows with one local speaker active on their speech frames, their embeddings, and which to cluster.

    Returns ``(windows, embeddings [windows, 1, D], reliable [windows, 1])``; a window
    without speech has a NaN embedding, one with speech on at least ``min_speech_share``
    of its frames is reliable.
    """
    frame_s = config.frame_s
    if track.span > track.hop:  # the encoder's frames are windows already (GE2E partials)
        starts_s, length_s = np.arange(len(track)) * track.hop, track.span
    else:
        starts_s, length_s = np.arange(0, len(speech) * frame_s, config.step_s), config.window_s
    starts = np.round(starts_s / frame_s).astype(np.int64)
    n_local_frames = max(1, int(round(length_s / frame_s)))
    frames = starts[:, None] + np.arange(n_local_frames)
    active = np.pad(speech, (0, n_local_frames))[np.minimum(frames, len(speech))]  # past the end: no speech
    embeddings = np.full((len(starts), 1, track.vectors.shape[1]), np.nan)
    has_speech = np.flatnonzero(active.any(axis=1))
    if track.span > track.hop:
        embeddings[has_speech, 0] = track.vectors[has_speech]
    else:
        for w in has_speech:
            vector = pool(track, active[w], frame_s, int(starts[w]), min_share)
            if vector is not None:
                embeddings[w, 0] = vector
    reliable = (active.mean(axis=1) >= config.min_speech_share)[:, None] & ~np.isnan(embeddings[:, :, 0])
    activity = active[:, :, None].astype(np.float32)
    return LocalWindows(activity, activity > 0, starts, frame_s, len(speech)), embeddings, reliable


class ClassicPipeline:
    """Silero VAD + a speaker encoder's windows + clustering, one recording at a time."""

    name = "classic"

    def __init__(self, config: DiarizeConfig):
        self.config = config
        self.encoder, self.tap = build_speaker_encoder(config.embedding, config.device)

    def describe(self) -> dict:
        identity = self.encoder.identity()
        return {"pipeline": self.name, "trained": identity.trained,
                "speaker_encoder": {"encoder": identity.encoder, "tap": self.tap, "weights_id": identity.weights_id,
                                    "trained": identity.trained, "settings": identity.settings},
                "label": f"classic baseline (Silero VAD + {identity.encoder}:{self.tap} windows + "
                         f"{self.config.classic.clustering.method.upper()}; no overlap)"
                         + ("" if identity.trained else " [speaker encoder: RANDOM weights, an untrained control]")}

    def diarize(self, recording: Recording, speakers: SpeakerCount) -> RecordingResult:
        seconds: dict[str, float] = {}
        if recording.duration < self.config.classic.frame_s:
            return empty_result(recording, f"shorter than one frame ({recording.duration:.3f} s < "
                                           f"{self.config.classic.frame_s} s): empty RTTM")
        return decide(self.config, recording, self.analyse(recording, seconds), speakers, seconds)

    def analyse(self, recording: Recording, seconds: dict[str, float]) -> ClassicAnalysis:
        """The expensive, threshold-free part: speech probabilities and the embedding track."""
        with timed(seconds, "vad"):
            probs, n_samples = stream_speech_probabilities(audio_blocks(recording.path, VAD_RATE, self.config.block_s))
        with timed(seconds, "embeddings"):
            track = embedding_track(self.encoder, self.tap,
                                    audio_blocks(recording.path, self.encoder.sample_rate, self.config.block_s))
        return ClassicAnalysis(probs, n_samples, track)


@dataclass
class ClassicAnalysis:
    probs: np.ndarray  # Silero speech probability per 32 ms
    n_samples: int  # at 16 kHz
    track: EmbeddingTrack


def decide(config: DiarizeConfig, recording: Recording, analysis: ClassicAnalysis, speakers: SpeakerCount,
           seconds: dict[str, float]) -> RecordingResult:
    """Speech, windows, clustering and turns from an analysis, with the config's thresholds
    (cheap: tuning re-runs only this)."""
    classic = config.classic
    with timed(seconds, "vad"):
        segments = segments_from_probabilities(analysis.probs, analysis.n_samples, classic.vad_threshold)
        speech = speech_on_grid(segments, classic.frame_s, recording.duration)
    if not speech.any():
        return empty_result(recording, "no speech found (Silero VAD): empty RTTM", seconds)
    with timed(seconds, "embeddings"):
        windows, embeddings, reliable = classic_windows(analysis.track, speech, classic, config.embedding.min_share)
    stitched = stitch(windows, embeddings, reliable, speech.astype(np.int64), classic.clustering, speakers,
                      classic.min_duration_on, classic.min_duration_off)
    seconds.update(stitched.seconds)
    return finished_result(recording, stitched, classic.frame_s, seconds, speakers)
