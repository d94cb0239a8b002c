"""Mimi on a long recording: peak memory and speed of the chunked path, and its accuracy.

Run from the repository root::

    .venv/bin/python bench/mimi_long.py [--minutes 60] [--chunk-seconds 10] [--check-seconds 30]

The signal is real speech (the LibriSpeech test-other files in ``../shared/data``,
resampled to 24 kHz and concatenated, repeated as needed) or, where those are absent,
seeded noise under a syllable-rate envelope. Weights are random (``random_init``): speed
and memory do not depend on the weights' values.

Each measurement runs in its own subprocess so that its peak RSS (``ru_maxrss``) is its
own: (1) the ``prequant`` tap of the long signal through the chunked path; (2) one pass
versus chunks on a ``--check-seconds`` recording short enough for one pass.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from codecprobe.audio.io import read_audio
from codecprobe.encoders.mimi import MimiEncoder, MimiSettings, random_mimi

SPEECH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "librispeech-test-other"
RATE = 24_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the long recording (default 60)")
    parser.add_argument("--chunk-seconds", type=float, default=None, help="chunk length (default: MimiSettings' default)")
    parser.add_argument("--check-seconds", type=float, default=30.0, help="recording for one pass vs chunks (default 30)")
    parser.add_argument("--child", choices=("long", "check"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "long":
        print(json.dumps(encode_long(args.minutes * 60, args.chunk_seconds)))
    elif args.child == "check":
        print(json.dumps(one_pass_vs_chunked(args.check_seconds, args.chunk_seconds)))
    else:
        report(args)


def report(args: argparse.Namespace) -> None:
    passed = ["--minutes", str(args.minutes), "--check-seconds", str(args.check_seconds)]
    if args.chunk_seconds is not None:
        passed += ["--chunk-seconds", str(args.chunk_seconds)]
    long = run_child("long", passed)
    print(
        f"{long['audio_seconds'] / 60:.1f} min of {long['source']} through the chunked path "
        f"({long['chunk_seconds']:g} s chunks), prequant tap, {long['threads']} torch threads:\n"
        f"  encode {long['encode_seconds']:.0f} s wall, {long['cpu_seconds']:.0f} s CPU -> "
        f"{long['audio_seconds'] / long['encode_seconds']:.1f}x real time "
        f"({long['cpu_seconds'] / long['audio_seconds']:.3f} CPU-s per audio-s)\n"
        f"  peak RSS {long['peak_rss_mb']:.0f} MB (after building the model: {long['model_rss_mb']:.0f} MB; "
        f"the float32 signal itself: {long['signal_mb']:.0f} MB)\n"
        f"  {long['frames']} frames = ceil(samples / 1920): {long['frames_ok']}"
    )
    check = run_child("check", passed)
    print(
        f"one pass vs {check['chunk_seconds']:g} s chunks on {check['audio_seconds']:.0f} s of {check['source']}: "
        + ", ".join(f"{tap} max |diff| {diff:.2e}" for tap, diff in check["max_abs_diff"].items())
        + f" (values up to {check['max_abs_value']:.1f}); one-pass peak RSS {check['peak_rss_mb']:.0f} MB"
    )


def run_child(kind: str, passed: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, *passed], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def encode_long(seconds: float, chunk_seconds: float | None) -> dict:
    encoder = build(chunk_seconds)
    model_rss = peak_rss_mb()
    signal, source = recording(seconds)
    cpu, wall = time.process_time(), time.perf_counter()
    frames = encoder.encode(signal, ["prequant"])["prequant"]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "source": source,
        "audio_seconds": len(signal) / RATE,
        "chunk_seconds": encoder.settings.chunk_seconds,
        "threads": torch.get_num_threads(),
        "encode_seconds": wall,
        "cpu_seconds": cpu,
        "peak_rss_mb": peak_rss_mb(),
        "model_rss_mb": model_rss,
        "signal_mb": signal.nbytes / 2**20,
        "frames": len(frames),
        "frames_ok": len(frames) == -(-len(signal) // 1920),
    }


def one_pass_vs_chunked(seconds: float, chunk_seconds: float | None) -> dict:
    """Our chunked taps against transformers' plain (non-streaming) forward on the padded signal."""
    chunked = build(chunk_seconds)
    signal, source = recording(seconds)
    padded = np.zeros(-(-len(signal) // 1920) * 1920, dtype=np.float32)
    padded[: len(signal)] = signal
    with torch.no_grad():
        whole = chunked.model.encoder(torch.from_numpy(padded)[None, None], output_hidden_states=True)
    one = {"seanet": whole.hidden_states[0], "layer8": whole.hidden_states[8], "prequant": whole.latents.transpose(1, 2)}
    pieces = chunked.encode(signal, list(one))
    return {
        "source": source,
        "audio_seconds": len(signal) / RATE,
        "chunk_seconds": chunked.settings.chunk_seconds,
        "max_abs_diff": {tap: float(np.abs(pieces[tap].frames - one[tap][0].numpy()).max()) for tap in one},
        "max_abs_value": float(max(one[tap].abs().max() for tap in one)),
        "peak_rss_mb": peak_rss_mb(),
        "threads": torch.get_num_threads(),
    }


def build(chunk_seconds: float | None) -> MimiEncoder:
    settings = MimiSettings() if chunk_seconds is None else MimiSettings(chunk_seconds=chunk_seconds)
    return MimiEncoder(random_mimi(seed=0), "random-init:seed=0", trained=False, settings=settings)


def recording(seconds: float) -> tuple[np.ndarray, str]:
    """``seconds`` of 24 kHz audio: concatenated LibriSpeech where present, else seeded noise."""
    n = int(seconds * RATE)
    files = sorted(SPEECH.rglob("*.flac")) if SPEECH.is_dir() else []
    if not files:
        rng = np.random.default_rng(0)
        envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * np.arange(n) / RATE)
        return (0.1 * envelope * rng.standard_normal(n)).astype(np.float32), "seeded noise"
    speech = np.concatenate([read_audio(file, target_rate=RATE)[0] for file in files])
    return np.resize(speech, n), f"LibriSpeech test-other ({len(files)} files, {len(speech) / RATE / 60:.1f} min, repeated)"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


if __name__ == "__main__":
    main()
