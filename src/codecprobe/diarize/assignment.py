"""Which global speaker each local speaker of each window is, never two local speakers to one.

Clustering gives global speakers (centroids); every window has up to S local speakers,
each with a speaker embedding (or none, when it barely spoke). Two local speakers of one
window are by construction different people, so they must not land on the same global
speaker: per window, a Hungarian match (scipy's ``linear_sum_assignment``) maximises the
summed cosine similarity of local speakers to distinct centroids, as pyannote.audio's
``SpeakerDiarizationMixin.constrained_argmax`` does. A local speaker left without a
centroid (more local speakers than global ones) or without an embedding gets -1.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def constrained_assignment(embeddings: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """``[windows, S]`` global speaker index per local speaker (-1: none).

    embeddings: ``[windows, S, D]``, rows of NaN for local speakers without an embedding;
    centroids: ``[K, D]``. Similarities are cosine.

    >>> centroids = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> local = np.array([[[0.9, 0.1], [0.8, 0.3]],       # both near speaker 0: the weaker match goes to 1
    ...                   [[0.0, 1.0], [np.nan, np.nan]]])  # one local speaker without an embedding
    >>> constrained_assignment(local, centroids)
    array([[ 0,  1],
           [ 1, -1]])
    """
    n_windows, n_local, _ = embeddings.shape
    assignment = np.full((n_windows, n_local), -1, dtype=np.int64)
    if len(centroids) == 0:
        return assignment
    similarity = _unit(embeddings) @ _unit(centroids).T  # [windows, S, K]; NaN rows stay NaN
    has_embedding = ~np.isnan(similarity[:, :, 0])
    for window in np.flatnonzero(has_embedding.any(axis=1)):
        local = np.flatnonzero(has_embedding[window])
        rows, columns = linear_sum_assignment(similarity[window, local], maximize=True)
        assignment[window, local[rows]] = columns
    return assignment


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return vectors / norms
