"""The frame bank: training inputs of a set of segments, on one grid, in one memory-mapped array.

Training reads the same frames every epoch in random windows. The latent store keeps
them compressed, one zip member per segment and tap, which is right for extraction and
pooling but slow for random windows. A bank is built once from the store: every tap
asked for is placed on the grid (:func:`codecprobe.train.grid.to_grid`), the taps are
concatenated along the feature axis (tap fusion), and the result is written as one
float32 ``frames.npy`` that training maps into memory; a window is then a slice.

Banks live under the store (``<store>/banks/<key>/``), keyed by a hash of everything that
changes their content: the grid rate, each tap's encoder key (encoder, weights identity,
settings), tap name and time offset, and each segment's id, frame count and stored source
fingerprint. Building goes to a temporary folder that is renamed into place when
complete, so an interrupted build leaves no bank and a rerun builds it again; memory
stays flat (one segment and tap at a time).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from tqdm.auto import tqdm

from codecprobe.encoders.base import EncoderIdentity
from codecprobe.errors import InputError
from codecprobe.store import LatentStore, encoder_key
from codecprobe.train.grid import to_grid

_FORMAT = 1


@dataclass(frozen=True)
class TapSource:
    """One stored tap of one encoder, and where its frames sit in time (see :mod:`codecprobe.train.grid`)."""

    identity: EncoderIdentity
    tap: str
    offset: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.identity.encoder}:{self.tap}"

    def describe(self) -> dict:
        """What a checkpoint or report records about this input."""
        return {"encoder": self.identity.encoder, "tap": self.tap, "weights_id": self.identity.weights_id,
                "trained": self.identity.trained, "settings": self.identity.settings, "offset_s": self.offset,
                "encoder_key": encoder_key(self.identity)}


class FrameBank:
    """A built bank: ``frames(i)`` is segment i's ``[frames, dim]`` array on the grid (a memory-map view)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        meta = json.loads((self.folder / "index.json").read_text())
        self.grid_rate: float = meta["grid_rate"]
        self.sources: list[dict] = meta["sources"]
        self.dims: list[int] = meta["dims"]
        self.ids: list[str] = meta["segments"]
        self.lengths = np.asarray(meta["lengths"], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self.array = np.load(self.folder / "frames.npy", mmap_mode="r")
        self._position = {segment: i for i, segment in enumerate(self.ids)}

    @property
    def dim(self) -> int:
        return int(sum(self.dims))

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, segment_id: str) -> int:
        return self._position[segment_id]

    def frames(self, i: int) -> np.ndarray:
        return self.array[self.starts[i]: self.starts[i] + self.lengths[i]]

    def window(self, i: int, start: int, length: int) -> np.ndarray:
        """``[length, dim]`` frames of segment i from ``start`` (may be negative), zero outside it (a copy)."""
        out = np.zeros((length, self.dim), dtype=np.float32)
        first, stop = max(start, 0), min(start + length, int(self.lengths[i]))
        if stop > first:
            out[first - start: stop - start] = self.array[self.starts[i] + first: self.starts[i] + stop]
        return out


def build_bank(store: LatentStore, segments: Sequence[tuple[str, int]], sources: Sequence[TapSource],
               grid_rate: float, progress: bool = True) -> FrameBank:
    """The bank of ``segments`` (``(segment id, grid frames)``) with ``sources`` fused on the grid; cached.

    The caller says how many grid frames each segment gets (usually
    :func:`~codecprobe.train.grid.grid_frames` of its duration, or a multiple of it for a
    grid finer than the labels'). Every segment must already be in the store for every
    source; what is missing is named in the error (extract first).
    """
    if not segments or not sources:
        raise InputError("a frame bank needs at least one segment and one tap")
    fingerprints = []
    for source in sources:
        stored = store.fingerprints(source.identity, source.tap)
        missing = [segment for segment, _ in segments if segment not in stored]
        if missing:
            raise InputError(f"{store.root}: {len(missing)} segment(s) not extracted for {source.name} "
                             f"({source.identity.weights_id}), e.g. {missing[0]}")
        fingerprints.append([stored[segment] for segment, _ in segments])
    key = _bank_key(segments, sources, grid_rate, fingerprints)
    folder = store.root / "banks" / key
    if (folder / "index.json").is_file():
        return FrameBank(folder)

    lengths = [int(n) for _, n in segments]
    if min(lengths) < 1:
        empty = next(segment for segment, n in segments if n < 1)
        raise InputError(f"segment {empty} is shorter than one frame of the {grid_rate:g} Hz grid")
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    position = {segment: i for i, (segment, _) in enumerate(segments)}
    ids = [segment for segment, _ in segments]
    dims = [_stored_dim(store, source, ids[0]) for source in sources]
    scratch = store.root / "banks" / f".building-{key}-{uuid.uuid4().hex[:8]}"
    scratch.mkdir(parents=True)
    try:
        array = np.lib.format.open_memmap(scratch / "frames.npy", mode="w+", dtype=np.float32,
                                          shape=(int(sum(lengths)), int(sum(dims))))
        column = 0
        bar = tqdm(total=len(ids) * len(sources), disable=not progress, desc=f"frame bank {key[:8]}",
                   unit="segment", dynamic_ncols=True)
        for source, dim in zip(sources, dims):
            rate = store.frame_rate(source.identity, source.tap)
            for segment, frames in store.read_many(ids, source.identity, source.tap):
                i = position[segment]
                if frames.shape[1] != dim:
                    raise InputError(f"{store.root}: {source.name} frames of {segment} have {frames.shape[1]} "
                                     f"dims, others {dim}")
                array[starts[i]: starts[i] + lengths[i], column: column + dim] = to_grid(
                    frames, rate, lengths[i], grid_rate, source.offset)
                bar.update()
            column += dim
        bar.close()
        array.flush()
        del array
        meta = {"format": _FORMAT, "grid_rate": grid_rate, "sources": [s.describe() for s in sources],
                "dims": dims, "segments": ids, "lengths": lengths}
        (scratch / "index.json").write_text(json.dumps(meta))
        try:
            os.replace(scratch, folder)
        except OSError:  # another process finished the same bank first: theirs is identical
            if not (folder / "index.json").is_file():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return FrameBank(folder)


def _stored_dim(store: LatentStore, source: TapSource, segment: str) -> int:
    return int(store.read(segment, source.identity, source.tap).shape[1])


def _bank_key(segments, sources, grid_rate, fingerprints) -> str:
    payload = json.dumps({
        "format": _FORMAT, "grid_rate": grid_rate,
        "sources": [[encoder_key(s.identity), s.tap, s.offset] for s in sources],
        "segments": [[segment, int(n), *(f[i] for f in fingerprints)] for i, (segment, n) in enumerate(segments)],
    }, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]
