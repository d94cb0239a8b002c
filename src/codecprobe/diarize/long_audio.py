"""Hours of audio through an encoder without holding the audio: read, resample and encode in blocks.

A 4-hour recording is 0.9 GB of float32 samples at 16 kHz and 1.4 GB at Mimi's 24 kHz;
Resemblyzer stacks a 160-frame mel window per partial (another 0.9 GB at a 0.4 s hop).
Here the file is read block by block (soundfile seeks), resampled as one continuous
stream (soxr's ``ResampleStream``: the same samples as resampling the whole file), and
encoded piece by piece:

- an encoder with a streaming path (Mimi's ``encode_stream``) gets the blocks directly and
  carries its caches, so its frames equal those of one ``encode`` call;
- any other encoder is treated as frame-local: each piece is encoded with ``context_s`` of
  audio on both sides and only the frames that start inside the piece are kept. Pieces
  start on multiples of every tap's frame hop, so the frames line up with those of the
  whole file; what depends on the whole signal (GE2E's volume normalisation) is computed
  per piece instead.

Only the encoder's frames, which are far smaller than the audio, are kept in memory.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import os
from typing import Iterable, Iterator, Sequence

import numpy as np
import soundfile as sf
import soxr

from codecprobe.audio.io import AudioError, _reason, audio_info
from codecprobe.encoders.base import Encoder, FrameSequence
from codecprobe.errors import InputError
from codecprobe.quiet import native_stderr_silenced


def audio_blocks(path: str | os.PathLike, rate: int, block_s: float = 60.0) -> Iterator[np.ndarray]:
    """Consecutive mono float32 blocks of ``path`` at ``rate`` Hz, about ``block_s`` seconds each.

    Channels are averaged; resampling is soxr VHQ as :func:`codecprobe.audio.read_audio` does,
    run as a stream so the concatenated blocks equal the whole file resampled at once.
    """
    info = audio_info(path)
    per_block = max(1, int(block_s * info.sampling_rate))
    stream = None if info.sampling_rate == rate else soxr.ResampleStream(
        info.sampling_rate, rate, 1, dtype="float32", quality="VHQ")
    read = 0
    try:
        with sf.SoundFile(str(path)) as handle:
            # libmpg123 reports harmless bit-reservoir errors on some MP3s (Gecko's call) while it decodes
            # block by block; the samples are exact (codecprobe.quiet)
            chatter = native_stderr_silenced if handle.format == "MP3" else contextlib.nullcontext
            while read < info.num_samples:
                with chatter():
                    samples = handle.read(min(per_block, info.num_samples - read), dtype="float32", always_2d=True)
                if len(samples) == 0:
                    raise AudioError(path, f"truncated: expected {info.num_samples} samples, got {read}")
                if not np.isfinite(samples).all():  # float WAVs can hold NaN and inf (read_audio refuses them too)
                    bad = read + int(np.flatnonzero(~np.isfinite(samples).all(axis=1))[0])
                    raise AudioError(path, f"non-finite sample(s) (NaN or infinity), the first at "
                                           f"{bad / info.sampling_rate:.3f} s")
                read += len(samples)
                mono = samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0]
                if stream is not None:
                    mono = stream.resample_chunk(mono, last=read >= info.num_samples)
                if len(mono):
                    yield np.ascontiguousarray(mono, dtype=np.float32)
    except AudioError:
        raise
    except Exception as error:  # soundfile raises several types
        raise AudioError(path, _reason(error)) from None


def encode_long(encoder: Encoder, blocks: Iterable[np.ndarray], taps: Sequence[str],
                context_s: float = 2.0, piece_s: float = 30.0) -> dict[str, FrameSequence]:
    """Every frame of each tap of the signal given as consecutive blocks."""
    pieces: dict[str, list[FrameSequence]] = {tap: [] for tap in taps}
    for out in stream_frames(encoder, blocks, taps, context_s, piece_s):
        for tap, sequence in out.items():
            pieces[tap].append(sequence)
    return {tap: FrameSequence(np.concatenate([p.frames for p in parts]), parts[0].frame_rate, parts[0].encoder,
                               tap, parts[0].weights_id)
            for tap, parts in pieces.items() if parts}


def stream_frames(encoder: Encoder, blocks: Iterable[np.ndarray], taps: Sequence[str],
                  context_s: float = 2.0, piece_s: float = 30.0) -> Iterator[dict[str, FrameSequence]]:
    """Consecutive frames of each tap of one signal given as consecutive blocks."""
    taps = encoder.check_taps(taps)
    if hasattr(encoder, "encode_stream"):
        yield from encoder.encode_stream(blocks, taps)
    else:
        yield from _frame_local_stream(encoder, blocks, taps, context_s, piece_s)


def check_streamable(encoder: Encoder, tap: str) -> None:
    """Refuse (InputError) a tap whose frame rate depends on the input's length, i.e. one vector
    per input (GE2E's ``utterance``): it cannot describe a long recording piece by piece."""
    if hasattr(encoder, "encode_stream"):
        return
    rates = {encoder.encode(np.zeros(int(seconds * encoder.sample_rate), np.float32), [tap])[tap].frame_rate
             for seconds in (2.0, 3.0)}
    if len(rates) > 1:
        raise InputError(f"{encoder.name}:{tap} gives one vector per input; a long recording needs a tap with "
                         f"frames at a fixed rate (e.g. {', '.join(t for t in encoder.taps if t != tap)})")


def _frame_local_stream(encoder: Encoder, blocks: Iterable[np.ndarray], taps: list[str], context_s: float,
                        piece_s: float) -> Iterator[dict[str, np.ndarray]]:
    """Encode pieces of ``piece_s`` with ``context_s`` on each side; keep the frames starting inside the piece.

    ``done`` (a sample index) is where the frames handed out so far end. It and each
    encoded stretch's first sample stay on multiples of ``align``, the least common
    multiple of the taps' frame hops, so frame ``j`` of a stretch starting at sample ``a``
    is frame ``a / hop + j`` of the whole signal. The hops are learnt from the first
    stretch, which starts at sample 0 (a multiple of everything).
    """
    context = int(round(context_s * encoder.sample_rate))
    piece = max(1, int(round(piece_s * encoder.sample_rate)))
    buffer, buffer_start, done, align = np.zeros(0, np.float32), 0, 0, None
    for block in _with_end_marker(blocks):
        last = block is None
        if not last:
            buffer = np.concatenate([buffer, block])
        end = buffer_start + len(buffer)
        while done < end and (last or end - done >= piece + context):
            left = context // align * align if align else 0
            first = max(buffer_start, done - left)
            stop = end if last else done + piece
            stretch = buffer[first - buffer_start : min(end, stop + context) - buffer_start]
            encoded = encoder.encode(stretch, taps)
            if align is None:
                align = _common_hop(encoder, encoded, len(stretch))
                piece = max(align, piece // align * align)
                stop = end if last else done + piece
            out = {}
            for tap, sequence in encoded.items():
                hop = encoder.sample_rate / sequence.frame_rate
                kept = sequence.frames[round((done - first) / hop) : None if last else round((stop - first) / hop)]
                out[tap] = dataclasses.replace(sequence, frames=kept)
            yield out
            done = stop
            keep_from = max(buffer_start, done - context // align * align)
            buffer, buffer_start = buffer[keep_from - buffer_start :], keep_from


class ShorterThanOneFrame(InputError):
    """The whole recording is shorter than one frame step of a tap: nothing to describe it with."""


def _with_end_marker(blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray | None]:
    yield from blocks
    yield None


def _common_hop(encoder: Encoder, encoded: dict, n_samples: int) -> int:
    """The least common multiple of the taps' frame hops in samples. Refuses taps whose frames
    are not a whole number of samples apart, or that give one vector per input (GE2E's ``utterance``)."""
    hops = []
    for tap, sequence in encoded.items():
        hop = encoder.sample_rate / sequence.frame_rate
        if abs(hop - round(hop)) <= 1e-6 and round(hop) >= n_samples:
            rate = encoder.sample_rate
            raise ShorterThanOneFrame(f"shorter than one {encoder.name}:{tap} frame step "
                                      f"({n_samples / rate:.3f} s < {hop / rate:.3f} s)")
        if abs(hop - round(hop)) > 1e-6 or not 1 <= round(hop) < n_samples:
            raise ValueError(f"{encoder.name}:{tap} frames are {hop:g} samples apart; a long recording can only be "
                             f"encoded in pieces with a fixed whole-sample frame hop")
        hops.append(int(round(hop)))
    return math.lcm(*hops)
