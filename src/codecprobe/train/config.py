"""Every knob of a training run, with its default: :class:`TrainerConfig`.

One dataclass for every model family that trains on the latent store (diarization
adapter, boundary refiners, next-latent models); a study config holds it as its
``trainer`` field, so ``--set trainer.max_steps=500`` reaches it. Values are checked in
``__post_init__``, which :func:`codecprobe.config.load_config` runs before any work.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from codecprobe.config import ConfigError


@dataclass
class TrainerConfig:
    """How to train: steps, batches, optimiser, checkpoints and where it runs.

    batch_size: the *global* batch (windows per optimiser step, summed over processes);
        with ``devices * num_nodes`` processes each takes an equal share, so a run gives
        the same result on one process or several (up to float rounding).
    learning_rate: AdamW's rate for every parameter group not named in ``learning_rates``.
    learning_rates: rates of named parameter groups (the diarization module names
        ``mimi`` for Mimi's unfrozen layers and ``adapter`` for the rest).
    schedule: ``constant`` or ``cosine`` decay to 0 at ``max_steps``, both after a linear
        warm-up of ``warmup_steps``.
    val_every_steps: validate every this many optimiser steps; None: after every epoch.
    checkpoint_every_steps: write ``last.ckpt`` every this many steps (and after each
        validation); an interrupted run resumes from it.
    monitor: the validation metric whose minimum ``best.ckpt`` keeps.
    devices, num_nodes, strategy, accelerator, precision: passed to Lightning's Trainer
        (``strategy: ddp`` with ``devices: 2`` trains on two processes).
    workers: DataLoader worker processes (0: load in the training process; the frame
        bank is memory-mapped, so this is rarely the bottleneck).
    threads: torch's intra-op threads in each training process (None: torch's default, one
        per core). On a CPU that other jobs keep busy, 1 can be faster than 2 (measured here:
        8.5 s against 15 s per step of the seeds' adapter).
    deterministic: torch's deterministic algorithms (same seed, same result).
    """

    max_steps: int = 2000
    max_epochs: int | None = None  # None: max_steps alone decides
    batch_size: int = 32
    learning_rate: float = 1e-3
    learning_rates: dict = field(default_factory=dict)
    weight_decay: float = 0.01
    warmup_steps: int = 100
    schedule: Literal["constant", "cosine"] = "cosine"
    gradient_clip: float | None = 1.0
    seed: int = 0
    deterministic: bool = True
    val_every_steps: int | None = None
    checkpoint_every_steps: int = 200
    monitor: str = "val/loss"
    log_every_steps: int = 10
    devices: int | str = 1
    num_nodes: int = 1
    strategy: Literal["auto", "ddp", "ddp_spawn"] = "auto"
    accelerator: str = "auto"
    precision: str = "32-true"
    workers: int = 0
    threads: int | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        positive = {"max_steps": self.max_steps, "batch_size": self.batch_size,
                    "checkpoint_every_steps": self.checkpoint_every_steps, "log_every_steps": self.log_every_steps,
                    "num_nodes": self.num_nodes}
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(f"trainer.{name} must be >= 1, got {value}")
        for name, value in (("max_epochs", self.max_epochs), ("val_every_steps", self.val_every_steps)):
            if value is not None and value < 1:
                raise ConfigError(f"trainer.{name} must be >= 1 or null, got {value}")
        rates = {"learning_rate": self.learning_rate, **{f"learning_rates.{k}": v for k, v in self.learning_rates.items()}}
        for name, value in rates.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                raise ConfigError(f"trainer.{name} must be a positive number, got {value!r}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"trainer.threads must be >= 1 or null, got {self.threads}")
        if self.warmup_steps < 0 or self.weight_decay < 0 or self.workers < 0:
            raise ConfigError("trainer.warmup_steps, weight_decay and workers must be >= 0")
        if self.gradient_clip is not None and not self.gradient_clip > 0:
            raise ConfigError(f"trainer.gradient_clip must be positive or null, got {self.gradient_clip}")
        if isinstance(self.devices, str) and self.devices != "auto":
            raise ConfigError(f"trainer.devices must be a number of devices or 'auto', got {self.devices!r}")
        if isinstance(self.devices, int) and self.devices < 1:
            raise ConfigError(f"trainer.devices must be >= 1, got {self.devices}")
        if self.strategy.startswith("ddp") and isinstance(self.devices, int) and self.batch_size % self.processes:
            raise ConfigError(f"trainer.batch_size {self.batch_size} does not split evenly over "
                              f"{self.processes} processes (devices x num_nodes)")

    @property
    def processes(self) -> int:
        """Training processes when ``devices`` is a number (``auto`` is resolved by Lightning)."""
        return (self.devices if isinstance(self.devices, int) else 1) * self.num_nodes
