"""``fit``: train any :class:`~codecprobe.train.module.TrainModule` with Lightning, resumably.

What one call does, in ``out_dir``:

- seeds everything (``seed_everything``) and asks torch for deterministic algorithms;
- resumes from ``last.ckpt`` when it exists: model, optimiser, schedule, loop counters,
  the loader's place in its epoch (:class:`~codecprobe.train.windows.ResumableLoader`)
  and the random number generators, so the resumed run continues exactly where the
  checkpoint was taken and ends where an uninterrupted run would;
- writes ``last.ckpt`` every ``checkpoint_every_steps`` steps and at the end, and
  ``best.ckpt`` at the validation minimum of ``config.monitor``;
- logs metrics with Lightning's CSV logger, one folder per attempt under ``logs/`` (none is
  overwritten), merged into ``metrics.csv`` (an attempt's rows from the step it resumed
  from replace the interrupted attempt's);
- saves the run's config as ``config.yaml`` beside the checkpoints.

Several processes (``devices``/``num_nodes``/``strategy: ddp``) are Lightning's business;
each process trains on its share of every global batch (:class:`~codecprobe.train.windows.ShardedBatches`).
With Lightning's ``ddp`` launcher the command runs again in each extra process, so what
comes before ``fit`` must be cheap to repeat (everything cached) and what comes after it
should run where :attr:`FitResult.is_global_zero` is true.
"""
from __future__ import annotations

import contextlib
import csv
import json
import logging
import random
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from tqdm.auto import tqdm

from codecprobe.config import config_to_dict, save_config
from codecprobe.errors import InputError
from codecprobe.report.files import atomic_write_text
from codecprobe.train.config import TrainerConfig
from codecprobe.train.module import TrainModule, read_checkpoint
from codecprobe.train.run import BEST, LAST



@dataclass
class FitResult:
    out_dir: Path
    last_checkpoint: Path
    best_checkpoint: Path | None
    global_step: int
    resumed_from_step: int  # 0: a fresh start
    train_seconds: float  # wall time spent training, summed over every attempt
    is_global_zero: bool  # the process that writes files and reports (rank 0)
    metrics: list[dict]  # merged metrics.csv rows


def fit(module: TrainModule, datamodule: L.LightningDataModule, config: TrainerConfig,
        out_dir: str | Path, saved_config: Any = None, callbacks: Sequence[Callback] = ()) -> FitResult:
    """Train ``module`` on ``datamodule`` as ``config`` says; resume from ``out_dir/last.ckpt`` if present.

    The module should be built after ``lightning.seed_everything(config.seed)``, so that its
    initial weights depend on the seed alone. ``saved_config`` (a config dataclass, default
    ``config``) is written to ``out_dir/config.yaml``; ``callbacks`` are added to Lightning's.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    L.seed_everything(config.seed, workers=True, verbose=False)
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    module.trainer_config = config
    module.run_config = config_to_dict(saved_config if saved_config is not None else config)
    last = out_dir / LAST
    resumed_from = int(read_checkpoint(last).get("global_step", 0)) if last.is_file() else 0
    attempt = _attempts(out_dir)
    has_validation = getattr(datamodule, "val_set", True) is not None
    clock = ResumeState()
    with _quiet_lightning_info():
        trainer = _trainer(config, out_dir, attempt, has_validation, [clock, *callbacks])
    if trainer.world_size > 1 and config.batch_size % trainer.world_size:
        raise InputError(f"trainer.batch_size {config.batch_size} does not split evenly over "
                         f"{trainer.world_size} processes")
    if trainer.is_global_zero:
        save_config(saved_config if saved_config is not None else config, out_dir / "config.yaml")
        _record_attempt(out_dir, attempt, resumed_from)
    with _quiet_lightning_info():
        trainer.fit(module, datamodule=datamodule, ckpt_path=last if resumed_from else None, weights_only=True)
    if trainer.interrupted:  # Ctrl-C: keep the last periodic checkpoint, not a half-finished step
        raise KeyboardInterrupt
    trainer.save_checkpoint(last, weights_only=False)  # the final state, whatever step the periodic one had
    best = out_dir / BEST
    metrics = merge_metrics(out_dir) if trainer.is_global_zero else []
    return FitResult(out_dir, last, best if best.is_file() else None, trainer.global_step, resumed_from,
                     clock.seconds, trainer.is_global_zero, metrics)


def _trainer(config: TrainerConfig, out_dir: Path, attempt: int, has_validation: bool,
             callbacks: list[Callback]) -> L.Trainer:
    return L.Trainer(
        default_root_dir=out_dir,
        max_steps=config.max_steps,
        max_epochs=config.max_epochs if config.max_epochs is not None else -1,
        accelerator=config.accelerator, devices=config.devices, num_nodes=config.num_nodes,
        strategy=config.strategy, precision=config.precision,
        gradient_clip_val=config.gradient_clip,
        deterministic=config.deterministic,
        use_distributed_sampler=False,  # the data module shards the batches itself
        val_check_interval=config.val_every_steps if has_validation else None,
        check_val_every_n_epoch=None if config.val_every_steps else 1,
        limit_val_batches=None if has_validation else 0,
        num_sanity_val_steps=0,
        log_every_n_steps=config.log_every_steps,
        logger=CSVLogger(out_dir, name="logs", version=attempt),
        callbacks=[
            ModelCheckpoint(dirpath=out_dir, filename=Path(LAST).stem, every_n_train_steps=config.checkpoint_every_steps,
                            save_top_k=1, enable_version_counter=False, save_on_train_epoch_end=False),
            *([ModelCheckpoint(dirpath=out_dir, filename=Path(BEST).stem, monitor=config.monitor, mode="min",
                               save_top_k=1, enable_version_counter=False, save_on_train_epoch_end=False)]
              if has_validation else []),
            *callbacks,
            *([StepProgress()] if config.progress else []),
        ],
        enable_progress_bar=False,  # Lightning's bars: one per epoch and per validation, on stdout
        enable_model_summary=False,  # a layer table on stdout; the report states the model's size
    )


class StepProgress(Callback):
    """One tqdm bar on stderr over the whole run's optimiser steps (as every other stage shows progress),
    with the metrics the module logs with ``prog_bar=True``; validation runs without bars of its own."""

    def __init__(self) -> None:
        self._bar = None

    def on_train_start(self, trainer, pl_module) -> None:
        total = trainer.max_steps if trainer.max_steps and trainer.max_steps > 0 else None
        self._bar = tqdm(total=total, initial=trainer.global_step, unit="step", desc="training",
                         disable=not trainer.is_global_zero, dynamic_ncols=True)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self._bar.update(trainer.global_step - self._bar.n)
        shown = trainer.progress_bar_metrics  # what the module logged with prog_bar=True
        self._bar.set_postfix({name: f"{float(value):.4g}" for name, value in shown.items()}, refresh=False)

    def on_train_end(self, trainer, pl_module) -> None:
        self._bar.close()


class ResumeState(Callback):
    """Carries through checkpoints what Lightning does not: random number generators and training time.

    The generators are saved at each checkpoint and set again when training restarts, so
    dropout draws the same numbers in a resumed run as in an uninterrupted one.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = None
        self._restore: dict | None = None

    def on_train_start(self, trainer, pl_module) -> None:
        if self._restore is not None:
            torch.set_rng_state(torch.tensor(self._restore["torch"], dtype=torch.uint8))
            state = self._restore["numpy"]
            np.random.set_state((state[0], np.asarray(state[1], dtype=np.uint32), *state[2:]))
            random.setstate((self._restore["python"][0], tuple(self._restore["python"][1]), self._restore["python"][2]))
            self._restore = None
        self._started = time.perf_counter()

    def on_train_end(self, trainer, pl_module) -> None:
        self._lap()

    def _lap(self) -> None:
        if self._started is not None:
            now = time.perf_counter()
            self.seconds += now - self._started
            self._started = now

    def state_dict(self) -> dict:
        self._lap()
        numpy_state = np.random.get_state()
        python_state = random.getstate()
        return {"train_seconds": self.seconds,
                "torch": torch.get_rng_state().tolist(),
                "numpy": [numpy_state[0], numpy_state[1].tolist(), *numpy_state[2:]],
                "python": [python_state[0], list(python_state[1]), python_state[2]]}

    def load_state_dict(self, state: dict) -> None:
        self.seconds = state["train_seconds"]
        self._restore = state


def _attempts(out_dir: Path) -> int:
    """The number of the next attempt (its CSV log goes to ``logs/version_N``)."""
    return len(_read_attempts(out_dir))


def _read_attempts(out_dir: Path) -> dict[str, int]:
    """``logs/attempts.json``: attempt number -> the step it resumed from."""
    path = out_dir / "logs" / "attempts.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _record_attempt(out_dir: Path, attempt: int, resumed_from: int) -> None:
    attempts = _read_attempts(out_dir) | {str(attempt): resumed_from}
    atomic_write_text(out_dir / "logs" / "attempts.json", json.dumps(attempts) + "\n")


@contextlib.contextmanager
def _quiet_lightning_info():
    """Lightning's start-up notes (accelerators found, a logging service tip, a checkpoint folder that is
    not empty: ours holds the run) are not our user's business."""
    logger = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")
            warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")
            yield
    finally:
        logger.setLevel(level)


def merge_metrics(out_dir: str | Path) -> list[dict]:
    """Rows of every attempt's ``metrics.csv``, each attempt's replacing earlier rows from its resume step on.

    Written to ``out_dir/metrics.csv``; values are floats, missing values None.
    """
    out_dir = Path(out_dir)
    rows: list[dict] = []
    for attempt, resumed in sorted(_read_attempts(out_dir).items(), key=lambda item: int(item[0])):
        folder = out_dir / "logs" / f"version_{attempt}"
        rows = [row for row in rows if row["step"] < resumed]
        if (folder / "metrics.csv").is_file():
            with open(folder / "metrics.csv", newline="") as handle:
                rows += [{k: (float(v) if v not in ("", None) else None) for k, v in row.items()}
                         for row in csv.DictReader(handle)]
    keys = sorted({key for row in rows for key in row})
    lines = [",".join(keys)] + [",".join("" if row.get(k) is None else repr(row[k]) for k in keys) for row in rows]
    atomic_write_text(out_dir / "metrics.csv", "\n".join(lines) + "\n")
    return rows
