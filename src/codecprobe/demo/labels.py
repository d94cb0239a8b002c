"""Short labels for the demo's tables and figures (the long ids appear once, in the report's list of
names), and its progress lines."""
from __future__ import annotations

import sys

ENCODER_LABELS = {"lyra": "Lyra v2", "campplus": "CAM++", "ge2e": "GE2E", "mimi": "Mimi", "mfcc": "MFCC",
                  "logmel": "log-mel"}
CORPUS_LABELS = {"timit-sample": "TIMIT", "librispeech-test-other": "LibriSpeech", "vctk-autovc": "VCTK",
                 "synthetic-voices": "synthetic"}


def corpus_label(name: str) -> str:
    return CORPUS_LABELS.get(name, name)


def encoder_label(encoder: str, trained: bool, weights: str) -> str:
    """The short label of an encoder with its weights (``weights``: trained, untrained or none).

    >>> encoder_label("lyra", False, "untrained"), encoder_label("mimi", False, "untrained")
    ('Lyra v2 permuted', 'Mimi random')
    """
    label = ENCODER_LABELS.get(encoder, encoder)
    if weights != "untrained":
        return label
    return f"{label} permuted" if encoder == "lyra" else f"{label} random"


def say(message: str) -> None:
    print(f"[demo] {message}", file=sys.stderr, flush=True)
