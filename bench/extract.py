"""Benchmark: `codecprobe extract` (Mimi prequant, random init) against the bare model forward.

Run from the repository root:  .venv/bin/python bench/extract.py [--corpus DIR]

Measures, in one run and on the same audio (default ../shared/data/librispeech-test-other):
- bare forward: Mimi's encoder (transformers) on each utterance in one pass, audio already
  decoded and resampled in memory, no batching, nothing written;
- end to end, in process: load the corpus, build the encoder, read + resample + batch +
  encode + write the store (everything `codecprobe extract` does after start-up);
- end to end, as a command: `codecprobe extract ...` in a fresh process (adds interpreter
  start-up and imports).
Prints real-time factors and the ratios end-to-end / bare (target <= 1.15), and the share of the
end-to-end time spent outside the model. (Our path streams in 5 s chunks, which is cheaper than
one pass over a long utterance, so end to end can beat the one-pass bare forward.)
"""
from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from codecprobe.audio import read_audio
from codecprobe.data import load_corpus
from codecprobe.encoders import BuildOptions, build_encoder
from codecprobe.extract import extract
from codecprobe.store import LatentStore

REPO = Path(__file__).resolve().parents[1]


def bare_forward_seconds(encoder, audios: list[np.ndarray]) -> float:
    model, hop = encoder.model, encoder.frame_samples
    with torch.no_grad():
        model.encoder(torch.zeros(1, 1, hop * 10))  # warm-up
        started = time.perf_counter()
        for audio in audios:
            padded = np.zeros(math.ceil(len(audio) / hop) * hop, np.float32)
            padded[: len(audio)] = audio
            model.encoder(torch.from_numpy(padded)[None, None])
        return time.perf_counter() - started


def end_to_end_seconds(corpus_dir: Path, store_dir: Path) -> tuple[float, object]:
    started = time.perf_counter()
    corpus = load_corpus(corpus_dir)
    encoder = build_encoder("mimi", BuildOptions(random_init=True))
    with LatentStore(store_dir) as store:
        summary = extract(corpus, encoder, ["prequant"], store, progress=False)
    return time.perf_counter() - started, summary


def command_seconds(corpus_dir: Path, store_dir: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(REPO / ".venv" / "bin" / "codecprobe"), "extract", "--corpus", str(corpus_dir),
                    "--encoder", "mimi", "--random-init", "--tap", "prequant", "--store", str(store_dir), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "data" / "librispeech-test-other")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"corpus not found: {args.corpus}")

    corpus = load_corpus(args.corpus)
    encoder = build_encoder("mimi", BuildOptions(random_init=True))
    audios = [read_audio(corpus.audio_path(s.recording_id), s.start, s.end, target_rate=encoder.sample_rate)[0]
              for s in corpus.segments()]
    audio_seconds = sum(len(a) for a in audios) / encoder.sample_rate
    print(f"corpus {args.corpus.name}: {len(audios)} utterances, {audio_seconds / 60:.1f} min; "
          f"torch threads {torch.get_num_threads()}")

    bare = bare_forward_seconds(encoder, audios)
    with tempfile.TemporaryDirectory() as tmp:
        in_process, summary = end_to_end_seconds(args.corpus, Path(tmp) / "a")
        command = command_seconds(args.corpus, Path(tmp) / "b")
    assert summary.n_extracted == len(audios) and not summary.failures

    rows = [("bare forward", bare), ("extract(), in process", in_process), ("codecprobe extract (command)", command)]
    print(f"{'':32s} {'seconds':>8s} {'x real time':>12s} {'ratio to bare':>14s}")
    for name, seconds in rows:
        print(f"{name:32s} {seconds:8.1f} {audio_seconds / seconds:12.1f} {seconds / bare:14.3f}")
    print(f"model time inside extract(): {summary.model_seconds:.1f} s: everything else (corpus, reading, "
          f"resampling, batching, store) adds {in_process / summary.model_seconds - 1:.1%}")
    print(f"target: end-to-end <= 1.15 x bare -> {'met' if in_process / bare <= 1.15 else 'NOT met'} (in process)")


if __name__ == "__main__":
    main()
