"""The trained speaker verifiers that judge resynthesised audio: one embedding per utterance (16 kHz).

``campplus``: 3D-Speaker's CAM++ (192-dim, its own fbank preprocessing);
``ge2e``: Resemblyzer's GE2E with its documented utterance use (silence trimming, ``utterance`` tap).
Both are scored by cosine similarity.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

SAMPLE_RATE = 16000
VERIFIERS = ("campplus", "ge2e")


@dataclass(frozen=True)
class Verifier:
    name: str
    weights_id: str
    embed: Callable[[Sequence[np.ndarray]], np.ndarray]  # 16 kHz signals -> [n, dim]


def load_verifier(name: str, threads: int = 1) -> Verifier:
    if name == "campplus":
        from codecprobe.encoders.campplus import campplus_embeddings, load_campplus_model

        model, weights_id = load_campplus_model()
        return Verifier(name, weights_id, lambda signals: campplus_embeddings(model, list(signals), threads))
    if name == "ge2e":
        from codecprobe.encoders import BuildOptions, build_encoder
        from codecprobe.encoders.registry import utterance_settings

        encoder = build_encoder("ge2e", BuildOptions(settings=utterance_settings("ge2e", {})))

        def embed(signals: Sequence[np.ndarray]) -> np.ndarray:
            return np.stack([out["utterance"].frames[0] for out in encoder.encode_batch(list(signals), ["utterance"])])

        return Verifier(name, encoder.identity().weights_id, embed)
    raise ValueError(f"unknown verifier {name!r}")  # the config checks names first


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two ``[n, dim]`` arrays.

    >>> cosine_rows(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[2.0, 0.0], [-1.0, -1.0]]))
    array([ 1., -1.])
    """
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.sum(a * b, axis=1)
