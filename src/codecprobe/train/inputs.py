"""The encoder taps a trained model reads: configured, built, recorded in its checkpoint, rebuilt from it.

An :class:`~codecprobe.encoders.spec.InputTap` names one tap of one encoder with everything
that builds the encoder (weights or seeded random weights, settings) and where its frames sit
in time. A model
records each input as :func:`input_record` (the tap's identity, offset, dims and the
build options) in its hyper-parameters; :func:`rebuild_input` builds the encoder again from
that record alone and refuses one that is not the very encoder the model was trained on.
The diarization adapter and the boundary refiners read their inputs this way.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Iterable

from codecprobe.encoders import Encoder, weights_kind, weights_label
from codecprobe.encoders.spec import InputTap
from codecprobe.errors import InputError
from codecprobe.store import LatentStore, encoder_key
from codecprobe.train.bank import TapSource
from codecprobe.train.module import TrainModule

if TYPE_CHECKING:
    from codecprobe.data import Corpus
    from codecprobe.extract import ExecutorConfig


def build_input(tap: InputTap, device: str = "cpu", built: dict[str, Encoder] | None = None,
                where: str = "input") -> tuple[Encoder, TapSource]:
    """The encoder of ``tap`` and the tap's source (name resolved, offset from the encoder unless given).

    ``built`` caches encoders by their build options, so taps of one encoder share one model;
    an unknown tap raises :class:`InputError` prefixed with ``where``.
    """
    built = {} if built is None else built
    key = json.dumps(asdict(tap) | {"taps": None, "offset_s": None}, sort_keys=True, default=str)
    if key not in built:
        built[key] = tap.build(device)
    encoder = built[key]
    name = tap.tap or encoder.default_taps[0]
    try:
        encoder.check_taps([name])
    except ValueError as error:
        raise InputError(f"{where}: {error}") from None
    offset = tap.offset_s if tap.offset_s is not None else encoder.frame_offset(name)
    return encoder, TapSource(encoder.identity(), name, offset)


def input_record(source: TapSource, dim: int, tap: InputTap) -> dict:
    """What a checkpoint keeps about an input: identity, offset, dims and how to build it again."""
    return source.describe() | {"dim": dim, "build": asdict(tap)}


def rebuild_input(stored: dict, device: str = "cpu") -> tuple[Encoder, TapSource]:
    """The encoder of a recorded input, built again from its options and checked to be the very encoder it
    was (same weights identity and settings), with its tap and offset."""
    encoder = InputTap.from_record(stored["build"]).build(device)
    identity = encoder.identity()
    if encoder_key(identity) != stored["encoder_key"]:
        raise InputError(f"the model's {stored['encoder']}:{stored['tap']} input was {stored['weights_id']} "
                         f"with settings {stored['settings']}; rebuilt here it is {identity.weights_id} with "
                         f"{identity.settings}: not the same encoder")
    return encoder, TapSource(identity, stored["tap"], stored["offset_s"])


def no_untrained_input(inputs: list[dict]) -> bool:
    """False when any input record (:func:`input_record`) comes from an untrained control (random or permuted
    weights; a baseline without weights such as MFCCs is not one)."""
    return all(weights_kind(i["weights_id"], i["trained"]) != "untrained" for i in inputs)


def inputs_summary(inputs: list[dict]) -> tuple[list[dict], str]:
    """Input records as summaries show them, and their weights in one line, each untrained control marked
    (e.g. ``mimi:prequant random-init:seed=0 (UNTRAINED control: random init)``)."""
    shown = [{key: i[key] for key in ("encoder", "tap", "weights_id", "trained", "offset_s", "dim")} for i in inputs]
    line = "; ".join(f"{i['encoder']}:{i['tap']} {weights_label(i['weights_id'], i['trained'])}" for i in shown)
    return shown, line


def extract_inputs(corpora: Iterable[tuple[str, "Corpus"]], inputs: Iterable[tuple[Encoder, TapSource]],
                   store: LatentStore, progress: bool = True, executor: "ExecutorConfig | None" = None) -> None:
    """Extract every input tap for every ``(name, corpus)`` into the store, one pass per encoder and corpus
    with all its taps (what is stored is skipped), where ``executor`` says (default: this process); a
    recording that cannot be encoded stops the run."""
    from codecprobe.extract import ExecutorConfig, extract

    needs: dict[str, tuple[Encoder, set[str]]] = {}
    for encoder, source in inputs:
        needs.setdefault(encoder_key(source.identity), (encoder, set()))[1].add(source.tap)
    for name, corpus in corpora:
        for encoder, taps in needs.values():
            summary = extract(corpus, encoder, sorted(taps), store, progress=progress,
                              executor=executor or ExecutorConfig())
            if summary.failures:
                where, reason = summary.failures[0]
                raise InputError(f"{name}: {len(summary.failures)} recording(s) could not be encoded, "
                                 f"e.g. {where}: {reason}")


class TapWindowModule(TrainModule):
    """A model family that reads windows of stored encoder taps brought to one grid: its hyperparameters
    hold ``inputs`` (input records, :func:`input_record`) and ``grid`` (``rate``, ``window_frames``...)."""

    @property
    def frame_rate(self) -> float:
        """Output frames per second (the grid)."""
        return float(self.hparams.grid["rate"])

    @property
    def window_frames(self) -> int:
        """Output frames per window: the length it was trained on."""
        return int(self.hparams.grid["window_frames"])

    @property
    def trained_encoders(self) -> bool:
        """False when any input comes from an untrained control (random or permuted weights; a baseline
        without weights such as MFCCs is not one)."""
        return no_untrained_input(self.hparams.inputs)
