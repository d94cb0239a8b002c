"""Inference cost of the four boundary refiners per boundary, against V1 (the MLP), in one run.

    .venv/bin/python bench/refine.py [--boundaries 512] [--rounds 3] [--batch 64]

Each variant is built at the study's default sizes (``RefinerConfig()``) for what
``codecprobe refine`` reads by default: a 4 s window of 100 Hz log-mel frames (40 dims, 400
frames) and GE2E speaker context (2 x 256 dims). Untrained weights: inference cost does not
depend on them. The same random windows go through every variant's ``predict`` in interleaved
rounds, so a busy machine slows all alike; the best round counts. Prints microseconds per
boundary, each variant's ratio to V1, and parameters.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import asdict

import numpy as np
import torch
from torch.utils.data import Dataset

from codecprobe.refine.config import VARIANTS, RefinerConfig
from codecprobe.refine.module import VARIANT_MODULES

RATE, DIM, WINDOW, EMBEDDING = 100.0, 40, 400, 256


class Windows(Dataset):
    """Random windows in the layout of ``BoundaryWindows`` items."""

    def __init__(self, n: int, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.items = {"features": torch.randn(n, WINDOW, DIM, generator=g), "mask": torch.ones(n, WINDOW, dtype=torch.bool),
                      "context": torch.randn(n, 2 * EMBEDDING + 4, generator=g),
                      "shift": torch.rand(n, generator=g) - 0.5, "target": torch.zeros(n)}

    def __len__(self) -> int:
        return len(self.items["target"])

    def __getitem__(self, index: int) -> dict:
        return {key: value[index] for key, value in self.items.items()}


def build(variant: str):
    config = RefinerConfig()
    patch = max(1, int(round(config.patch_s * RATE)))
    module = VARIANT_MODULES[variant](refiner=asdict(config), inputs=[{"dim": DIM}], embedding={}, speakers={},
                                      grid={"rate": RATE, "patch": patch, "window_frames": WINDOW},
                                      context_dim=2 * EMBEDDING + 4, max_offset_s=1.0, system="bench")
    return module.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--boundaries", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    torch.manual_seed(0)
    windows = Windows(args.boundaries)
    modules = {variant: build(variant) for variant in VARIANTS}
    best = {variant: float("inf") for variant in VARIANTS}
    for _ in range(args.rounds):
        for variant, module in modules.items():
            started = time.perf_counter()
            offsets = module.predict(windows, args.batch)
            best[variant] = min(best[variant], time.perf_counter() - started)
            assert offsets.shape == (args.boundaries,) and np.all(np.isfinite(offsets))
    print(f"{args.boundaries} boundaries, batch {args.batch}, best of {args.rounds} rounds, "
          f"torch threads {torch.get_num_threads()}")
    print(f"{'variant':<12} {'us/boundary':>12} {'x V1':>7} {'parameters':>11}")
    for variant in VARIANTS:
        parameters = sum(p.numel() for p in modules[variant].parameters())
        print(f"{variant:<12} {1e6 * best[variant] / args.boundaries:>12.0f} {best[variant] / best['mlp']:>7.2f} "
              f"{parameters:>11,d}")


if __name__ == "__main__":
    main()
