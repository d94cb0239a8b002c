"""The Lightning module of the diarization adapter: network, losses, predictions, checkpoint contents.

Everything needed to rebuild a trained model is in its hyper-parameters (saved in every
checkpoint): the adapter config, the inputs (encoder, tap, weights identity and the
options that built it, time offset, dims), the label grid (rate, window, input rate) and,
for partial unfreezing, Mimi's architecture config. The input standardisation and
Mimi's unfrozen weights are in the state dict. Load with
:func:`codecprobe.train.load_module` (or :meth:`DiarizationModule.load_from_checkpoint`).
"""
from __future__ import annotations

import torch

from codecprobe.diarize.losses import Powerset, hybrid_loss, pit_loss, sort_loss
from codecprobe.diarize.model import DiarizationAdapter, MimiTop
from codecprobe.train.module import TrainModule


class DiarizationModule(TrainModule):
    """Frames -> per-frame activity of up to ``adapter["speakers"]`` local speakers.

    adapter: :class:`~codecprobe.diarize.config.AdapterConfig` as a dict.
    inputs: one dict per input tap (:meth:`~codecprobe.train.bank.TapSource.describe` plus
        ``dim`` and the ``build`` options that made the encoder).
    grid: ``rate`` (labels, Hz), ``input_rate`` (the inputs' grid: ``rate`` or, with
        unfreezing, Mimi's 25 Hz), ``window_frames`` (on the label grid).
    unfreeze_layers, mimi_config, mimi_learning_rate: Step 1.5 (see :class:`~codecprobe.diarize.model.MimiTop`).
    system: the system's name, for reports.
    """

    def __init__(self, adapter: dict, inputs: list[dict], grid: dict, unfreeze_layers: int = 0,
                 mimi_config: dict | None = None, mimi_learning_rate: float = 1e-5, system: str = ""):
        super().__init__()
        self.save_hyperparameters()
        self.config = adapter
        self.powerset = Powerset(adapter["speakers"], adapter["max_active"]) if adapter["head"] == "powerset" else None
        self.mimi = MimiTop(mimi_config, unfreeze_layers) if unfreeze_layers else None
        input_dim = self.mimi.downsample.conv.out_channels if self.mimi else sum(i["dim"] for i in inputs)
        self.adapter = DiarizationAdapter(
            input_dim, adapter["d_model"], adapter["layers"], adapter["heads"], adapter["feedforward"],
            adapter["dropout"], self.powerset.num_classes if self.powerset else adapter["speakers"])

    # -- network -------------------------------------------------------------------------
    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``features`` ``[B, T * input_ratio, D]``, ``mask`` ``[B, T]`` -> logits ``[B, T, outputs]``."""
        frames = self.mimi(features) if self.mimi is not None else features
        return self.adapter(frames, mask.bool())

    @torch.no_grad()
    def fit_input_norm(self, features: torch.Tensor) -> None:
        """Set the adapter's input standardisation from a sample of training windows ``[B, T', D]``."""
        frames = self.mimi(features) if self.mimi is not None else features
        self.adapter.norm.fit(frames.reshape(-1, frames.shape[-1]))

    def loss(self, logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.powerset is not None:
            return self.powerset.loss(logits, targets, mask)
        kind = self.config["loss"]
        if kind == "pit":
            return pit_loss(logits, targets, mask)
        if kind == "sort":
            return sort_loss(logits, targets, mask)
        return hybrid_loss(logits, targets, mask, self.config["sort_weight"], self.config["pit_weight"])

    @torch.no_grad()
    def activity(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``[B, T, S]`` 0/1 decisions: sigmoid above the threshold, or the powerset's most likely class."""
        logits = self(features, mask)
        if self.powerset is not None:
            return self.powerset.decode(logits.argmax(dim=-1))
        return (torch.sigmoid(logits) > self.config["threshold"]).float()

    # -- training ------------------------------------------------------------------------
    def training_step(self, batch: dict, batch_index: int) -> torch.Tensor:
        loss = self.loss(self(batch["features"], batch["mask"]), batch["targets"], batch["mask"])
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch["mask"]))
        return loss

    def validation_step(self, batch: dict, batch_index: int) -> None:
        loss = self.loss(self(batch["features"], batch["mask"]), batch["targets"], batch["mask"])
        self.log("val/loss", loss, prog_bar=True, sync_dist=True, batch_size=len(batch["mask"]))

    def parameter_groups(self) -> dict[str, list[torch.nn.Parameter]]:
        return {"adapter": list(self.adapter.parameters()),
                "mimi": list(self.mimi.parameters()) if self.mimi is not None else []}

    def default_learning_rates(self) -> dict[str, float]:
        return {"mimi": self.hparams.mimi_learning_rate}

    # -- what it reads -------------------------------------------------------------------
    @property
    def input_ratio(self) -> int:
        return int(round(self.hparams.grid["input_rate"] / self.hparams.grid["rate"]))

    @property
    def trained_encoders(self) -> bool:
        """False when any input comes from an encoder with random weights (an untrained control)."""
        return all(i["trained"] for i in self.hparams.inputs)
