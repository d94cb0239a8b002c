"""Speaker embeddings along a recording, and one embedding per stretch of one speaker's speech.

A trained speaker encoder is run once over the whole recording (in blocks, see
:mod:`~codecprobe.diarize.long_audio`), giving an :class:`EmbeddingTrack`: vector ``i``
describes the audio ``[i * hop, i * hop + span)``. GE2E's partials describe 1.6 s each,
every 0.4 s by default; a frame-level tap's frame describes its own hop.

A speaker's embedding over any set of frames (where a local speaker of one window speaks
alone, say) is then the mean of the track's vectors weighted by how much of each one's
span those frames cover (:func:`pool`), keeping the vectors covered at least
``min_share``. The encoder's cost does not depend on how many windows overlap or how
many local speakers they have; pyannote instead runs its embedding model once per
(window, local speaker).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codecprobe.diarize.config import EMBEDDING_DEFAULTS, EmbeddingConfig
from codecprobe.diarize.long_audio import check_streamable, encode_long
from codecprobe.encoders.base import Encoder
from codecprobe.errors import InputError


@dataclass
class EmbeddingTrack:
    vectors: np.ndarray  # [n, D]
    hop: float  # seconds between vector starts
    span: float  # seconds of audio each vector describes

    def __len__(self) -> int:
        return len(self.vectors)

    def coverage(self, mask: np.ndarray, frame_s: float, first_frame: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Which vectors a mask of grid frames touches, and the share of each one's span it covers.

        ``mask[j]`` is grid frame ``first_frame + j`` (``[t * frame_s, (t + 1) * frame_s)``).
        Returns ``(indices, shares)`` for the vectors whose span overlaps the mask's extent.

        >>> track = EmbeddingTrack(np.eye(4), hop=1.0, span=2.0)
        >>> indices, shares = track.coverage(np.array([1, 1, 1, 0], bool), frame_s=0.5, first_frame=2)
        >>> indices.tolist(), shares.tolist()
        ([0, 1, 2], [0.5, 0.75, 0.25])
        """
        start = first_frame * frame_s
        end = (first_frame + len(mask)) * frame_s
        first = max(0, int(np.floor((start - self.span) / self.hop)) + 1)
        last = min(len(self.vectors), int(np.ceil(end / self.hop)))
        indices = np.arange(first, max(first, last))
        edges = start + frame_s * np.arange(len(mask) + 1)
        covered = np.concatenate([[0.0], np.cumsum(mask) * frame_s])  # speech before each edge
        begin = indices * self.hop
        shares = (np.interp(begin + self.span, edges, covered) - np.interp(begin, edges, covered)) / self.span
        return indices, shares


def pool(track: EmbeddingTrack, mask: np.ndarray, frame_s: float, first_frame: int, min_share: float) -> np.ndarray | None:
    """Share-weighted mean of the vectors the mask covers at least ``min_share`` (unit length),
    else of the best-covered one; ``None`` where the mask covers nothing."""
    indices, shares = track.coverage(mask, frame_s, first_frame)
    if len(shares) == 0 or shares.max() <= 0:
        return None
    keep = shares >= min_share
    if not keep.any():
        keep = shares == shares.max()
    mean = (track.vectors[indices[keep]] * shares[keep, None]).sum(axis=0)
    norm = np.linalg.norm(mean)
    return mean / norm if norm > 0 else None


def embedding_track(encoder: Encoder, tap: str, blocks, piece_s: float = 30.0) -> EmbeddingTrack:
    """Run ``encoder`` over a recording given as consecutive blocks at its sample rate."""
    sequence = encode_long(encoder, blocks, [tap], piece_s=piece_s)[tap]
    hop = 1 / sequence.frame_rate
    return EmbeddingTrack(sequence.frames, hop, frame_span(encoder, tap, hop))


def frame_span(encoder: Encoder, tap: str, hop: float) -> float:
    """Seconds of audio one frame of ``tap`` describes: GE2E's partials describe
    ``partial_window_s`` (1.6 s, longer than their hop); any other frame its own hop."""
    settings = encoder.identity().settings
    return float(settings["partial_window_s"]) if tap == "partials" and "partial_window_s" in settings else hop


def build_speaker_encoder(config: EmbeddingConfig, device: str = "cpu") -> tuple[Encoder, str]:
    """The configured speaker encoder and tap, checked before any work (unknown names, bad
    settings, a tap that gives one vector per input raise InputError)."""
    from codecprobe.encoders import BuildOptions, build_encoder

    encoder = build_encoder(config.encoder, BuildOptions(weights=config.weights, device=device,
                                                         settings=config.resolved_options()))
    tap = config.tap or EMBEDDING_DEFAULTS.get(config.encoder, (encoder.default_taps[0],))[0]
    if tap not in encoder.taps:
        raise InputError(f"--embedding-tap {tap}: speaker encoder {config.encoder!r} has no such tap; taps: "
                         f"{', '.join(encoder.taps)}")
    check_streamable(encoder, tap)
    return encoder, tap
