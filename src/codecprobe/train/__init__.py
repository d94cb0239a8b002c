"""Training on cached latents, for every model family: config, frame grid, frame bank, windows, ``fit``.

Model-agnostic: the diarization adapter (:mod:`codecprobe.adapter`), boundary refiners and
next-latent models train through these pieces (see ``docs/diarize.md``, "Training framework").

The names below load on first use (``lazy_loader``): ``import codecprobe.train.grid`` or
``from codecprobe.train import TrainerConfig`` imports neither torch nor Lightning.
"""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "bank": ["FrameBank", "TapSource", "build_bank"],
    "config": ["TrainerConfig"],
    "fit": ["FitResult", "fit", "merge_metrics"],
    "grid": ["grid_frames", "to_grid"],
    "module": ["TrainModule", "load_module", "read_checkpoint"],
    "windows": ["ResumableLoader", "ShardedBatches", "WindowDataModule", "stack_batch", "window_starts"],
})
