"""Mimi's whole codec (SEANet encoder, split RVQ, decoder) through transformers, for resynthesis.

The encoder adapter (:mod:`codecprobe.encoders.mimi`) keeps only the encoder half; resynthesis
needs the decoder too, so this adapter builds the full ``MimiModel``. Audio is 24 kHz; codes
are 11 bits (2048 entries) at 12.5 Hz, so each codebook adds 0.1375 kbps (8 codebooks:
1.1 kbps, 32: 4.4 kbps); the first codebook is the semantic one and is always kept.

Weights: ``random_init`` (Mimi with seeded random weights and N(0, 1) codebooks, as the encoder
adapter's control: an UNTRAINED control, ``random-init:seed=<n>``), or a local
transformers-format folder holding the whole model (``dir:<sha256 prefix>``).
"""
from __future__ import annotations

import hashlib
import math
from importlib.metadata import version
from pathlib import Path

import numpy as np

from codecprobe.encoders.base import EncoderIdentity, mono_signal
from codecprobe.errors import InputError
from codecprobe.resynth.codecs import register_resynthesiser


class MimiResynthesiser:
    def __init__(self, model, weights_id: str, trained: bool):
        if model.decoder is None:
            raise InputError("mimi: these weights have no decoder half; resynthesis needs the whole model")
        self.model = model.eval()
        config = model.config
        self.sample_rate = int(config.sampling_rate)
        self.max_codebooks = int(config.num_quantizers)
        self.kbps_per_codebook = config.frame_rate * math.log2(config.codebook_size) / 1000
        self._identity = EncoderIdentity("mimi", weights_id, trained, {
            "sample_rate": self.sample_rate, "whole_model": True, "transformers": version("transformers")})

    def identity(self) -> EncoderIdentity:
        return self._identity

    def resynthesise(self, audio: np.ndarray, n_codebooks: int) -> np.ndarray:
        """``audio`` (24 kHz) through the codec with its first ``n_codebooks`` codebooks, as long as ``audio``."""
        import torch

        if not 1 <= n_codebooks <= self.max_codebooks:
            raise InputError(f"mimi has codebooks 1..{self.max_codebooks}, not {n_codebooks}")
        signal = mono_signal(audio, 0)
        with torch.inference_mode():
            codes = self.model.encode(torch.from_numpy(signal)[None, None], num_quantizers=n_codebooks).audio_codes
            out = self.model.decode(codes).audio_values[0, 0].float().numpy()
        return np.pad(out, (0, max(0, len(signal) - len(out))))[: len(signal)]


@register_resynthesiser("mimi")
def build_mimi_resynthesiser(weights: str | None, random_init: bool, seed: int) -> MimiResynthesiser:
    from transformers import MimiConfig, MimiModel

    from codecprobe.encoders.mimi import random_mimi

    if random_init:
        if weights is not None:
            raise InputError(f"mimi: --random-init and --weights {weights} both given; choose one")
        return MimiResynthesiser(random_mimi(seed, MimiConfig()), f"random-init:seed={seed}", trained=False)
    folder = Path(weights).expanduser() if weights else None
    if folder is None or not (folder / "config.json").is_file():
        raise InputError("mimi resynthesis needs a local transformers-format folder of the whole model (--weights "
                         "DIR), or --random-init for the UNTRAINED control")
    files = [folder / "config.json", *sorted(folder.glob("model*.safetensors"))]
    listing = "".join(f"{f.name} {hashlib.sha256(f.read_bytes()).hexdigest()}\n" for f in files)
    model = MimiModel.from_pretrained(folder)
    return MimiResynthesiser(model, "dir:" + hashlib.sha256(listing.encode()).hexdigest()[:16], trained=True)
