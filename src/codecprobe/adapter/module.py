"""The Lightning module of the diarization adapter: network, losses, predictions, checkpoint contents.

Everything needed to rebuild a trained model is in its hyper-parameters (saved in every
checkpoint): the adapter config, the inputs (encoder, tap, weights identity and the
options that built it, time offset, dims), the label grid (rate, window, input rate) and,
for partial unfreezing, Mimi's architecture config. The input standardisation and
Mimi's unfrozen weights are in the state dict. Load with
:func:`codecprobe.train.load_module` (or :meth:`DiarizationModule.load_from_checkpoint`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from codecprobe.adapter.evaluate import frame_errors
from codecprobe.adapter.losses import Powerset, hybrid_loss, pit_loss, sort_loss
from codecprobe.adapter.model import DiarizationAdapter, MimiTop
from codecprobe.train.grid import to_grid
from codecprobe.train.inputs import TapWindowModule, inputs_summary

if TYPE_CHECKING:
    from codecprobe.encoders import Encoder
    from codecprobe.train.bank import TapSource


class DiarizationModule(TapWindowModule):
    """Frames -> per-frame activity of up to ``adapter["speakers"]`` local speakers.

    adapter: :class:`~codecprobe.adapter.config.AdapterConfig` as a dict.
    inputs: one dict per input tap (:meth:`~codecprobe.train.bank.TapSource.describe` plus
        ``dim`` and the ``build`` options that made the encoder).
    grid: ``rate`` (labels, Hz), ``input_rate`` (the inputs' grid: ``rate`` or, with
        unfreezing, Mimi's 25 Hz), ``window_frames`` (on the label grid).
    unfreeze_layers, mimi_config, mimi_learning_rate: Step 1.5 (see :class:`~codecprobe.adapter.model.MimiTop`).
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
        return self.decide(self(features, mask))

    def decide(self, logits: torch.Tensor) -> torch.Tensor:
        """0/1 decisions of ``logits`` (see :meth:`activity`)."""
        if self.powerset is not None:
            return self.powerset.decode(logits.argmax(dim=-1))
        return (torch.sigmoid(logits) > self.config["threshold"]).float()

    # -- training ------------------------------------------------------------------------
    def training_step(self, batch: dict, batch_index: int) -> torch.Tensor:
        loss = self.loss(self(batch["features"], batch["mask"]), batch["targets"], batch["mask"])
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch["mask"]))
        return loss

    def on_validation_epoch_start(self) -> None:
        self._frame_errors = np.zeros(4)

    def validation_step(self, batch: dict, batch_index: int) -> None:
        logits = self(batch["features"], batch["mask"])
        loss = self.loss(logits, batch["targets"], batch["mask"])
        self.log("val/loss", loss, prog_bar=True, sync_dist=True, batch_size=len(batch["mask"]))
        self._frame_errors += frame_errors(*(x.detach().cpu().numpy() for x in
                                             (self.decide(logits), batch["targets"], batch["mask"])))

    def on_validation_epoch_end(self) -> None:
        """``val/der``, ``val/vad_error``, ``val/confusion``: the validation windows' DER in % of their speech,
        pooled over windows (and processes), on the label grid (:func:`~codecprobe.adapter.evaluate.frame_errors`):
        the learning curve in the metric the study reports, at every validation."""
        totals = self.trainer.strategy.reduce(torch.as_tensor(self._frame_errors, device=self.device),
                                              reduce_op="sum").cpu().numpy()
        miss, fa, confusion, _ = (totals / max(totals[3], 1.0) * 100).tolist()
        self.log_dict({"val/der": miss + fa + confusion, "val/vad_error": miss + fa, "val/confusion": confusion})

    def parameter_groups(self) -> dict[str, list[torch.nn.Parameter]]:
        return {"adapter": list(self.adapter.parameters()),
                "mimi": list(self.mimi.parameters()) if self.mimi is not None else []}

    def default_learning_rates(self) -> dict[str, float]:
        return {"mimi": self.hparams.mimi_learning_rate}

    # -- what it reads, and inference on windows (what long-audio diarization builds on) -------
    @property
    def input_ratio(self) -> int:
        """Input frames per output frame: 1, or 2 when it reads Mimi's 25 Hz layers (unfreezing)."""
        return int(round(self.hparams.grid["input_rate"] / self.hparams.grid["rate"]))

    @property
    def n_local(self) -> int:
        """Local speakers per window (output slots)."""
        return int(self.config["speakers"])

    def describe(self) -> dict:
        """What it is, for summaries: system, inputs with their weights, grid, adapter, and a one-line label
        that marks an untrained (random-weights) encoder as ``UNTRAINED``."""
        inputs, weights = inputs_summary(self.hparams.inputs)
        return {"system": self.hparams.system, "inputs": inputs, "grid": dict(self.hparams.grid),
                "adapter": dict(self.config), "unfreeze_layers": self.hparams.unfreeze_layers,
                "trained_encoders": self.trained_encoders, "label": f"{self.hparams.system} [{weights}]"}

    def input_encoders(self, device: str = "cpu") -> list[tuple["Encoder", "TapSource"]]:
        """The encoders of its inputs, built again from the options recorded at training, each checked to be
        the very encoder it was trained on (same weights identity and settings), with its tap and offset."""
        from codecprobe.train.inputs import rebuild_input

        return [rebuild_input(stored, device) for stored in self.hparams.inputs]

    def fuse(self, taps: list[tuple[np.ndarray, float]], n_frames: int) -> np.ndarray:
        """Its input for a recording of ``n_frames`` output frames: each input's ``(frames, frame_rate)``, in
        the order of ``hparams.inputs``, on the input grid (:func:`~codecprobe.train.grid.to_grid` with the
        input's offset), concatenated: ``[n_frames * input_ratio, dim]``, as the frame bank it trained on."""
        rate = self.hparams.grid["input_rate"]
        return np.concatenate([to_grid(frames, frame_rate, n_frames * self.input_ratio, rate, stored["offset_s"])
                               for (frames, frame_rate), stored in zip(taps, self.hparams.inputs)], axis=1)

    @torch.no_grad()
    def predict(self, windows: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Local speaker activity in [0, 1], ``[B, window_frames, n_local]``, of input ``windows``
        ``[B, window_frames * input_ratio, dim]`` (``mask`` ``[B, window_frames]``: False past a recording's
        end; default all True): sigmoid outputs, or the powerset's per-speaker marginals."""
        self.eval()
        features = torch.as_tensor(windows, dtype=torch.float32, device=self.device)
        frames = features.shape[1] // self.input_ratio
        valid = torch.ones(features.shape[0], frames, dtype=torch.bool, device=self.device) if mask is None \
            else torch.as_tensor(mask, device=self.device)
        logits = self(features, valid)
        if self.powerset is not None:
            return self.powerset.marginals(torch.log_softmax(logits, dim=-1)).cpu().numpy()
        return torch.sigmoid(logits).cpu().numpy()
