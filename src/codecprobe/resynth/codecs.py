"""The decode step a codec implements to join the resynthesis track, and the bitrate axis.

A codec joins by giving its encoder (:mod:`codecprobe.encoders`) three members:

- ``resynthesise(audio, n_codebooks) -> audio``: mono float32 at ``sample_rate`` through the
  codec's encoder, the first ``n_codebooks`` codebooks of its quantizer and its decoder, as
  long as the input;
- ``max_codebooks``: how many codebooks the quantizer has;
- ``kbps_per_codebook``: the bitrate one codebook adds (frame rate x bits per code / 1000).

Nothing else changes: ``codecprobe resynth --codec NAME`` builds the encoder through the
registry (so its weights, its untrained control and its identity are the encoder's own) and
checks it against :class:`Resynthesiser`. Lyra implements it (``encoders/lyra.py``).

A codec whose encoder adapter leaves its decoder out (Mimi's keeps the encoder half only)
registers a factory of its own instead, ``@register_resynthesiser(name)`` in a module named in
:data:`_BUILTIN_MODULES` (``resynth/mimi.py``); it wins over the encoder of the same name.
"""
from __future__ import annotations

import importlib
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from codecprobe.errors import InputError


@runtime_checkable
class Resynthesiser(Protocol):
    sample_rate: int
    max_codebooks: int
    kbps_per_codebook: float

    def identity(self): ...

    def resynthesise(self, audio: np.ndarray, n_codebooks: int) -> np.ndarray: ...


_BUILTIN_MODULES = {"mimi": "codecprobe.resynth.mimi"}
_FACTORIES: dict[str, Callable[[str | None, bool, int], Resynthesiser]] = {}


def register_resynthesiser(name: str):
    """Register ``factory(weights, random_init, seed) -> Resynthesiser`` for the codec ``name``."""
    def decorator(factory):
        _FACTORIES[name] = factory
        return factory

    return decorator


def build_resynthesiser(name: str, weights: str | None = None, random_init: bool = False,
                        seed: int = 0) -> Resynthesiser:
    """The codec ``name``: its registered resynthesiser, else the encoder of that name; InputError if
    it has no decoder step."""
    from codecprobe.encoders import BuildOptions, build_encoder

    if name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    if name in _FACTORIES:
        return _FACTORIES[name](weights, random_init, seed)
    encoder = build_encoder(name, BuildOptions(weights=weights, random_init=random_init, seed=seed))
    if not isinstance(encoder, Resynthesiser):
        raise InputError(f"--codec {name}: this encoder has no decoder step (resynthesise, max_codebooks, "
                         "kbps_per_codebook; see codecprobe.resynth.codecs)")
    return encoder


def codebooks_for(kbps: float, kbps_per_codebook: float, max_codebooks: int, codec: str = "codec") -> int:
    """The number of codebooks that gives ``kbps``; InputError unless it is a whole number in range.

    >>> codebooks_for(3.2, 0.2, 46), codebooks_for(9.2, 0.2, 46)
    (16, 46)
    """
    n = round(kbps / kbps_per_codebook)
    if not 1 <= n <= max_codebooks or abs(n * kbps_per_codebook - kbps) > 1e-6 * max(kbps, 1.0):
        raise InputError(f"--bitrates {kbps:g}: {codec} codes {kbps_per_codebook:g} kbps per codebook, "
                         f"1..{max_codebooks} codebooks ({kbps_per_codebook:g}..{max_codebooks * kbps_per_codebook:g} "
                         f"kbps in steps of {kbps_per_codebook:g})")
    return n
