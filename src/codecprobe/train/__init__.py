"""Training on cached latents, for every model family: config, frame grid, frame bank, windows, ``fit``.

Model-agnostic: the diarization adapter (:mod:`codecprobe.diarize`), boundary refiners and
next-latent models train through these pieces (see ``docs/diarize.md``, "Training framework").
"""
from codecprobe.train.bank import FrameBank, TapSource, build_bank
from codecprobe.train.config import TrainerConfig
from codecprobe.train.fit import FitResult, fit, merge_metrics
from codecprobe.train.grid import grid_frames, to_grid
from codecprobe.train.module import TrainModule, load_module, read_checkpoint
from codecprobe.train.windows import ResumableLoader, ShardedBatches, WindowDataModule, stack_batch, window_starts

__all__ = ["FitResult", "FrameBank", "ResumableLoader", "ShardedBatches", "TapSource", "TrainModule",
           "TrainerConfig", "WindowDataModule", "build_bank", "fit", "grid_frames", "load_module",
           "merge_metrics", "read_checkpoint", "stack_batch", "to_grid", "window_starts"]
