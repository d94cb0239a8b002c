"""What every trainable model family shares: its optimiser, and checkpoints that rebuild it.

A model family is a :class:`TrainModule` subclass (a LightningModule) that calls
``self.save_hyperparameters()`` with plain-data arguments (dicts, lists, numbers,
strings: the config, encoder identities, the label grid), so that
:func:`load_module` rebuilds it from the checkpoint file alone, as pyannote.audio's
checkpoints do. Every checkpoint also records which class wrote it, the codecprobe
version and the package versions, and the :class:`~codecprobe.train.config.TrainerConfig`
that trained it.
"""
from __future__ import annotations

import importlib
import math
import os
import pickle
from dataclasses import asdict

import lightning as L
import torch

from codecprobe.errors import InputError
from codecprobe.train.config import TrainerConfig


class TrainModule(L.LightningModule):
    """Base of every model family trained by :func:`codecprobe.train.fit`.

    Subclasses implement ``training_step``/``validation_step`` and may name parameter
    groups (:meth:`parameter_groups`) that get their own learning rates from
    ``TrainerConfig.learning_rates``. ``fit`` sets :attr:`trainer_config` before training.
    """

    trainer_config: TrainerConfig = TrainerConfig()
    run_config: dict | None = None  # the whole config of the run that trained it (set by fit), for the record

    def parameter_groups(self) -> dict[str, list[torch.nn.Parameter]]:
        """Trainable parameters by group name; one group, ``default``, unless a subclass says otherwise."""
        return {"default": [p for p in self.parameters() if p.requires_grad]}

    def default_learning_rates(self) -> dict[str, float]:
        """Learning rates a model family gives some of its groups (its config's), unless
        ``TrainerConfig.learning_rates`` names them; other groups get ``TrainerConfig.learning_rate``."""
        return {}

    def configure_optimizers(self):
        """AdamW over the named groups (weight decay on matrices only) and a warm-up + constant/cosine schedule."""
        config = self.trainer_config
        rates = self.default_learning_rates() | config.learning_rates
        groups = []
        for name, parameters in self.parameter_groups().items():
            rate = rates.get(name, config.learning_rate)
            decay = [p for p in parameters if p.ndim >= 2]
            rest = [p for p in parameters if p.ndim < 2]
            groups += [{"params": decay, "lr": rate, "weight_decay": config.weight_decay, "name": name},
                       {"params": rest, "lr": rate, "weight_decay": 0.0, "name": f"{name}/no-decay"}]
        unknown = set(config.learning_rates) - set(self.parameter_groups())
        if unknown:
            raise InputError(f"trainer.learning_rates names unknown parameter group(s) {sorted(unknown)}; "
                             f"this model has {sorted(self.parameter_groups())}")
        optimizer = torch.optim.AdamW([g for g in groups if g["params"]])
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: learning_rate_factor(step, config))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        from codecprobe.report import provenance

        cls = type(self)
        checkpoint["codecprobe"] = {"module": f"{cls.__module__}.{cls.__qualname__}",
                                    "trainer_config": asdict(self.trainer_config), "run_config": self.run_config,
                                    "provenance": provenance(("lightning",))}


def learning_rate_factor(step: int, config: TrainerConfig) -> float:
    """The multiplier of the base learning rate at ``step``: linear warm-up, then constant or cosine to 0.

    >>> config = TrainerConfig(max_steps=100, warmup_steps=10, schedule="cosine")
    >>> [round(learning_rate_factor(s, config), 3) for s in (0, 5, 10, 55, 100)]
    [0.1, 0.6, 1.0, 0.5, 0.0]
    """
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    if config.schedule == "constant":
        return 1.0
    progress = (step - config.warmup_steps) / max(1, config.max_steps - config.warmup_steps)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def load_module(path: str | os.PathLike, map_location: str = "cpu") -> TrainModule:
    """Rebuild the model in a checkpoint written by :func:`codecprobe.train.fit`, weights loaded, in eval mode."""
    checkpoint = read_checkpoint(path, map_location)
    name = checkpoint.get("codecprobe", {}).get("module")
    if name is None:
        raise InputError(f"{path}: not a codecprobe checkpoint (no 'codecprobe' record)")
    module_name, _, class_name = name.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        raise InputError(f"{path}: written by {name}, which this codecprobe does not have") from None
    with _allowed_globals():
        model = cls.load_from_checkpoint(path, map_location=map_location, weights_only=True)
    model.trainer_config = TrainerConfig(**checkpoint["codecprobe"]["trainer_config"])
    return model.eval()


def read_checkpoint(path: str | os.PathLike, map_location: str = "cpu") -> dict:
    """The checkpoint dictionary (tensors and plain data only: ``weights_only``)."""
    try:
        with _allowed_globals():
            return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise InputError(f"{path}: checkpoint not found") from None
    except pickle.UnpicklingError:  # its message is a page of advice on torch.load's weights_only
        raise InputError(f"{path}: not a checkpoint (not a PyTorch file, or one holding more than tensors and "
                         f"plain data)") from None
    except Exception as error:  # torch raises several types for files that are not checkpoints
        raise InputError(f"{path}: not a checkpoint ({type(error).__name__}: {_first_line(error)})") from None


def _first_line(error: Exception) -> str:
    """The first sentence of ``error``'s message (torch's go on for a paragraph)."""
    return (str(error).strip().splitlines() or [""])[0].split(". ")[0].rstrip(".")


def _allowed_globals():
    """``weights_only`` loading that also accepts ``torch.__version__`` (a ``str`` subclass), which
    checkpoints of random-init encoders written before their identities stored it as ``str`` hold."""
    return torch.serialization.safe_globals([torch.torch_version.TorchVersion])
