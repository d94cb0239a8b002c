"""What a refiner reads from the latent store: its input taps fused on its grid, and speaker-embedding tracks."""
from __future__ import annotations

from typing import Sequence

from codecprobe.errors import InputError
from codecprobe.refine.speakers import EmbeddingTrack
from codecprobe.store import LatentStore
from codecprobe.train.bank import FrameBank, TapSource, build_bank
from codecprobe.train.grid import grid_frames


def finest_rate(store: LatentStore, sources: Sequence[TapSource]) -> float:
    """The highest frame rate among stored taps (a system's default grid): finer taps keep their resolution."""
    return max(store.frame_rate(source.identity, source.tap) for source in sources)


def refiner_bank(store: LatentStore, sources: Sequence[TapSource], rate: float,
                 recordings: Sequence[tuple[str, float]], progress: bool = True) -> FrameBank:
    """The taps of ``(recording id, duration)`` fused on a ``rate`` Hz grid (cached under the store)."""
    return build_bank(store, [(rid, grid_frames(duration, rate)) for rid, duration in recordings], sources, rate,
                      progress)


def frame_span(source: TapSource, rate: float) -> float:
    """Seconds of audio one frame of a tap describes: GE2E's partials their window (1.6 s), any other its hop."""
    settings = source.identity.settings
    return float(settings["partial_window_s"]) if source.tap == "partials" and "partial_window_s" in settings \
        else 1.0 / rate


def embedding_tracks(store: LatentStore, source: TapSource, recording_ids: Sequence[str]) -> dict[str, EmbeddingTrack]:
    """Each recording's speaker-embedding frames along time."""
    fingerprints = store.fingerprints(source.identity, source.tap)
    missing = [rid for rid in recording_ids if rid not in fingerprints]
    if missing:
        raise InputError(f"{store.root}: {len(missing)} recording(s) not extracted for {source.name}, e.g. {missing[0]}")
    rate = store.frame_rate(source.identity, source.tap)
    span = frame_span(source, rate)
    return {rid: EmbeddingTrack.from_frames(frames, rate, source.offset, span)
            for rid, frames in store.read_many(list(recording_ids), source.identity, source.tap)}
