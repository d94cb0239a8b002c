"""The next-latent model of Tier 1 Exp 1: an MLP from a context window to a density over the next step.

The target is the step ``x = z[t+lag] - z[t]`` (``D`` dims). Two output heads, both scored as
densities in R^D, so their negative log-likelihoods are in the same units (nats per frame):

- ``gaussian``: a diagonal Gaussian (mean and per-dimension log variance);
- ``vmf``: the step's direction on the unit sphere from a von Mises-Fisher (mean direction,
  concentration kappa) and its length from a LogNormal, ``log p(x) = log vMF(x/|x|) +
  log LogNormal(|x|) - (D - 1) log |x|`` (the polar volume element).

Exp 2 adds an embedding of a Phase 0 key (or of a random key, its control) to the input. The
module is a :class:`~codecprobe.train.TrainModule`: :func:`codecprobe.train.fit` trains it with
checkpoints and resume, and :func:`codecprobe.train.load_module` rebuilds it from a checkpoint.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from codecprobe.nextlatent.distributions import torch_log_bessel_iv
from codecprobe.train.module import TrainModule

MIN_LENGTH = 1e-6  # steps shorter than this count as this long (an exactly repeated frame)


def _bounded(raw: torch.Tensor, bounds: list[float]) -> torch.Tensor:
    low, high = bounds
    return low + (high - low) * torch.sigmoid(raw)


class GaussianHead(nn.Module):
    def __init__(self, hidden: int, dim: int, log_variance: list[float]):
        super().__init__()
        self.out = nn.Linear(hidden, 2 * dim)
        self.log_variance = log_variance

    def forward(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        mean, raw = self.out(h).chunk(2, dim=-1)
        return {"mean": mean, "log_variance": _bounded(raw, self.log_variance)}

    @staticmethod
    def nll(params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """``[B]`` negative log-density of ``x [B, D]``."""
        lv = params["log_variance"]
        return 0.5 * (math.log(2 * math.pi) + lv + (x - params["mean"]) ** 2 * torch.exp(-lv)).sum(dim=-1)


class VmfLogNormalHead(nn.Module):
    def __init__(self, hidden: int, dim: int, log_kappa: list[float], log_sigma: list[float]):
        super().__init__()
        self.out = nn.Linear(hidden, dim + 3)
        self.dim, self.log_kappa, self.log_sigma = dim, log_kappa, log_sigma

    def forward(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.out(h)
        return {"direction": nn.functional.normalize(out[..., :self.dim], dim=-1),
                "kappa": torch.exp(_bounded(out[..., self.dim], self.log_kappa)),
                "log_mean": out[..., self.dim + 1],
                "log_sigma": _bounded(out[..., self.dim + 2], self.log_sigma)}

    @staticmethod
    def nll(params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """``[B]`` negative log-density of ``x [B, D]``: vMF direction, LogNormal length, polar Jacobian."""
        dim = x.shape[-1]
        length = x.norm(dim=-1).clamp_min(MIN_LENGTH)
        unit = x / length[:, None]
        kappa, order = params["kappa"], dim / 2 - 1
        log_normaliser = order * torch.log(kappa) - dim / 2 * math.log(2 * math.pi) - torch_log_bessel_iv(order, kappa)
        log_direction = log_normaliser + kappa * (params["direction"] * unit).sum(dim=-1)
        log_length, sigma = torch.log(length), torch.exp(params["log_sigma"])
        log_magnitude = (-log_length - params["log_sigma"] - 0.5 * math.log(2 * math.pi)
                         - (log_length - params["log_mean"]) ** 2 / (2 * sigma ** 2))
        return -(log_direction + log_magnitude - (dim - 1) * log_length)


class NextLatentModule(TrainModule):
    """Context ``[B, window, D]`` (and a key ``[B]``) -> a density over the next step ``[B, D]``.

    model: :class:`~codecprobe.nextlatent.config.ModelConfig` as a dict; head: ``gaussian`` or
    ``vmf``; keys: the size of the injected key's vocabulary (0: no key); key: what the key is,
    for reports; inputs: the encoder and tap it reads (identity, for the record); system: its name.
    """

    def __init__(self, model: dict, dim: int, window: int, lag: int, head: str, keys: int = 0, key: str = "",
                 inputs: dict | None = None, system: str = ""):
        super().__init__()
        self.save_hyperparameters()
        self.key_embedding = nn.Embedding(keys, model["key_dims"]) if keys else None
        width = window * dim + (model["key_dims"] if keys else 0)
        layers: list[nn.Module] = []
        for _ in range(model["layers"]):
            layers += [nn.Linear(width, model["hidden"]), nn.GELU(), nn.Dropout(model["dropout"])]
            width = model["hidden"]
        self.trunk = nn.Sequential(*layers)
        self.head = GaussianHead(width, dim, model["log_variance"]) if head == "gaussian" else \
            VmfLogNormalHead(width, dim, model["log_kappa"], model["log_sigma"])

    def forward(self, context: torch.Tensor, key: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        features = context.flatten(1)
        if self.key_embedding is not None:
            features = torch.cat([features, self.key_embedding(key)], dim=-1)
        return self.head(self.trunk(features))

    def nll(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """``[B]`` negative log-likelihood of each item's target, nats."""
        return self.head.nll(self(batch["context"], batch.get("key")), batch["target"])

    def training_step(self, batch: dict, batch_index: int) -> torch.Tensor:
        loss = self.nll(batch).mean()
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch["target"]))
        return loss

    def validation_step(self, batch: dict, batch_index: int) -> None:
        self.log("val/loss", self.nll(batch).mean(), prog_bar=True, sync_dist=True, batch_size=len(batch["target"]))
