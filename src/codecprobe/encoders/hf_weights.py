"""Weights of the encoders built on transformers models (mimi, encodec, dac, wavlm, hubert, wav2vec2).

Each accepts the same two kinds of trained weights, named by content:

- a Hugging Face id (``owner/name`` or ``owner/name@revision``), read through the Hugging Face
  cache: ``hf:<owner/name>@<commit>`` (a snapshot folder is named after its commit). Offline,
  an id missing from the cache is a one-line :class:`InputError` saying to pass a local folder;
  nothing falls back to random weights;
- a local transformers-format folder (``config.json`` and ``model*.safetensors``, or
  ``pytorch_model*.bin`` where a repository has no safetensors): ``dir:<sha256 prefix>`` over
  those files' names and contents.

and builds its untrained control with :func:`seeded` random weights.
"""
from __future__ import annotations

import contextlib
import hashlib
import re
from pathlib import Path
from typing import Iterator

from codecprobe.errors import InputError

HUB_ID = re.compile(r"(?P<repo>[\w.-]+/[\w.-]+)(@(?P<revision>[\w.-]+))?")
HASH_CHARS = 16
WEIGHT_PATTERNS = ("model*.safetensors", "pytorch_model*.bin")  # what from_pretrained reads, in its order of preference
_HUB_PATTERNS = ["config.json", "preprocessor_config.json", "*.safetensors", "*.index.json", "pytorch_model*.bin"]


def weight_files(folder: Path) -> list[Path]:
    """The weight files ``from_pretrained`` reads from ``folder``: its safetensors, else its ``.bin`` files."""
    for pattern in WEIGHT_PATTERNS:
        files = sorted(folder.glob(pattern))
        if files:
            return files
    return []


def resolve_weights(weights: str, what: str, alternatives: str = "a local transformers-format folder") -> tuple[Path, str]:
    """The transformers-format folder that ``weights`` (a folder or a hub id) names, and its weights id.

    ``what`` names the model in errors; ``alternatives`` is what an offline user can pass instead.
    """
    path = Path(weights).expanduser()
    if path.is_dir():
        check_folder(path, what)
        files = [path / "config.json", *weight_files(path)]
        return path, "dir:" + hash_text("".join(f"{file.name} {sha256(file)}\n" for file in files))
    hub = HUB_ID.fullmatch(weights)
    if hub is None:
        raise InputError(f"{weights}: {what} weights not found (no such file or folder, and not a Hugging Face id)")
    from huggingface_hub import snapshot_download

    repo, revision = hub["repo"], hub["revision"]
    try:
        folder = Path(snapshot_download(repo, revision=revision, allow_patterns=_HUB_PATTERNS))
    except OSError as error:  # includes huggingface_hub's not-found and offline errors
        raise InputError(
            f"{repo}: no such local file or folder, and could not get it from the Hugging Face hub "
            f"or its local cache ({' '.join(str(error).split())}). Without network, pass {alternatives} as the weights, "
            "or use random init explicitly."
        ) from error
    check_folder(folder, what)
    return folder, f"hf:{repo}@{folder.name}"


def check_folder(folder: Path, what: str) -> None:
    if not (folder / "config.json").is_file() or not weight_files(folder):
        raise InputError(f"{folder}: not a transformers-format {what} folder "
                         f"(needs config.json and {' or '.join(WEIGHT_PATTERNS)})")


def load_pretrained(model_class, folder: Path, what: str, allow_unexpected: bool = False, **kwargs):
    """``model_class.from_pretrained(folder)`` in float32 and eval mode; weights that do not fit it
    (missing, mis-shaped or, unless ``allow_unexpected`` (a checkpoint with heads the model drops),
    unexpected tensors) are an InputError naming the folder."""
    import torch
    from safetensors import SafetensorError

    try:
        model, info = model_class.from_pretrained(folder, dtype=torch.float32, output_loading_info=True, **kwargs)
    except (OSError, ValueError, TypeError, SafetensorError) as error:
        raise InputError(f"{folder}: could not load {what} from it ({error})") from error
    checked = ("missing_keys", "mismatched_keys") if allow_unexpected else ("missing_keys", "unexpected_keys", "mismatched_keys")
    problems = {name: sorted(info[name]) for name in checked if info[name]}
    if problems:
        raise InputError(f"{folder}: weights do not fit {what}: {problem_summary(problems)}")
    return model.eval()


def problem_summary(problems: dict[str, list]) -> str:
    return "; ".join(f"{len(keys)} {name.replace('_', ' ')} (e.g. {', '.join(map(str, keys[:3]))})"
                     for name, keys in problems.items())


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Draw torch's random numbers from ``seed`` inside, leaving the global generator as it was."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def sha256(file: Path) -> str:
    with open(file, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_CHARS]
