"""EnCodec and DAC (transformers' ``EncodecModel``, ``DacModel``): encoder stages, latent and quantized taps.

Both are a strided convolution stack (EnCodec: SEANet with a 2-layer LSTM; DAC: Snake-activated
residual blocks) that turns audio into one latent frame per ``hop`` samples, then a residual
vector quantizer. The taps, in network order:

- ``block1`` .. ``blockK``: the output of each downsampling block (after its strided
  convolution), at ``sample_rate / (product of the strides so far)`` Hz;
- ``lstm`` (EnCodec only): the LSTM's output (with its residual), at the latent rate;
- ``prequant`` (default): the encoder's output, the latent before quantization;
- ``quant1`` .. ``quantN``: the quantizer's decoding of the first n codes, the latent the codec
  reconstructs from n codebooks, at ``bitrate_kbps(tap) = n * log2(codebook_size) * frame_rate
  / 1000`` kbps.

Stage outputs are read with forward hooks on transformers' own modules, so a tap is what the
module returned within the model's forward pass.

Frames: a signal is zero-padded on the right to whole ``hop``-sample frames, so ``n`` samples
give ``ceil(n / hop)`` latent frames and ``ceil(n / hop) * hop / stride`` frames at a block of
total stride ``stride``. The EnCodec 24 kHz model is causal (left padding, unidirectional LSTM;
with whole frames no convolution pads on the right), except that its left padding reflects the
next few samples (the first frames see up to 6 frames = 80 ms ahead); so right padding never
changes the frames of a signal of at least 7 frames, and such signals share a batch. DAC's convolutions are centred with zero
padding, so the padding would reach a signal's last frames: only signals of equal padded length
share a batch (:mod:`codecprobe.encoders.windowed`).

Weights: a Hugging Face id (``facebook/encodec_24khz``; ``descript/dac_16khz``, ``dac_24khz``,
``dac_44khz``) or a local transformers folder (:mod:`codecprobe.encoders.hf_weights`), or
seeded random weights (``random-init:seed=<n>``, ``trained=False``) with codebooks that the
quantized taps can use (transformers initialises EnCodec's to zeros; :func:`random_encodec`).
"""
from __future__ import annotations

import abc
import contextlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Literal

from codecprobe.encoders.base import EncoderIdentity
from codecprobe.encoders.hf_weights import load_pretrained, resolve_weights, seeded
from codecprobe.encoders.registry import BuildOptions, register
from codecprobe.encoders.windowed import WindowedEncoder, WindowSettings
from codecprobe.errors import InputError

if TYPE_CHECKING:  # torch and transformers load when a model is built, not when --help lists the settings
    import torch
    from torch import nn
    from transformers import DacConfig, DacModel, EncodecConfig, EncodecModel

SWEEP_MAX_RATE = 100.0  # Hz: faster block taps (kHz rates, ~10^5 values per second) are left out of sweeps


class CodecEncoder(WindowedEncoder):
    """A convolutional codec's encoder and residual quantizer; subclasses name the modules."""

    def __init__(self, model, weights_id: str, trained: bool, settings: WindowSettings):
        self.model = model.eval()
        self.window = settings
        self._weights_id, self._trained = weights_id, trained
        self.sample_rate = int(model.config.sampling_rate)
        strides = self.strides()
        self.hop = math.prod(strides)
        self.pad_safe_frames = self.causal_from()
        blocks = {f"block{k}": self.hop // math.prod(strides[:k]) for k in range(1, len(strides) + 1)}
        self.frames_per_hop = {**blocks, **{tap: 1 for tap in self.extra_taps()}, "prequant": 1,
                               **{f"quant{n}": 1 for n in range(1, self.num_quantizers() + 1)}}

    # -- what a subclass says about its model ---------------------------------------
    @abc.abstractmethod
    def strides(self) -> list[int]:
        """The encoder's downsampling strides, input side first."""

    @abc.abstractmethod
    def tap_modules(self) -> dict[str, nn.Module]:
        """The module whose output each block (and extra) tap is."""

    @abc.abstractmethod
    def num_quantizers(self) -> int:
        ...

    @abc.abstractmethod
    def quantized(self, latent: torch.Tensor, counts: list[int]) -> dict[int, torch.Tensor]:
        """``{n: the quantizer's decoding of the first n codes of latent}``, each ``[batch, dim, frames]``."""

    def extra_taps(self) -> tuple[str, ...]:
        return ()

    def causal_from(self) -> int | None:
        """The frames from which a signal's frames never depend on audio after its end (None: never)."""
        return None

    # -- the Encoder interface -------------------------------------------------------
    @property
    def default_taps(self) -> tuple[str, ...]:
        return ("prequant",)

    @property
    def sweep_taps(self) -> tuple[str, ...]:
        """Every tap at up to 100 Hz, with the quantizer's n-codebook taps for n = 1, 2, 4, 8, ... and all."""
        count = self.num_quantizers()
        kept = {f"quant{n}" for n in (*(2**k for k in range(count.bit_length())), count)}
        return tuple(tap for tap in self.taps if self.frame_rate(tap) <= SWEEP_MAX_RATE
                     and (not tap.startswith("quant") or tap in kept))

    def bitrate_kbps(self, tap: str) -> float | None:
        """The codec's bitrate at a ``quantN`` tap (n codebooks of ``codebook_size`` entries per
        latent frame); None for a tap before quantization."""
        (tap,) = self.check_taps([tap])
        if not tap.startswith("quant"):
            return None
        return int(tap[len("quant") :]) * math.log2(self.model.config.codebook_size) * self.frame_rate(tap) / 1000

    def identity(self) -> EncoderIdentity:
        settings = {"sample_rate": self.sample_rate, "dtype": "float32", "pad_to_multiple_of": self.hop,
                    "chunk_seconds": self.window.chunk_seconds, "context_seconds": self.window.context_seconds,
                    **self.extra_identity()}
        if not self._trained:  # seeded random weights are drawn by this torch version's generator
            import torch

            settings["torch"] = str(torch.__version__)
        return EncoderIdentity(self.name, self._weights_id, self._trained, settings)

    def extra_identity(self) -> dict:
        return {}

    def frame_count(self, samples: int) -> int:
        return math.ceil(samples / self.hop)

    def window_samples(self, frames: int) -> int:
        return frames * self.hop

    def forward(self, batch: torch.Tensor, lengths: list[int], taps: list[str]) -> dict[str, torch.Tensor]:
        import torch

        device = next(self.model.parameters()).device
        modules = {tap: module for tap, module in self.tap_modules().items() if tap in taps}
        counts = [int(tap[len("quant") :]) for tap in taps if tap.startswith("quant")]
        with torch.no_grad():
            with _outputs_of(modules) as captured:
                latent = self.model.encoder(batch[:, None, :].to(device))  # [batch, dim, frames]
            quantized = self.quantized(latent, counts) if counts else {}
        values = {**captured, "prequant": latent, **{f"quant{n}": value for n, value in quantized.items()}}
        return {tap: values[tap].transpose(1, 2).float().cpu() for tap in taps}


@contextlib.contextmanager
def _outputs_of(modules: dict[str, nn.Module]) -> Iterator[dict[str, torch.Tensor]]:
    """Inside, each module's output of the forward pass is kept under its tap name."""
    captured: dict[str, torch.Tensor] = {}
    handles = [module.register_forward_hook(lambda _m, _i, output, tap=tap: captured.__setitem__(tap, output))
               for tap, module in modules.items()]
    try:
        yield captured
    finally:
        for handle in handles:
            handle.remove()


# -- EnCodec -----------------------------------------------------------------------------

ENCODEC_WEIGHTS = "facebook/encodec_24khz"


class EncodecEncoder(CodecEncoder):
    """EnCodec's SEANet encoder and quantizer (mono, unnormalised models: the 24 kHz one)."""

    name = "encodec"

    def __init__(self, model: EncodecModel, weights_id: str, trained: bool, settings: WindowSettings = WindowSettings()):
        config = model.config
        if config.audio_channels != 1 or config.normalize or config.chunk_length_s is not None:
            raise InputError("encodec: only mono models without input normalisation or chunking (the 24 kHz one) "
                             f"are supported; these weights have audio_channels={config.audio_channels}, "
                             f"normalize={config.normalize}, chunk_length_s={config.chunk_length_s}")
        super().__init__(model, weights_id, trained, settings)

    def strides(self) -> list[int]:
        return list(reversed(self.model.config.upsampling_ratios))

    def _strided(self) -> list[nn.Module]:
        return [layer for layer in self.model.encoder.layers if getattr(layer, "conv", None) is not None
                and layer.conv.stride[0] > 1]

    def tap_modules(self) -> dict[str, nn.Module]:
        from transformers.models.encodec.modeling_encodec import EncodecLSTM

        lstm = next(layer for layer in self.model.encoder.layers if isinstance(layer, EncodecLSTM))
        return {**{f"block{k}": layer for k, layer in enumerate(self._strided(), 1)}, "lstm": lstm}

    def extra_taps(self) -> tuple[str, ...]:
        return ("lstm",)

    def causal_from(self) -> int | None:
        """Causal convolutions pad on the left by reflecting the next samples; at the latent rate the
        last convolution reflects ``last_kernel_size - 1`` frames, which must be the signal's own."""
        config = self.model.config
        return config.last_kernel_size if config.use_causal_conv else None

    def num_quantizers(self) -> int:
        return int(self.model.config.num_quantizers)

    def quantized(self, latent: torch.Tensor, counts: list[int]) -> dict[int, torch.Tensor]:
        quantizer = self.model.quantizer
        # transformers picks floor(bandwidth / per-codebook bandwidth) codebooks: ask for max(counts) + 0.5
        bandwidth = (max(counts) + 0.5) * math.log2(quantizer.codebook_size) * quantizer.frame_rate / 1000
        codes = quantizer.encode(latent, bandwidth=bandwidth)  # [codebooks, batch, frames]
        return {n: quantizer.decode(codes[:n]) for n in counts}


def random_encodec(seed: int, config: EncodecConfig | None = None) -> EncodecModel:
    """EnCodec (default: the 24 kHz architecture) with seeded random weights and codebooks.

    transformers initialises every codebook to zeros, and N(0, 1) entries lie far from a random
    encoder's small latents (every frame would pick the same code). EnCodec's training starts its
    codebooks from its first batch (k-means); here, more cheaply, each codebook's entries are drawn
    from a Gaussian with the per-dimension mean and std of the residual at that quantizer's level,
    measured on 200 frames of seeded white noise (std 0.1, about speech's).
    """
    import torch
    from transformers import EncodecConfig, EncodecModel

    with seeded(seed):
        model = EncodecModel(config or EncodecConfig()).eval()
        noise = 0.1 * torch.randn(1, 1, 200 * model.config.hop_length)
        with torch.no_grad():
            residual = model.encoder(noise)[0].T  # [frames, dim]
            for layer in model.quantizer.layers:
                embed = layer.codebook.embed
                embed.copy_(residual.mean(0) + residual.std(0) * torch.randn_like(embed))
                residual = residual - layer.codebook.decode(layer.codebook.encode(residual))
    return model


@register("encodec", settings=WindowSettings)
def build_encodec(options: BuildOptions, settings: WindowSettings = WindowSettings()) -> EncodecEncoder:
    """EnCodec from ``options.weights`` (default ``facebook/encodec_24khz``) or seeded random weights."""
    if options.random_init:
        _refuse_both("encodec", options)
        model, weights_id = random_encodec(options.seed), f"random-init:seed={options.seed}"
    else:
        from transformers import EncodecModel

        folder, weights_id = resolve_weights(options.weights or ENCODEC_WEIGHTS, "EnCodec")
        model = load_pretrained(EncodecModel, folder, "EnCodec")
    return EncodecEncoder(model.to(options.device), weights_id, trained=not options.random_init, settings=settings)


# -- DAC ---------------------------------------------------------------------------------

DacVariant = Literal["16khz", "24khz", "44khz"]
# the published architectures (descript/dac_*): sample rate, strides, codebooks
DAC_VARIANTS: dict[str, dict] = {
    "16khz": {"sampling_rate": 16000, "downsampling_ratios": [2, 4, 5, 8], "n_codebooks": 12},
    "24khz": {"sampling_rate": 24000, "downsampling_ratios": [2, 4, 5, 8], "n_codebooks": 32},
    "44khz": {"sampling_rate": 44100, "downsampling_ratios": [2, 4, 8, 8], "n_codebooks": 9},
}


@dataclass(frozen=True)
class DacSettings(WindowSettings):
    """variant: which published DAC (``descript/dac_<variant>``) the default weights and the
    random-init architecture are; weights given must have its sample rate."""

    variant: DacVariant = "16khz"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.variant not in DAC_VARIANTS:
            raise InputError(f"variant must be one of {', '.join(DAC_VARIANTS)}, got {self.variant!r}")


class DacEncoder(CodecEncoder):
    """DAC's encoder and quantizer."""

    name = "dac"

    def __init__(self, model: DacModel, weights_id: str, trained: bool, settings: DacSettings = DacSettings()):
        super().__init__(model, weights_id, trained, settings)

    def strides(self) -> list[int]:
        return list(self.model.config.downsampling_ratios)

    def tap_modules(self) -> dict[str, nn.Module]:
        return {f"block{k}": block for k, block in enumerate(self.model.encoder.block, 1)}

    def num_quantizers(self) -> int:
        return int(self.model.config.n_codebooks)

    def quantized(self, latent: torch.Tensor, counts: list[int]) -> dict[int, torch.Tensor]:
        quantizer = self.model.quantizer
        codes = quantizer(latent, n_quantizers=max(counts))[1]  # [batch, codebooks, frames]
        return {n: quantizer.from_codes(codes[:, :n])[0] for n in counts}

    def extra_identity(self) -> dict:
        return {"variant": self.window.variant}


def random_dac(seed: int, config: DacConfig | None = None) -> DacModel:
    """DAC with seeded random weights (transformers draws its codebooks from N(0, 0.02^2); DAC
    compares directions only, so their scale does not matter)."""
    from transformers import DacConfig, DacModel

    with seeded(seed):
        model = DacModel(config or DacConfig(**DAC_VARIANTS["16khz"]))
    return model.eval()


@register("dac", settings=DacSettings)
def build_dac(options: BuildOptions, settings: DacSettings = DacSettings()) -> DacEncoder:
    """DAC from ``options.weights`` (default ``descript/dac_<variant>``) or seeded random weights."""
    from transformers import DacConfig, DacModel

    expected = DAC_VARIANTS[settings.variant]["sampling_rate"]
    if options.random_init:
        _refuse_both("dac", options)
        model = random_dac(options.seed, DacConfig(**DAC_VARIANTS[settings.variant]))
        weights_id = f"random-init:seed={options.seed}"
    else:
        folder, weights_id = resolve_weights(options.weights or f"descript/dac_{settings.variant}", "DAC")
        model = load_pretrained(DacModel, folder, "DAC")
        if model.config.sampling_rate != expected:
            raise InputError(f"{folder}: a {model.config.sampling_rate} Hz DAC, but variant={settings.variant} "
                             "(--encoder-opt variant=...) says " f"{expected} Hz")
    return DacEncoder(model.to(options.device), weights_id, trained=not options.random_init, settings=settings)


def _refuse_both(name: str, options: BuildOptions) -> None:
    if options.weights is not None:
        raise InputError(f"{name}: random_init and weights {options.weights!r} both given; choose one")
