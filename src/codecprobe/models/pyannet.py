"""pyannote.audio's PyanNet, the network of pyannote/segmentation-3.0, restated in plain torch.

SincNet front end (pyannote.audio ``models/blocks/sincnet.py``): the waveform goes through an
affine InstanceNorm over the whole input, then three blocks of conv -> max-pool 3 -> affine
InstanceNorm -> leaky ReLU. The first conv is asteroid-filterbanks' ``ParamSincFB`` (80 sinc
band-pass filters of 251 taps, stride 10, built from the learnt ``low_hz_``/``band_hz_``; its
output is rectified with ``abs``), the other two are ordinary convs to 60 channels with kernel 5.
Then 4 bidirectional LSTM layers of 128, 2 linear layers of 128 (leaky ReLU), and a 7-class
log-softmax: the powerset of 3 local speakers with at most 2 active at once
(:data:`POWERSET`, pyannote's ``Powerset`` order).

The filterbank is asteroid-filterbanks' own ``ParamSincFB`` (the library pyannote uses), so the
filters are built exactly as pyannote builds them; parameter names match pyannote's checkpoints.
Every normalisation is over the whole input, so outputs depend on the input's extent: pyannote
runs the model on 10 s windows (160000 samples -> 589 frames).
"""
from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from asteroid_filterbanks import Encoder as FilterbankEncoder
from asteroid_filterbanks import ParamSincFB
from torch import nn

from codecprobe.models.geometry import (FIRST_CENTRE_SAMPLES, FRAME_STEP_SAMPLES, MAX_SIMULTANEOUS,  # noqa: F401
                                       NUM_SPEAKERS, RECEPTIVE_FIELD_SAMPLES, SAMPLE_RATE, num_frames)

def _powerset() -> torch.Tensor:
    """``[7, 3]``: which local speakers each powerset class holds, in pyannote's order:
    {}, {0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}."""
    sets = [s for size in range(MAX_SIMULTANEOUS + 1) for s in itertools.combinations(range(NUM_SPEAKERS), size)]
    mapping = torch.zeros(len(sets), NUM_SPEAKERS)
    for row, members in enumerate(sets):
        mapping[row, list(members)] = 1.0
    return mapping


POWERSET = _powerset()




class SincNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wav_norm1d = nn.InstanceNorm1d(1, affine=True)
        sinc = ParamSincFB(80, 251, stride=10, sample_rate=SAMPLE_RATE, min_low_hz=50, min_band_hz=50)
        self.conv1d = nn.ModuleList([FilterbankEncoder(sinc), nn.Conv1d(80, 60, 5), nn.Conv1d(60, 60, 5)])
        self.norm1d = nn.ModuleList([nn.InstanceNorm1d(n, affine=True) for n in (80, 60, 60)])

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        """``[batch, 1, samples]`` -> ``[batch, 60, frames]``."""
        out = self.wav_norm1d(waveforms)
        for index, (conv, norm) in enumerate(zip(self.conv1d, self.norm1d)):
            out = conv(out)
            if index == 0:
                out = out.abs()
            out = F.leaky_relu(norm(F.max_pool1d(out, 3, stride=3)))
        return out


class PyanNet(nn.Module):
    """Waveforms ``[batch, 1, samples]`` at 16 kHz -> powerset log-probabilities ``[batch, frames, 7]``.

    Frame i is centred on sample ``first_centre + i * frame_step`` and sees
    ``receptive_field`` samples (all in samples at 16 kHz: 495, 270, 991).
    """

    sample_rate = SAMPLE_RATE
    frame_step = FRAME_STEP_SAMPLES
    receptive_field = RECEPTIVE_FIELD_SAMPLES
    first_centre = FIRST_CENTRE_SAMPLES

    def __init__(self) -> None:
        super().__init__()
        self.sincnet = SincNet()
        self.lstm = nn.LSTM(60, 128, num_layers=4, bidirectional=True, batch_first=True)
        self.linear = nn.ModuleList([nn.Linear(256, 128), nn.Linear(128, 128)])
        self.classifier = nn.Linear(128, len(POWERSET))

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        return self.features(waveforms)["powerset"]

    def features(self, waveforms: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every stage's output, each ``[batch, frames, dim]``: ``sincnet`` (60), ``lstm`` (256),
        ``linear`` (128, after the second linear layer's leaky ReLU), ``powerset`` (7 log-probabilities)."""
        sincnet = self.sincnet(waveforms).transpose(1, 2)
        lstm, _ = self.lstm(sincnet)
        linear = lstm
        for layer in self.linear:
            linear = F.leaky_relu(layer(linear))
        return {"sincnet": sincnet, "lstm": lstm, "linear": linear,
                "powerset": F.log_softmax(self.classifier(linear), dim=-1)}

    @staticmethod
    def num_frames(samples: int) -> int:
        return num_frames(samples)


def speaker_activities(log_probs: torch.Tensor, soft: bool = True) -> torch.Tensor:
    """Powerset log-probabilities ``[..., 7]`` -> the 3 local speakers' activities ``[..., 3]``.

    soft: each speaker's marginal probability of speaking (the posterior mass of the classes
    that hold it); hard: the speakers of the most probable class, 0/1. These are pyannote's
    ``Powerset.to_multilabel(soft=True)`` and ``(soft=False)``.
    """
    mapping = POWERSET.to(log_probs)
    if soft:
        return log_probs.exp() @ mapping
    return mapping[log_probs.argmax(dim=-1)]
