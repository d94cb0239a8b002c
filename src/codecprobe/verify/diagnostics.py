"""Seed 002's diagnostics of an embedding space, given speaker (and text) labels.

All similarities are cosines; distances are Euclidean in the space given.

* **acoustics score**: mean similarity of same-speaker/different-text pairs (intra-voice)
  minus that of same-text/different-speaker pairs (inter-voice). Positive: the space
  follows the voice more than the words (seed 002: target > 0.10; Mimi baseline -0.09).
  Needs text labels with the same text from several speakers (fsdd is built for it);
  otherwise it is ``None``.
* **separability ratio**: mean distance between speaker centroids over mean distance of
  an utterance from its own speaker's centroid (target > 2.0; WavLM ~3.5-4).
* **consistency**: mean similarity of same-speaker pairs (target > 0.80).
* **Fisher ratio** per channel: variance of the speaker means over the mean
  within-speaker variance; which channels carry speaker identity.
* **effective dimensionality**: PCA explained variance: components for 90/95/99 %
  of the variance and the participation ratio ``(sum l)^2 / sum l^2``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codecprobe.verify.backends import length_normalize


@dataclass(frozen=True)
class Diagnostics:
    acoustics_score: float | None
    intra_voice: float | None  # same speaker, different text
    inter_voice: float | None  # different speaker, same text
    separability: float
    consistency: float
    fisher: np.ndarray  # per channel
    explained_variance_ratio: np.ndarray
    n_segments: int
    n_speakers: int

    def effective_dims(self, fraction: float) -> int:
        """Principal components needed to explain ``fraction`` of the variance."""
        return int(np.searchsorted(np.cumsum(self.explained_variance_ratio), fraction - 1e-12) + 1)

    @property
    def participation_ratio(self) -> float:
        ratio = self.explained_variance_ratio
        return float(ratio.sum() ** 2 / (ratio**2).sum())

    def summary(self, top: int = 10) -> dict:
        return {
            "acoustics_score": self.acoustics_score, "intra_voice": self.intra_voice, "inter_voice": self.inter_voice,
            "separability": self.separability, "consistency": self.consistency,
            "fisher_mean": float(self.fisher.mean()), "fisher_max": float(self.fisher.max()),
            "fisher_top_channels": np.argsort(-self.fisher)[:top].tolist(),
            "dims_90": self.effective_dims(0.90), "dims_95": self.effective_dims(0.95),
            "dims_99": self.effective_dims(0.99), "participation_ratio": self.participation_ratio,
            "n_segments": self.n_segments, "n_speakers": self.n_speakers,
        }


def diagnose(X: np.ndarray, speakers, texts=None) -> Diagnostics:
    """Diagnostics of embeddings ``X [n, d]`` with a speaker (and optionally text) per row."""
    X = np.asarray(X, dtype=np.float64)
    speaker_index = np.unique(np.asarray(speakers), return_inverse=True)[1]
    if speaker_index.max() < 1:
        raise ValueError("diagnostics need at least two speakers")
    unit = length_normalize(X)
    first, second = np.triu_indices(len(X), k=1)
    similarity = np.einsum("ij,ij->i", unit[first], unit[second])
    same_speaker = speaker_index[first] == speaker_index[second]
    if not same_speaker.any():
        raise ValueError("diagnostics need at least one speaker with two segments")

    intra = inter = acoustics = None
    if texts is not None and all(t is not None for t in texts):
        text_index = np.unique(np.asarray(texts), return_inverse=True)[1]
        same_text = text_index[first] == text_index[second]
        intra_pairs, inter_pairs = same_speaker & ~same_text, ~same_speaker & same_text
        if intra_pairs.any() and inter_pairs.any():
            intra, inter = float(similarity[intra_pairs].mean()), float(similarity[inter_pairs].mean())
            acoustics = intra - inter

    return Diagnostics(
        acoustics_score=acoustics, intra_voice=intra, inter_voice=inter,
        separability=separability_ratio(X, speaker_index),
        consistency=float(similarity[same_speaker].mean()),
        fisher=fisher_ratio(X, speaker_index),
        explained_variance_ratio=explained_variance_ratio(X),
        n_segments=len(X), n_speakers=int(speaker_index.max() + 1),
    )


def _speaker_means(X: np.ndarray, speaker_index: np.ndarray) -> np.ndarray:
    counts = np.bincount(speaker_index)
    sums = np.zeros((len(counts), X.shape[1]))
    np.add.at(sums, speaker_index, X)
    return sums / counts[:, None]


def separability_ratio(X: np.ndarray, speaker_index: np.ndarray) -> float:
    """Mean centroid-to-centroid distance over mean utterance-to-own-centroid distance."""
    means = _speaker_means(X, speaker_index)
    first, second = np.triu_indices(len(means), k=1)
    between = np.linalg.norm(means[first] - means[second], axis=1).mean()
    within = np.linalg.norm(X - means[speaker_index], axis=1).mean()
    return float(between / within) if within > 0 else float("inf")


def fisher_ratio(X: np.ndarray, speaker_index: np.ndarray) -> np.ndarray:
    """Per channel: variance of the speaker means / mean within-speaker variance."""
    means = _speaker_means(X, speaker_index)
    between = means.var(axis=0)
    within = np.stack([X[speaker_index == s].var(axis=0) for s in range(len(means))]).mean(axis=0)
    return between / np.where(within > 0, within, np.finfo(float).tiny)


def explained_variance_ratio(X: np.ndarray) -> np.ndarray:
    """PCA explained-variance ratios, largest first (the squared singular values of centred X)."""
    singular = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    variance = singular**2
    return variance / variance.sum()
