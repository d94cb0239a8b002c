"""Where extraction runs: in this process (``local``, the default) or on a Ray cluster (``ray``).

One typed setting, taken by :func:`codecprobe.extract.extract`, so every command and
study that extracts offers the same choice (``--executor ray --workers 4`` on the command
line, ``executor.kind=ray`` in a study config). How to run on a cluster: docs/scale.md.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, fields
from typing import Literal

from codecprobe.errors import InputError

INSTALL_RAY = "--executor ray needs Ray, an optional extra: pip install 'codecprobe[ray]'"


@dataclass(frozen=True)
class ExecutorConfig:
    """How extraction is spread over processes.

    kind: ``local`` reads and encodes in this process (the next batch is read on a
        thread while the model runs); ``ray`` reads and resamples audio in Ray Data
        tasks and encodes on a pool of Ray actors, one model per actor.
    address: the Ray cluster to join: ``auto`` (the one ``ray start`` runs on this
        machine) or its head's ``HOST:PORT``; None: that cluster if there is one, else a
        Ray instance started on this machine for the run (a process that has joined a
        cluster already keeps it).
    workers: encoder actors; each builds its own copy of the model.
    gpus_per_worker: GPUs each actor reserves (fractions share one GPU); above 0 the
        actors encode on ``cuda``, else on the CPU.
    cpus_per_worker: CPUs each actor reserves; Ray also sets its torch threads to the
        whole CPUs among them (at least 1).

    >>> ExecutorConfig(kind="ray", workers=0)
    Traceback (most recent call last):
    ...
    codecprobe.errors.InputError: executor: workers must be at least 1, got 0
    """

    kind: Literal["local", "ray"] = "local"
    address: str | None = None
    workers: int = 1
    gpus_per_worker: float = 0.0
    cpus_per_worker: float = 1.0

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise InputError(f"executor: workers must be at least 1, got {self.workers}")
        if not self.cpus_per_worker > 0:
            raise InputError(f"executor: cpus_per_worker must be positive, got {self.cpus_per_worker}")
        if self.gpus_per_worker < 0:
            raise InputError(f"executor: gpus_per_worker cannot be negative, got {self.gpus_per_worker}")
        if self.kind == "local":
            changed = [f.name for f in fields(self) if f.name != "kind" and getattr(self, f.name) != f.default]
            if changed:
                raise InputError(f"executor: {', '.join(changed)} apply to the ray executor only (--executor ray)")
        elif importlib.util.find_spec("ray") is None:  # checked here, before any work
            raise InputError(INSTALL_RAY)
