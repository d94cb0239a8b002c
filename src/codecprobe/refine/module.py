"""The four boundary refiners as Lightning modules (one :class:`RefinerModule` subclass per variant).

Each is trained by :func:`codecprobe.train.fit` on :class:`~codecprobe.refine.data.BoundaryWindows`
batches (``features``, ``mask``, ``context``, ``shift``, ``target``) and predicts, for each
hypothesised boundary, the true boundary's offset from it in seconds. Everything needed to
rebuild one is in its hyper-parameters: the variant's sizes, the inputs (encoder, tap,
weights identity, build options, time offset, dims), the speaker-embedding tap and how it is
pooled, the grid (rate, window frames) and the largest offset it can be asked for; the
input standardisation is in the state dict. Load with :func:`codecprobe.train.load_module`.

| variant | network | loss | prediction |
|---|---|---|---|
| ``mlp`` (V1) | :class:`~codecprobe.refine.model.FlatMlp` | Smooth L1 | its output |
| ``transformer`` (V2) | :class:`~codecprobe.refine.model.SoftArgmax` | Smooth L1 | expected frame position |
| ``diffusion`` (V3) | :class:`~codecprobe.refine.model.Denoiser` | Smooth L1 on the denoised offset | median of DDIM samples |
| ``contrastive`` (V4) | :class:`~codecprobe.refine.model.CandidateRanker` | InfoNCE over frames | best frame, refined by its neighbours |
"""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from codecprobe.train.layers import InputNorm
from codecprobe.refine.model import (CandidateRanker, Denoiser, FlatMlp, SoftArgmax, WindowEncoder, cosine_alphas,
                                     masked_softmax, normal_quantiles)
from codecprobe.train.inputs import TapWindowModule, inputs_summary
from codecprobe.train.windows import stack_batch

if TYPE_CHECKING:
    from codecprobe.encoders import Encoder
    from codecprobe.train.bank import TapSource

NEIGHBOURS = 2  # V4: frames either side of the best one that refine its position


class RefinerModule(TapWindowModule):
    """Base of the four variants: what they read, how they are trained and validated, what they predict.

    refiner: :class:`~codecprobe.refine.config.RefinerConfig` as a dict.
    inputs: one dict per input tap (:func:`~codecprobe.train.inputs.input_record`).
    embedding: the speaker-embedding tap's record, plus ``span_s`` (seconds one of its frames describes).
    speakers: :class:`~codecprobe.refine.config.SpeakersConfig`'s pooling settings as a dict.
    grid: ``rate`` (Hz) and ``window_frames`` of the input windows.
    context_dim: length of the context vector; max_offset_s: the largest offset it is trained for.
    """

    variant: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def __init__(self, refiner: dict, inputs: list[dict], embedding: dict, speakers: dict, grid: dict,
                 context_dim: int, max_offset_s: float, system: str = ""):
        super().__init__()
        self.save_hyperparameters()
        self.config = refiner
        self.network = self.build_network(sum(i["dim"] for i in inputs), context_dim, int(grid["window_frames"]))

    def build_network(self, input_dim: int, context_dim: int, window: int) -> torch.nn.Module:
        raise NotImplementedError

    def loss(self, batch: dict) -> torch.Tensor:
        raise NotImplementedError

    def offsets(self, batch: dict) -> torch.Tensor:
        """Predicted offsets (seconds from the hypothesised boundary) ``[B]``."""
        raise NotImplementedError

    def window_encoder(self, input_dim: int, context_dim: int) -> WindowEncoder:
        c = self.config
        return WindowEncoder(input_dim, context_dim, c["d_model"], c["layers"], c["heads"], c["feedforward"],
                             c["dropout"], int(self.hparams.grid["patch"]))

    def huber(self, predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.smooth_l1_loss(predicted, target, beta=self.config["huber_beta_s"])

    def positions(self, batch: dict) -> torch.Tensor:
        """``[B, W]``: each frame centre's time relative to the hypothesised boundary (seconds)."""
        window = self.window_frames
        frames = torch.arange(window, device=batch["shift"].device, dtype=torch.float32) - window // 2 + 0.5
        return (frames[None] - batch["shift"][:, None]) / self.frame_rate

    # -- training ------------------------------------------------------------------------
    @torch.no_grad()
    def fit_input_norm(self, features: torch.Tensor, mask: torch.Tensor) -> None:
        """Set the input standardisation from the real (unpadded) frames of a sample of training windows."""
        norm = next(m for m in self.modules() if isinstance(m, InputNorm))
        norm.fit(features[mask])

    def training_step(self, batch: dict, batch_index: int) -> torch.Tensor:
        loss = self.loss(batch)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch["target"]))
        return loss

    def validation_step(self, batch: dict, batch_index: int) -> None:
        size = len(batch["target"])
        self.log("val/loss", self.loss(batch), prog_bar=True, sync_dist=True, batch_size=size)
        error = (self.offsets(batch) - batch["target"]).abs().mean()
        self.log("val/mae", error, prog_bar=True, sync_dist=True, batch_size=size)

    # -- inference -----------------------------------------------------------------------
    @torch.no_grad()
    def predict(self, windows: Dataset, batch_size: int = 64) -> np.ndarray:
        """Offsets (seconds) for every item of ``windows``, in order."""
        self.eval()
        loader = DataLoader(windows, batch_size=batch_size, shuffle=False, collate_fn=stack_batch)
        parts = [self.offsets({k: v.to(self.device) for k, v in batch.items()}).cpu().numpy() for batch in loader]
        return np.concatenate(parts) if parts else np.zeros(0)

    def describe(self) -> dict:
        """What it is, for summaries, with a one-line label that marks an untrained encoder ``UNTRAINED``."""
        inputs, weights = inputs_summary(self.hparams.inputs)
        embedding = self.hparams.embedding
        return {"system": self.hparams.system, "variant": self.variant, "inputs": inputs,
                "embedding": f"{embedding['encoder']}:{embedding['tap']} {embedding['weights_id']}",
                "grid": dict(self.hparams.grid), "max_offset_s": self.hparams.max_offset_s,
                "trained_encoders": self.trained_encoders, "weights": weights,
                "label": f"{self.hparams.system} {self.label} [{weights}]"}

    def input_encoders(self, device: str = "cpu") -> list[tuple["Encoder", "TapSource"]]:
        """The encoders of its inputs, rebuilt from the checkpoint and checked to be the ones it trained on."""
        from codecprobe.train.inputs import rebuild_input

        return [rebuild_input(stored, device) for stored in self.hparams.inputs]

    def embedding_encoder(self, device: str = "cpu") -> tuple["Encoder", "TapSource"]:
        from codecprobe.train.inputs import rebuild_input

        return rebuild_input(self.hparams.embedding, device)


class MlpRefiner(RefinerModule):
    variant, label = "mlp", "V1 MLP"

    def build_network(self, input_dim, context_dim, window):
        c = self.config
        return FlatMlp(input_dim, context_dim, window, c["mlp_project"], c["mlp_hidden"], c["dropout"],
                       self.hparams.max_offset_s)

    def loss(self, batch):
        return self.huber(self.offsets(batch), batch["target"])

    def offsets(self, batch):
        return self.network(batch["features"], batch["mask"], batch["context"])


class TransformerRefiner(RefinerModule):
    variant, label = "transformer", "V2 Transformer"

    def build_network(self, input_dim, context_dim, window):
        return SoftArgmax(self.window_encoder(input_dim, context_dim))

    def loss(self, batch):
        return self.huber(self.offsets(batch), batch["target"])

    def offsets(self, batch):
        return self.network(batch["features"], batch["mask"], batch["context"], self.positions(batch))


class DiffusionRefiner(RefinerModule):
    """V3: trained to recover the offset from any noise level; sampled with ``sampling_steps`` DDIM steps
    from ``samples`` starting points, the median of the results taken."""

    variant, label = "diffusion", "V3 diffusion"

    def build_network(self, input_dim, context_dim, window):
        self.register_buffer("alphas", cosine_alphas(self.config["diffusion_steps"]))
        return Denoiser(self.window_encoder(input_dim, context_dim), self.config["heads"],
                        self.config["diffusion_steps"])

    def loss(self, batch):
        scale = self.hparams.max_offset_s
        keys, token, valid = self.network.encode(batch["features"], batch["mask"], batch["context"],
                                                 self.positions(batch) / scale)
        clean = batch["target"] / scale
        step = torch.randint(0, len(self.alphas), clean.shape, device=clean.device)
        alpha = self.alphas[step]
        noisy = alpha.sqrt() * clean + (1 - alpha).sqrt() * torch.randn_like(clean)
        return self.huber(scale * self.network.denoise(keys, token, valid, noisy, step), batch["target"])

    def offsets(self, batch):
        scale, samples = self.hparams.max_offset_s, self.config["samples"]
        keys, token, valid = self.network.encode(batch["features"], batch["mask"], batch["context"],
                                                 self.positions(batch) / scale)
        size = len(token)
        keys, token, valid = (x.repeat_interleave(samples, 0) for x in (keys, token, valid))
        noisy = normal_quantiles(samples).to(token).repeat(size)
        steps = torch.linspace(len(self.alphas) - 1, 0, self.config["sampling_steps"]).round().long().tolist()
        for index, step in enumerate(steps):
            clean = self.network.denoise(keys, token, valid, noisy, torch.full_like(noisy, step, dtype=torch.long))
            clean = clean.clamp(-1.0, 1.0)
            if index + 1 < len(steps):  # DDIM (eta 0): keep the implied noise, move to the next level
                alpha, following = self.alphas[step], self.alphas[steps[index + 1]]
                noise = (noisy - alpha.sqrt() * clean) / (1 - alpha).sqrt()
                noisy = following.sqrt() * clean + (1 - following).sqrt() * noise
        return scale * clean.view(size, samples).median(dim=1).values


class ContrastiveRefiner(RefinerModule):
    """V4: the frame holding the true boundary is the positive among all frames of the window (InfoNCE);
    the prediction is the best frame's position, refined by a softmax over it and its neighbours."""

    variant, label = "contrastive", "V4 contrastive"

    def build_network(self, input_dim, context_dim, window):
        return CandidateRanker(self.window_encoder(input_dim, context_dim), self.config["temperature"])

    def loss(self, batch):
        logits = self.network(batch["features"], batch["mask"], batch["context"])
        frame = torch.floor(batch["target"] * self.frame_rate + batch["shift"]).long() + self.window_frames // 2
        # a boundary at the very end (start) of a recording lies on the edge of its last (first) frame
        mask = batch["mask"]
        first = mask.float().argmax(dim=1)
        last = self.window_frames - 1 - mask.flip(1).float().argmax(dim=1)
        return F.cross_entropy(logits, torch.minimum(torch.maximum(frame, first), last))

    def offsets(self, batch):
        logits = self.network(batch["features"], batch["mask"], batch["context"])
        best = logits.argmax(dim=-1, keepdim=True)
        frames = torch.arange(self.window_frames, device=logits.device)[None]
        near = (frames - best).abs() <= NEIGHBOURS
        return (masked_softmax(logits, near & batch["mask"]) * self.positions(batch)).sum(dim=-1)


VARIANT_MODULES: dict[str, type[RefinerModule]] = {cls.variant: cls for cls in
                                                   (MlpRefiner, TransformerRefiner, DiffusionRefiner, ContrastiveRefiner)}
