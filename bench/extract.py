"""Benchmark: `codecprobe extract` against the bare model loop, for Mimi (prequant) or Lyra (latent).

Run from the repository root:  .venv/bin/python bench/extract.py [--encoder mimi|lyra] [--corpus DIR]

Measures, in one run and on the same audio (default ../shared/data/librispeech-test-other):
- the bare model, audio already decoded and resampled in memory, nothing written:
  mimi: its encoder (transformers) on each utterance in one pass, no batching;
  lyra: the encoder graph fed 320 samples per call, a fresh TFLite interpreter per utterance
  (the graph is stateful), and, to price that, the same loop reusing one interpreter
  (wrong outputs after the first utterance: the floor, not a baseline);
- end to end, in process: load the corpus, build the encoder, read + resample + batch +
  encode + write the store (everything `codecprobe extract` does after start-up);
- end to end, as a command: `codecprobe extract ...` in a fresh process (adds interpreter
  start-up and imports);
- lyra only, informational: end to end with the sweep taps (latent and quant1/2/4/8/16/46),
  which adds the quantizer graph (one call per frame) and its decoder.
Lyra runs in well under a minute, so its rows are best of --repeats, the bare loop and
end to end interleaved. Prints real-time factors and the ratios end-to-end / bare (target
<= 1.15), and the share of the end-to-end time spent outside the model. (Mimi's path streams
in 5 s chunks, which is cheaper than one pass over a long utterance, so end to end can beat
its one-pass bare forward.)
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

from codecprobe.audio import read_audio
from codecprobe.data import load_corpus
from codecprobe.encoders import BuildOptions, build_encoder
from codecprobe.extract import extract
from codecprobe.store import LatentStore

REPO = Path(__file__).resolve().parents[1]
SETUPS = {  # build options and the tap the bare loop computes
    "mimi": (BuildOptions(random_init=True), "prequant", ["--random-init"]),
    "lyra": (BuildOptions(), "latent", []),
}


def mimi_bare_seconds(encoder, audios: list[np.ndarray]) -> float:
    import torch

    model, hop = encoder.model, encoder.frame_samples
    with torch.no_grad():
        model.encoder(torch.zeros(1, 1, hop * 10))  # warm-up
        started = time.perf_counter()
        for audio in audios:
            padded = np.zeros(math.ceil(len(audio) / hop) * hop, np.float32)
            padded[: len(audio)] = audio
            model.encoder(torch.from_numpy(padded)[None, None])
        return time.perf_counter() - started


def lyra_bare_seconds(encoder, audios: list[np.ndarray], fresh: bool = True) -> float:
    """The encoder graph by hand: set_tensor / invoke / get_tensor per 320 samples."""
    from ai_edge_litert.interpreter import Interpreter

    graph = encoder.graphs.encoder
    started = time.perf_counter()
    interpreter = None
    for audio in audios:
        if fresh or interpreter is None:
            interpreter = Interpreter(model_content=graph, num_threads=1)
            interpreter.allocate_tensors()
            source = interpreter.get_input_details()[0]["index"]
            sink = interpreter.get_output_details()[0]["index"]
        padded = np.zeros(math.ceil(len(audio) / 320) * 320, np.float32)
        padded[: len(audio)] = audio
        for start in range(0, len(padded), 320):
            interpreter.set_tensor(source, padded[None, start : start + 320])
            interpreter.invoke()
            interpreter.get_tensor(sink)
    return time.perf_counter() - started


def end_to_end_seconds(name: str, taps: list[str], corpus_dir: Path, store_dir: Path) -> tuple[float, object]:
    started = time.perf_counter()
    corpus = load_corpus(corpus_dir)
    encoder = build_encoder(name, SETUPS[name][0])
    with LatentStore(store_dir) as store:
        summary = extract(corpus, encoder, taps, store, progress=False)
    return time.perf_counter() - started, summary


def command_seconds(name: str, corpus_dir: Path, store_dir: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("codecprobe")), "extract", "--corpus", str(corpus_dir),
                    "--encoder", name, *SETUPS[name][2], "--tap", SETUPS[name][1], "--store", str(store_dir),
                    "--quiet"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", choices=sorted(SETUPS), default="mimi")
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "data" / "librispeech-test-other")
    parser.add_argument("--repeats", type=int, default=3, help="lyra: best of this many interleaved rounds")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"corpus not found: {args.corpus}")

    name, tap = args.encoder, SETUPS[args.encoder][1]
    corpus = load_corpus(args.corpus)
    encoder = build_encoder(name, SETUPS[name][0])
    audios = [read_audio(corpus.audio_path(s.recording_id), s.start, s.end, target_rate=encoder.sample_rate)[0]
              for s in corpus.segments()]
    audio_seconds = sum(len(a) for a in audios) / encoder.sample_rate
    print(f"corpus {args.corpus.name}: {len(audios)} utterances, {audio_seconds / 60:.1f} min; {name}:{tap}")

    rounds = 1 if name == "mimi" else args.repeats
    timings: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(rounds):
            if name == "mimi":
                timings.setdefault("bare forward (one pass per utterance)", []).append(mimi_bare_seconds(encoder, audios))
            else:
                timings.setdefault("bare loop, fresh interpreter per utterance", []).append(
                    lyra_bare_seconds(encoder, audios))
                timings.setdefault("bare loop, one interpreter reused (wrong)", []).append(
                    lyra_bare_seconds(encoder, audios, fresh=False))
            seconds, summary = end_to_end_seconds(name, [tap], args.corpus, Path(tmp) / f"a{round_}")
            timings.setdefault("extract(), in process", []).append(seconds)
            timings.setdefault("codecprobe extract (command)", []).append(
                command_seconds(name, args.corpus, Path(tmp) / f"b{round_}"))
            if name == "lyra":
                sweep, _ = end_to_end_seconds(name, list(encoder.sweep_taps), args.corpus, Path(tmp) / f"c{round_}")
                timings.setdefault("extract(), in process, sweep taps", []).append(sweep)
    assert summary.n_extracted == len(audios) and not summary.failures

    best = {row: min(values) for row, values in timings.items()}
    bare = next(iter(best.values()))
    print(f"{'':44s} {'seconds':>8s} {'x real time':>12s} {'ratio to bare':>14s}   (best of {rounds})")
    for row, seconds in best.items():
        print(f"{row:44s} {seconds:8.2f} {audio_seconds / seconds:12.1f} {seconds / bare:14.3f}")
    in_process = timings["extract(), in process"][-1]
    print(f"model time inside extract() (last round): {summary.model_seconds:.2f} s of {in_process:.2f} s: everything "
          f"else (corpus, reading, resampling, batching, store) adds {in_process / summary.model_seconds - 1:.1%}")
    ratio = best["extract(), in process"] / bare
    print(f"target: end-to-end <= 1.15 x bare -> {'met' if ratio <= 1.15 else 'NOT met'} (in process: {ratio:.3f})")


if __name__ == "__main__":
    main()
