"""Which global speaker each local speaker of each window is, never two local speakers to one.

Clustering gives global speakers (centroids); every window has up to S local speakers,
each with a speaker embedding (or none, when it barely spoke). Two local speakers of one
window are by construction different people, so they must not land on the same global
speaker: per window, a Hungarian match (scipy's ``linear_sum_assignment``) maximises the
summed cosine similarity of local speakers to distinct centroids, as pyannote.audio's
``SpeakerDiarizationMixin.constrained_argmax`` does. A local speaker left without a
centroid (more local speakers than global ones) or without an embedding gets -1.
The one exception is the pyannote pipeline's change-of-voice check, which may cut one local
speaker in two: those two parts never speak at once and may be one voice after all, so they
may share a global speaker (``groups``).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def constrained_assignment(embeddings: np.ndarray, centroids: np.ndarray, groups: np.ndarray | None = None
                           ) -> np.ndarray:
    """``[windows, S]`` global speaker index per local speaker (-1: none).

    embeddings: ``[windows, S, D]``, rows of NaN for local speakers without an embedding;
    centroids: ``[K, D]``. Similarities are cosine.

    groups: ``[windows, S]``, optional: local speakers of one window with the same group are the
    parts of one local speaker cut in two at a change of voice (they never speak at once), and may
    share a global speaker. The Hungarian match then takes each group's first member (its lowest
    index); every other member, in order, takes its most similar centroid that no other group's
    local speaker has taken.

    >>> centroids = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> local = np.array([[[0.9, 0.1], [0.8, 0.3]],       # both near speaker 0: the weaker match goes to 1
    ...                   [[0.0, 1.0], [np.nan, np.nan]]])  # one local speaker without an embedding
    >>> constrained_assignment(local, centroids)
    array([[ 0,  1],
           [ 1, -1]])
    >>> constrained_assignment(local, centroids, groups=np.array([[0, 0], [0, 1]]))  # parts of one: both 0
    array([[ 0,  0],
           [ 1, -1]])
    """
    n_windows, n_local, _ = embeddings.shape
    assignment = np.full((n_windows, n_local), -1, dtype=np.int64)
    if len(centroids) == 0:
        return assignment
    similarity = _unit(embeddings) @ _unit(centroids).T  # [windows, S, K]; NaN rows stay NaN
    has_embedding = ~np.isnan(similarity[:, :, 0])
    # first[w, s]: no local speaker before s in window w has s's group (every one, without groups)
    first = np.ones((n_windows, n_local), bool) if groups is None else \
        ~np.any((groups[:, :, None] == groups[:, None, :]) & np.tri(n_local, k=-1, dtype=bool), axis=2)
    for window in np.flatnonzero(has_embedding.any(axis=1)):
        local = np.flatnonzero(has_embedding[window] & first[window])
        rows, columns = linear_sum_assignment(similarity[window, local], maximize=True)
        assignment[window, local[rows]] = columns
        for index in np.flatnonzero(has_embedding[window] & ~first[window]):  # a later part of a split one
            others = assignment[window][groups[window] != groups[window, index]]
            free = np.setdiff1d(np.arange(len(centroids)), others)
            if len(free):
                assignment[window, index] = free[np.argmax(similarity[window, index, free])]
    return assignment


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return vectors / norms
