"""Training throughput of the diarization adapter fed from cached latents, against in-memory tensors.

    .venv/bin/python bench/train.py [--recordings 120] [--seconds 60] [--steps 15] [--rounds 3]

Both paths train the same model (the seeds' adapter: 512-dim Mimi-like input, d_model 384,
4 layers, 4 speakers, hybrid loss) on the same windows in the same order, step by step
(forward, loss, backward, AdamW), interleaved in rounds so that a busy machine slows both alike:

- cached: the latent store -> a memory-mapped frame bank -> ``DiarizationWindows`` ->
  ``ResumableLoader`` (what ``codecprobe train`` reads), built before timing;
- in memory: every window's features, targets and mask stacked as tensors beforehand, batches
  taken by indexing.

The latents are random 512-dim frames at 12.5 Hz written to a fresh store (no encoder runs);
reference turns are random. Prints frames per second of each path, their ratio (target >= 0.9),
and the loader alone (batches without the model), which bounds what data loading can cost.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import lightning as L
import numpy as np
import torch

from codecprobe.config import load_config
from codecprobe.adapter.config import TrainStudyConfig
from codecprobe.train.conversations import DiarizationWindows
from codecprobe.train.labels import frame_activity
from codecprobe.adapter.module import DiarizationModule
from codecprobe.encoders.base import EncoderIdentity
from codecprobe.store import LatentStore
from codecprobe.store.latent_store import NewEntry
from codecprobe.train import ShardedBatches, TapSource, build_bank, stack_batch
from codecprobe.train.grid import grid_frames
from codecprobe.train.windows import ResumableLoader

RATE = 12.5
DIM = 512


def make_store(root: Path, recordings: int, seconds: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    identity = EncoderIdentity("bench-latents", "random", True, {"dim": DIM})
    turns = {}
    with LatentStore(root / "store") as store:
        for first in range(0, recordings, 20):
            entries = []
            for index in range(first, min(first + 20, recordings)):
                rid = f"rec{index:04d}"
                frames = grid_frames(seconds, RATE)
                entries.append(NewEntry(rid, "latent", "bench", rng.normal(size=(frames, DIM)).astype(np.float32), RATE))
                t, spoken = 0.0, []
                while t < seconds:
                    length = rng.uniform(0.5, 4.0)
                    spoken.append((t, min(t + length, seconds), f"s{rng.integers(4)}"))
                    t += length + rng.uniform(0.0, 1.0)
                turns[rid] = spoken
            store.put_many(identity, entries)
        segments = [(rid, grid_frames(seconds, RATE)) for rid in turns]
        bank = build_bank(store, segments, [TapSource(identity, "latent")], RATE, progress=False)
    return bank, turns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recordings", type=int, default=120)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--steps", type=int, default=15, help="optimiser steps per path per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    config = load_config(TrainStudyConfig)
    with tempfile.TemporaryDirectory() as tmp:
        bank, turns = make_store(Path(tmp), args.recordings, args.seconds)
        activities = [frame_activity(rid, turns[rid], grid_frames(args.seconds, RATE), RATE) for rid in turns]
        windows = DiarizationWindows(bank, activities, config.window_frames, config.step_frames,
                                     config.adapter.speakers)
        batches = ShardedBatches(len(windows), args.batch_size, seed=0)
        loader = ResumableLoader(windows, batches, lambda: 0, collate_fn=stack_batch)
        memory = {k: torch.stack([windows[i][k] for i in range(len(windows))]) for k in ("features", "targets", "mask")}
        print(f"{len(windows)} windows of {config.window_frames} frames x {DIM} dims "
              f"({bank.array.nbytes / 1e6:.0f} MB bank, memory-mapped); batch {args.batch_size}")

        L.seed_everything(0, verbose=False)
        module = DiarizationModule(
            {**config.adapter.__dict__}, [{"dim": DIM, "trained": True}],
            {"rate": RATE, "input_rate": RATE, "window_frames": config.window_frames})
        module.trainer_config = config.trainer
        optimizer = module.configure_optimizers()["optimizer"]
        module.train()

        def step(batch):
            optimizer.zero_grad()
            loss = module.loss(module(batch["features"], batch["mask"]), batch["targets"], batch["mask"])
            loss.backward()
            optimizer.step()

        def cached_batches():
            while True:
                yield from loader

        def memory_batches():
            while True:
                for indices in batches:
                    yield {k: v[indices] for k, v in memory.items()}

        sources = {"cached": cached_batches(), "in memory": memory_batches()}
        seconds = {name: 0.0 for name in sources}
        step(next(sources["in memory"]))  # warm-up
        for _ in range(args.rounds):
            for name, source in sources.items():
                tick = time.perf_counter()
                for _ in range(args.steps):
                    step(next(source))
                seconds[name] += time.perf_counter() - tick
        frames = args.rounds * args.steps * args.batch_size * config.window_frames
        rates = {name: frames / s for name, s in seconds.items()}
        tick = time.perf_counter()
        loaded = sum(1 for _ in zip(range(args.rounds * args.steps), cached_batches()))
        loader_rate = loaded * args.batch_size * config.window_frames / (time.perf_counter() - tick)
    for name, rate in rates.items():
        print(f"{name:10s} {rate:10.0f} frames/s ({seconds[name]:.1f} s for {args.rounds * args.steps} steps)")
    print(f"loader alone {loader_rate:10.0f} frames/s")
    print(f"ratio cached / in memory: {rates['cached'] / rates['in memory']:.3f} (target >= 0.9)")


if __name__ == "__main__":
    main()
