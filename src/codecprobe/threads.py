"""Torch's intra-op thread count, set for the span of a call and then restored.

Small sequential models (Resemblyzer's LSTM, Silero VAD) run *slower* with two threads
than with one when the cores are busy, while the large models (Mimi) want them all.
Wrapping the small models' calls in ``torch_threads(1)`` gives each what it needs
without changing the process-wide setting others rely on.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
