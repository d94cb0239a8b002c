"""One encoder as every config names it: the encoder, its taps, its weights and its settings.

A config file spells it as a mapping, the same in every study::

    {encoder: mimi, taps: [prequant], weights: kyutai/mimi, random_init: false, seed: 0,
     settings: {chunk_seconds: 10}}

(a single tap may be written ``taps: prequant``). Torch-free: reading a spec checks only the
types (:func:`codecprobe.config.build_dataclass`); :meth:`EncoderSpec.build` loads the encoder
(through :func:`build_encoder`, which checks the settings against the encoder's settings
dataclass before any weights load). The
latent store keys latents by the built encoder's identity (weights and settings as the
encoder reports them), never by this spec, so how a config spells an encoder does not change
which stored latents it finds.

:class:`InputTap` is the spec of one input of a trained model (the diarization adapter, the
boundary refiners): one tap, and where its frames sit in time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codecprobe.encoders.base import Encoder
    from codecprobe.encoders.registry import BuildOptions


@dataclass(frozen=True)
class EncoderSpec:
    """One encoder as a config names it (see the module docstring); :meth:`build` makes it."""

    encoder: str = "mimi"
    taps: list[str] = field(default_factory=list)  # empty: the encoder's default taps
    weights: str | None = None  # a hub id or local path; None: the encoder's published weights
    random_init: bool = False  # seeded random weights: an untrained control, labelled as such everywhere
    seed: int = 0  # seed of random_init
    settings: dict = field(default_factory=dict)  # the encoder's settings (--encoder-opt key=value)

    def build_options(self, device: str = "cpu") -> BuildOptions:
        from codecprobe.encoders.registry import BuildOptions

        return BuildOptions(self.weights, self.random_init, self.seed, device, dict(self.settings))

    def build(self, device: str = "cpu") -> Encoder:
        from codecprobe.encoders.registry import build_encoder

        return build_encoder(self.encoder, self.build_options(device))


@dataclass(frozen=True)
class InputTap(EncoderSpec):
    """One encoder tap a model reads (several inputs are fused by concatenation on the grid).

    ``taps`` names at most one tap (empty: the encoder's default tap, mimi: prequant).
    """

    offset_s: float | None = None  # where the tap's frames sit in time; None: the encoder's own frame_offset

    def __post_init__(self) -> None:
        if len(self.taps) > 1:
            from codecprobe.config import ConfigError

            raise ConfigError(f"an input reads one tap, not {list(self.taps)}: list one input per tap")

    @property
    def tap(self) -> str | None:
        return self.taps[0] if self.taps else None

    @classmethod
    def from_record(cls, build: dict) -> InputTap:
        """The input a checkpoint's ``build`` record (:func:`codecprobe.train.inputs.input_record`) describes; records written
        before the encoder spec name ``tap`` and ``options`` instead of ``taps`` and ``settings``."""
        build = dict(build)
        if "tap" in build:
            tap = build.pop("tap")
            build["taps"] = [tap] if tap else []
        if "options" in build:
            build["settings"] = build.pop("options")
        return cls(**build)
