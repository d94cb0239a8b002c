"""Windows of frames centred on hypothesised boundaries: what a refiner trains on and is applied to.

Item i of :class:`BoundaryWindows` is boundary ``rows[i]`` of a
:class:`~codecprobe.refine.examples.BoundaryExamples`: the ``window_frames`` frames of its
recording's :class:`~codecprobe.train.bank.FrameBank` centred on the grid frame edge nearest
to the hypothesised time (zero outside the recording, where ``mask`` is False), the speaker
context with the hypothesised time's distance from that edge appended (``shift``, in frames,
within +-0.5), and the target offset in seconds (NaN where unmatched).
"""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from codecprobe.refine.examples import BoundaryExamples
from codecprobe.train.bank import FrameBank


class BoundaryWindows(Dataset):
    def __init__(self, examples: BoundaryExamples, bank: FrameBank, window_frames: int,
                 rows: np.ndarray | None = None):
        if window_frames < 2 or window_frames % 2:
            raise ValueError(f"a window centred on a boundary needs an even number of frames, got {window_frames}")
        self.examples, self.bank, self.window = examples, bank, window_frames
        self.rows = np.arange(len(examples)) if rows is None else np.asarray(rows)
        rate = bank.grid_rate
        times = examples.time[self.rows]
        centre = np.round(times * rate).astype(np.int64)
        self.starts = centre - window_frames // 2
        self.shift = (times * rate - centre).astype(np.float32)
        recordings = examples.recording_ids
        self.bank_rows = np.asarray([bank.index(recordings[row]) for row in self.rows.tolist()], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def context_dim(self) -> int:
        return self.examples.context.shape[1] + 1

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        row, bank_row, start = int(self.rows[index]), int(self.bank_rows[index]), int(self.starts[index])
        frames = np.arange(start, start + self.window)
        shift = self.shift[index]
        return {"features": torch.from_numpy(self.bank.window(bank_row, start, self.window)),
                "mask": torch.from_numpy((frames >= 0) & (frames < self.bank.lengths[bank_row])),
                "context": torch.from_numpy(np.append(self.examples.context[row], shift).astype(np.float32)),
                "shift": torch.tensor(shift),
                "target": torch.tensor(self.examples.target[row], dtype=torch.float32)}
