"""Encoder registry: a name maps to a factory taking the common build options.

Adding an encoder is one module: subclass :class:`~codecprobe.encoders.base.Encoder`
and decorate its factory with ``@register("name")``, then add ``name: module`` to
``_BUILTIN_MODULES`` (or import the module before calling :func:`build_encoder`). Only
the module of the encoder asked for is imported. See ``docs/encoders.md`` for a worked
WavLM example.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from codecprobe.encoders.base import Encoder
from codecprobe.errors import InputError

_BUILTIN_MODULES = {
    "mimi": "codecprobe.encoders.mimi",
    "ge2e": "codecprobe.encoders.ge2e",
    "mfcc": "codecprobe.encoders.features",
    "logmel": "codecprobe.encoders.features",
}
_FACTORIES: dict[str, Callable[["BuildOptions"], Encoder]] = {}


@dataclass(frozen=True)
class BuildOptions:
    """Options every encoder accepts.

    weights: a hub id or local path (encoder-specific meaning); None = the encoder's default.
    random_init: build the architecture with seeded random weights instead (never implicit).
    """

    weights: str | None = None
    random_init: bool = False
    seed: int = 0
    device: str = "cpu"


def register(name: str):
    def decorator(factory: Callable[[BuildOptions], Encoder]):
        if name in _FACTORIES:
            raise ValueError(f"encoder {name!r} registered twice")
        _FACTORIES[name] = factory
        return factory

    return decorator


def available_encoders() -> list[str]:
    return sorted(set(_FACTORIES) | set(_BUILTIN_MODULES))


def build_encoder(name: str, options: BuildOptions | None = None) -> Encoder:
    if name not in _FACTORIES and name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    if name not in _FACTORIES:
        raise InputError(f"unknown encoder {name!r}; available: {', '.join(available_encoders())}")
    return _FACTORIES[name](options or BuildOptions())
