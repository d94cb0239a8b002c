"""Self-supervised speech models (transformers' ``WavLMModel``, ``HubertModel``, ``Wav2Vec2Model``): every layer a tap.

All three are a convolutional feature encoder (7 valid convolutions, total stride 320 samples,
receptive field 400 samples at 16 kHz) and a transformer. The taps, in network order:

- ``cnn``: the transformer's input, ``hidden_states[0]`` of transformers' output (the feature
  encoder's output projected to the model width, plus the positional convolution; layer-normed
  in the base models);
- ``layer1`` .. ``layerN``: each transformer layer's output, ``hidden_states[k]``.

Frames: 50 Hz; a signal of ``n >= 400`` samples gives ``floor((n - 400) / 320) + 1`` frames
(the feature encoder's own count), shorter signals are zero-padded to 400 samples (one frame).
Frame i is computed from samples ``[320 i, 320 i + 400)``, centred 2.5 ms after the middle of its
hop (:meth:`SSLEncoder.frame_offset`); the transformer lets every frame see the whole signal
(or window, below).

Batches: models whose feature encoder uses layer norm (``feat_extract_norm="layer"``: the large
ones) take an attention mask, so signals of any length share a batch, padded, with the mask
marking the padding. Base models (``feat_extract_norm="group"``: wavlm-base-plus,
hubert-base-ls960, wav2vec2-base) normalise the first convolution's output over time, so padding
changes every frame and transformers says not to give them an attention mask: they batch only
signals of equal length, in practice one at a time (:mod:`codecprobe.encoders.windowed`).
Signals longer than ``chunk_seconds`` are encoded in windows with ``context_seconds`` either side.

Input normalisation (zero mean, unit variance per signal, as ``Wav2Vec2FeatureExtractor`` does
when ``do_normalize``) follows the weights' ``preprocessor_config.json`` unless the
``normalize`` setting says otherwise.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from codecprobe.encoders.base import EncoderIdentity
from codecprobe.encoders.hf_weights import load_pretrained, resolve_weights, seeded
from codecprobe.encoders.registry import BuildOptions, register
from codecprobe.encoders.windowed import WindowedEncoder, WindowSettings
from codecprobe.errors import InputError

if TYPE_CHECKING:  # torch loads when a model is built, not when --help lists the settings
    import torch

SAMPLE_RATE = 16_000
# name: (transformers model class, config class of its base architecture, default weights)
MODELS = {
    "wavlm": ("WavLMModel", "WavLMConfig", "microsoft/wavlm-base-plus"),
    "hubert": ("HubertModel", "HubertConfig", "facebook/hubert-base-ls960"),
    "wav2vec2": ("Wav2Vec2Model", "Wav2Vec2Config", "facebook/wav2vec2-base"),
}


def model_classes(name: str) -> tuple[type, type]:
    """The transformers model and config classes of ``name`` (transformers is imported here, not at module top)."""
    import transformers

    model_class, config_class, _ = MODELS[name]
    return getattr(transformers, model_class), getattr(transformers, config_class)


@dataclass(frozen=True)
class SSLSettings(WindowSettings):
    """normalize: zero-mean unit-variance input per signal; None: as the weights'
    ``preprocessor_config.json`` says (``do_normalize``; ``Wav2Vec2FeatureExtractor``'s default,
    True, where there is none, as for random init)."""

    normalize: bool | None = None


class SSLEncoder(WindowedEncoder):
    """A wav2vec 2.0-style model's feature encoder and transformer layers; build it with :func:`build_ssl`."""

    sample_rate = SAMPLE_RATE

    def __init__(self, name: str, model, weights_id: str, trained: bool, settings: SSLSettings, normalize: bool):
        self.name = name
        self.model = model.eval()
        self.window = settings
        self.normalize = normalize
        self._weights_id, self._trained = weights_id, trained
        config = model.config
        self._convs = list(zip(config.conv_kernel, config.conv_stride))
        self.hop = math.prod(config.conv_stride)
        self.receptive_field = 1
        for kernel, stride in reversed(self._convs):
            self.receptive_field = (self.receptive_field - 1) * stride + kernel
        self.attention_mask = config.feat_extract_norm == "layer"
        self.pad_safe_frames = 1 if self.attention_mask else None
        self.frames_per_hop = {"cnn": 1, **{f"layer{k}": 1 for k in range(1, config.num_hidden_layers + 1)}}

    @property
    def default_taps(self) -> tuple[str, ...]:
        return (self.taps[-1],)

    def identity(self) -> EncoderIdentity:
        settings = {"sample_rate": self.sample_rate, "dtype": "float32", "normalize": self.normalize,
                    "attention_mask": self.attention_mask, "chunk_seconds": self.window.chunk_seconds,
                    "context_seconds": self.window.context_seconds}
        if not self._trained:  # seeded random weights are drawn by this torch version's generator
            import torch

            settings["torch"] = str(torch.__version__)
        return EncoderIdentity(self.name, self._weights_id, self._trained, settings)

    def frame_offset(self, tap: str) -> float:
        """Frame i's 400-sample receptive field starts at its hop: its centre is 40 samples late."""
        return (self.receptive_field - self.hop) / 2 / self.sample_rate

    def frame_count(self, samples: int) -> int:
        frames = max(samples, self.receptive_field)
        for kernel, stride in self._convs:
            frames = (frames - kernel) // stride + 1
        return frames

    def window_samples(self, frames: int) -> int:
        return (frames - 1) * self.hop + self.receptive_field

    def prepare(self, signal: np.ndarray) -> np.ndarray:
        if self.normalize:  # Wav2Vec2FeatureExtractor's zero_mean_unit_var_norm
            signal = ((signal - signal.mean()) / np.sqrt(signal.var() + 1e-7)).astype(np.float32)
        if len(signal) < self.receptive_field:
            signal = np.pad(signal, (0, self.receptive_field - len(signal)))
        return signal

    def forward(self, batch: torch.Tensor, lengths: list[int], taps: list[str]) -> dict[str, torch.Tensor]:
        import torch

        device = next(self.model.parameters()).device
        mask = None
        if self.attention_mask:
            mask = (torch.arange(batch.shape[1])[None, :] < torch.tensor(lengths)[:, None]).long().to(device)
        with torch.no_grad():
            hidden = self.model(batch.to(device), attention_mask=mask, output_hidden_states=True).hidden_states
        index = {tap: position for position, tap in enumerate(self.taps)}
        return {tap: hidden[index[tap]].float().cpu() for tap in taps}


def build_ssl(name: str, options: BuildOptions, settings: SSLSettings) -> SSLEncoder:
    """The ``name`` model from ``options.weights`` (default: its base checkpoint) or seeded random weights."""
    model_class, config_class = model_classes(name)
    default = MODELS[name][2]
    preprocessor: dict = {}
    if options.random_init:
        if options.weights is not None:
            raise InputError(f"{name}: random_init and weights {options.weights!r} both given; choose one")
        with seeded(options.seed):
            model = model_class(config_class())
        weights_id = f"random-init:seed={options.seed}"
    else:
        folder, weights_id = resolve_weights(options.weights or default, name)
        # pre-training or CTC heads in the checkpoint are not part of the model: unexpected keys are fine
        model = load_pretrained(model_class, folder, name, allow_unexpected=True)
        preprocessor = _preprocessor(folder)
    normalize = settings.normalize if settings.normalize is not None else bool(preprocessor.get("do_normalize", True))
    return SSLEncoder(name, model.to(options.device), weights_id, not options.random_init, settings, normalize)


def _preprocessor(folder: Path) -> dict:
    path = folder / "preprocessor_config.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: not a readable feature-extractor config ({error})") from error


@register("wavlm", settings=SSLSettings)
def build_wavlm(options: BuildOptions, settings: SSLSettings = SSLSettings()) -> SSLEncoder:
    return build_ssl("wavlm", options, settings)


@register("hubert", settings=SSLSettings)
def build_hubert(options: BuildOptions, settings: SSLSettings = SSLSettings()) -> SSLEncoder:
    return build_ssl("hubert", options, settings)


@register("wav2vec2", settings=SSLSettings)
def build_wav2vec2(options: BuildOptions, settings: SSLSettings = SSLSettings()) -> SSLEncoder:
    return build_ssl("wav2vec2", options, settings)
