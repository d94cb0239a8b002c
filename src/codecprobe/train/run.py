"""One model's training run in its folder: train it (or resume it), and read it back.

Every model family (the diarization adapter, the boundary refiners, the next-latent models)
trains through :class:`TrainingRun`, so none of them knows the folder's files::

    FOLDER/last.ckpt      the final state (and the periodic one a killed run resumes from)
    FOLDER/best.ckpt      the best by the monitored validation metric (none without validation)
    FOLDER/metrics.csv    every attempt's logged metrics, merged (codecprobe.train.fit.merge_metrics)
    FOLDER/config.yaml    the study's config

Reading back (:meth:`TrainingRun.read`, or :func:`read_run` for a checkpoint anywhere) gives
the model and what the checkpoint says about its run: step, training time (the resume state
:class:`~codecprobe.train.fit.ResumeState` keeps), trainable parameters and the metrics.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codecprobe.errors import InputError

LAST = "last.ckpt"
BEST = "best.ckpt"
METRICS = "metrics.csv"


@dataclass
class FinishedRun:
    """What a checkpoint says about the run that wrote it."""

    checkpoint: Path
    global_step: int
    train_seconds: float  # wall time spent training up to this checkpoint, over every attempt (NaN: unknown)
    parameters: int  # trainable
    metrics: list[dict] = field(default_factory=list)  # metrics.csv rows beside it: floats, missing values None


class TrainingRun:
    """The run in ``folder``: :meth:`fit` trains or resumes it, :meth:`read` reads the checkpoint to evaluate."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    @property
    def last(self) -> Path:
        return self.folder / LAST

    @property
    def best(self) -> Path:
        return self.folder / BEST

    @property
    def checkpoint(self) -> Path:
        """The checkpoint to evaluate: the best by validation, else the last."""
        return self.best if self.best.is_file() else self.last

    def require_trained(self) -> None:
        """For evaluation-only runs: an error naming the folder if nothing was trained there."""
        if not self.last.is_file():
            raise InputError(f"{self.folder}: no checkpoint to evaluate (train first)")

    def fit(self, module, datamodule, config, saved_config: Any = None):
        """Train ``module`` (built after seeding with ``config.seed``), resuming from ``last.ckpt`` if there;
        the :class:`~codecprobe.train.fit.FitResult`, or None in the extra processes of a DDP run."""
        from codecprobe.train.fit import fit

        result = fit(module, datamodule, config, self.folder, saved_config=saved_config)
        return result if result.is_global_zero else None

    def metrics(self) -> list[dict]:
        return read_metrics(self.folder / METRICS)

    def read(self):
        """``(FinishedRun, module)`` of :attr:`checkpoint`."""
        return read_run(self.checkpoint)


def read_run(checkpoint: str | os.PathLike):
    """``(FinishedRun, module)`` of any checkpoint written by a :class:`TrainingRun` (metrics from its folder)."""
    from codecprobe.train.module import load_module, read_checkpoint

    checkpoint = Path(checkpoint)
    state = read_checkpoint(checkpoint)
    module = load_module(checkpoint)
    seconds = float(state.get("callbacks", {}).get("ResumeState", {}).get("train_seconds", float("nan")))
    parameters = sum(p.numel() for p in module.parameters() if p.requires_grad)
    return FinishedRun(checkpoint, int(state["global_step"]), seconds, parameters,
                       read_metrics(checkpoint.parent / METRICS)), module


def read_metrics(path: str | os.PathLike) -> list[dict]:
    """The rows of a merged ``metrics.csv``: floats, missing values None; none if there is no file."""
    path = Path(path)
    if not path.is_file():
        return []
    with open(path, newline="") as handle:
        return [{k: (float(v) if v else None) for k, v in row.items()} for row in csv.DictReader(handle)]
