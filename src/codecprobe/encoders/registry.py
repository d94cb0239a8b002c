"""Encoder registry: a name maps to a factory taking the common build options.

Adding an encoder is one module: subclass :class:`~codecprobe.encoders.base.Encoder`
and decorate its factory with ``@register("name", settings=YourConfig)``, then add
``name: module`` to ``_BUILTIN_MODULES`` (or import the module before calling
:func:`build_encoder`). Only the module of the encoder asked for is imported. See
``docs/encoders.md`` for a worked WavLM example.

Light module top (the one rule every encoder module follows): its top-level imports are the
standard library, numpy and codecprobe only; torch, transformers, librosa and the model's own
library are imported inside the functions that use them (annotations under ``if TYPE_CHECKING:``),
and its settings dataclass needs none of them. Every ``--help`` lists every encoder's settings
(:func:`describe_settings`) by importing every module named here, in well under a second;
``tests/encoders/test_light_imports.py`` checks each module in a fresh interpreter.

Encoder settings (GE2E's partials rate, Mimi's chunk length, MFCC parameters...) live in
one frozen dataclass per encoder, named at registration. Users reach them as
``--encoder-opt key=value`` or the ``settings`` of a config's encoder spec; :func:`build_encoder`
checks the keys and types against the dataclass (its ``__post_init__`` checks the values)
before any model is loaded, and the factory receives the built settings. Every setting
belongs in the encoder's :meth:`~codecprobe.encoders.base.Encoder.identity`, so it keys the
latent store's cache and is recorded in every report.

Utterance-level use: studies that pool one vector per segment (verify, diagnose) should see
an encoder as its authors use it for whole utterances, while frame-level uses (extraction
for diarization, structure) must keep time alignment. An encoder states the difference once,
at registration, as an :class:`UtteranceUse`: the settings of its canonical utterance-level
preprocessing and its primary taps (GE2E: Resemblyzer's silence trimming, the ``utterance``
tap). Studies apply it by default (:func:`utterance_settings`) and say so in their reports.
An encoder that declares none is used as it is.
"""
from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from codecprobe.encoders.base import Encoder
from codecprobe.errors import InputError

_BUILTIN_MODULES = {
    "mimi": "codecprobe.encoders.mimi",
    "ge2e": "codecprobe.encoders.ge2e",
    "mfcc": "codecprobe.encoders.features",
    "logmel": "codecprobe.encoders.features",
    "lyra": "codecprobe.encoders.lyra",
    "encodec": "codecprobe.encoders.hf_codecs",
    "dac": "codecprobe.encoders.hf_codecs",
    "wavlm": "codecprobe.encoders.ssl_models",
    "hubert": "codecprobe.encoders.ssl_models",
    "wav2vec2": "codecprobe.encoders.ssl_models",
    "campplus": "codecprobe.encoders.campplus",
    "segmentation": "codecprobe.encoders.segmentation",
}
_FACTORIES: dict[str, Callable[..., Encoder]] = {}
_SETTINGS: dict[str, type | None] = {}
_UTTERANCE_USE: dict[str, "UtteranceUse"] = {}


@dataclass(frozen=True)
class UtteranceUse:
    """How an encoder is meant to be used for one vector per segment.

    settings: the encoder settings of its canonical utterance-level preprocessing (checked
        against its settings dataclass like any ``--encoder-opt``; the user's own win).
    taps: its primary taps for utterance-level studies (empty: its default taps).
    note: what those settings do and whose documented use they follow, for reports.
    """

    settings: Mapping[str, Any] = field(default_factory=dict)
    taps: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class BuildOptions:
    """Options every encoder accepts.

    weights: a hub id or local path (encoder-specific meaning); None = the encoder's default.
    random_init: build the architecture with seeded random weights instead (never implicit);
        where weights cannot be re-initialised (lyra), the weights given, randomly permuted.
    settings: the encoder's settings by name (``--encoder-opt key=value``); unnamed ones keep
        the defaults of the encoder's settings dataclass.
    """

    weights: str | None = None
    random_init: bool = False
    seed: int = 0
    device: str = "cpu"
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EncoderRecipe:
    """How an encoder was built, so that another process (a Ray worker) can build the same one.

    ``module`` is the module that registers the encoder; a fresh process imports it first,
    so encoders registered outside this package rebuild too.
    """

    name: str
    module: str
    options: BuildOptions

    def build(self, device: str | None = None) -> Encoder:
        """The encoder again, on ``device`` when given (else the original device)."""
        importlib.import_module(self.module)
        return build_encoder(self.name, self.options if device is None else dataclasses.replace(self.options, device=device))


def register(name: str, settings: type | None = None, utterance: UtteranceUse | None = None):
    """Register ``factory(options)``, or ``factory(options, settings)`` when the encoder has a
    settings dataclass; ``utterance`` says how utterance-level studies use it (default: as it is)."""
    def decorator(factory: Callable[..., Encoder]):
        if name in _FACTORIES:
            raise ValueError(f"encoder {name!r} registered twice")
        _FACTORIES[name] = factory
        _SETTINGS[name] = settings
        _UTTERANCE_USE[name] = utterance or UtteranceUse()
        return factory

    return decorator


def utterance_use(name: str) -> UtteranceUse:
    """How utterance-level studies use the encoder (its canonical preprocessing and primary taps)."""
    _load(name)
    return _UTTERANCE_USE[name]


def utterance_settings(name: str, given: Mapping[str, Any], canonical: bool = True) -> dict[str, Any]:
    """The settings of an utterance-level study: the encoder's canonical ones, then those ``given``.

    >>> utterance_settings("ge2e", {"partials_rate": 2.0})
    {'trim_silences': True, 'partials_rate': 2.0}
    >>> utterance_settings("ge2e", {"trim_silences": False})
    {'trim_silences': False}
    """
    return {**(utterance_use(name).settings if canonical else {}), **given}


def available_encoders() -> list[str]:
    return sorted(set(_FACTORIES) | set(_BUILTIN_MODULES))


def settings_class(name: str) -> type | None:
    """The settings dataclass of a registered encoder (None: it has no settings)."""
    _load(name)
    return _SETTINGS[name]


def build_settings(name: str, values: Mapping[str, Any]):
    """The encoder's settings dataclass built from ``values``; unknown keys or bad values raise InputError."""
    from codecprobe.config import ConfigError, build_dataclass

    cls = settings_class(name)
    if cls is None:
        if values:
            raise InputError(f"encoder {name!r} has no settings, but got {sorted(values)}")
        return None
    try:
        return build_dataclass(cls, dict(values), where=f"encoder {name} settings")
    except ConfigError:
        raise
    except InputError as error:  # a value its __post_init__ refused
        raise ConfigError(f"encoder {name} settings: {error}") from None


def describe_settings(name: str) -> str:
    """``key=default`` for every setting of an encoder, for help texts and errors."""
    cls = settings_class(name)
    if cls is None:
        return f"{name}: no settings"
    return f"{name}: " + ", ".join(f"{f.name}={getattr(cls(), f.name)!r}" for f in dataclasses.fields(cls))


def build_encoder(name: str, options: BuildOptions | None = None) -> Encoder:
    options = options or BuildOptions()
    _load(name)
    settings = build_settings(name, options.settings)  # checked before any weights are loaded
    factory = _FACTORIES[name]
    encoder = factory(options) if _SETTINGS[name] is None else factory(options, settings)
    encoder.recipe = EncoderRecipe(name, factory.__module__, options)
    return encoder


def _load(name: str) -> None:
    if name not in _FACTORIES and name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    if name not in _FACTORIES:
        raise InputError(f"unknown encoder {name!r}; available: {', '.join(available_encoders())}")
