"""Items of the next-latent task, served from a frame bank: Phase 0's anchors as training examples.

An utterance's anchors are Phase 0's (:mod:`codecprobe.structure.frames`): frames ``t`` with
``window`` frames of context behind them and ``lag`` ahead. Each item holds the z-scored context
``[window, D]``, the target step ``z[t+lag] - z[t]`` ``[D]`` and, for Exp 2, the anchor's key.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from codecprobe.structure.frames import n_anchors
from codecprobe.train.bank import FrameBank


class StepWindows(Dataset):
    """The anchors of some of a bank's segments (``rows``), in order.

    ``mean``/``std`` z-score the frames (training statistics); ``keys[row]`` gives one key per
    anchor of that row (None: items carry no key).

    >>> import types
    >>> bank = types.SimpleNamespace(lengths=np.array([12, 5]))
    >>> [int(n) for n in StepWindows(bank, [0, 1], window=4, lag=2, mean=0, std=1).per_row]  # t = 3..9, none
    [7, 0]
    """

    def __init__(self, bank: FrameBank, rows: list[int], window: int, lag: int, mean, std,
                 keys: dict[int, np.ndarray] | None = None):
        self.bank, self.window, self.lag = bank, window, lag
        self.mean, self.std, self.keys = np.float32(mean), np.float32(std), keys
        self.per_row = np.array([n_anchors(int(bank.lengths[r]), window, lag) for r in rows], dtype=np.int64)
        self.rows = np.repeat(np.asarray(rows, dtype=np.int64), self.per_row)
        self.anchor_index = np.concatenate([np.arange(n) for n in self.per_row]) if len(rows) else np.zeros(0, int)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        row, a = int(self.rows[index]), int(self.anchor_index[index])  # anchor t = a + window - 1
        frames = (self.bank.window(row, a, self.window + self.lag) - self.mean) / self.std
        item = {"context": torch.from_numpy(frames[:self.window]),
                "target": torch.from_numpy(frames[self.window - 1 + self.lag] - frames[self.window - 1])}
        if self.keys is not None:
            item["key"] = torch.tensor(self.keys[row][a], dtype=torch.int64)
        return item
