"""The constrained assignment: never two local speakers of one window on one global speaker."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from codecprobe.diarize.assignment import constrained_assignment


@pytest.mark.parametrize("n_local,n_global", [(2, 2), (3, 5), (4, 3), (4, 1)])
def test_never_merges_two_local_speakers_and_is_optimal(n_local, n_global):
    rng = np.random.default_rng(n_local * 10 + n_global)
    centroids = rng.standard_normal((n_global, 6))
    # local speakers all close to the same centroid: an unconstrained argmax would merge them
    embeddings = centroids[0] + 0.3 * rng.standard_normal((200, n_local, 6))
    embeddings[rng.random((200, n_local)) < 0.2] = np.nan  # some local speakers have no embedding
    assignment = constrained_assignment(embeddings, centroids)
    unit = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)
    for window, row in zip(embeddings, assignment):
        has = ~np.isnan(window[:, 0])
        assigned = row[row >= 0]
        assert len(set(assigned.tolist())) == len(assigned)  # distinct global speakers
        assert (row[~has] == -1).all()
        assert (row[has] >= 0).sum() == min(has.sum(), n_global)
        # optimal: no other injective assignment has a higher summed cosine similarity
        local = np.flatnonzero(has)
        similarity = (window[local] / np.linalg.norm(window[local], axis=1, keepdims=True)) @ unit.T
        chosen = sum(similarity[i, row[k]] for i, k in enumerate(local) if row[k] >= 0)
        best = max((sum(similarity[i, c] for i, c in enumerate(perm) if c is not None)
                    for perm in _injections(len(local), n_global)), default=0.0)
        assert chosen == pytest.approx(best)


def _injections(n_rows: int, n_columns: int):
    """Every way to give at most min(n_rows, n_columns) rows distinct columns (None: no column)."""
    slots = list(range(n_columns)) + [None] * n_rows
    for choice in itertools.permutations(slots, n_rows):
        used = [c for c in choice if c is not None]
        if len(used) == min(n_rows, n_columns):
            yield choice


def test_no_centroids_assigns_nobody():
    assert (constrained_assignment(np.ones((3, 2, 4)), np.zeros((0, 4))) == -1).all()


def test_parts_of_one_local_speaker_may_share_a_global_speaker_but_no_other_may():
    rng = np.random.default_rng(3)
    centroids = rng.standard_normal((3, 6))
    # local speakers 0 and 2 are the two parts of one (group 0), 1 another; all close to centroid 0
    embeddings = centroids[0] + 0.3 * rng.standard_normal((100, 3, 6))
    groups = np.broadcast_to([0, 1, 0], (100, 3))
    assignment = constrained_assignment(embeddings, centroids, groups)
    unit = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)
    similarity = (embeddings / np.linalg.norm(embeddings, axis=2, keepdims=True)) @ unit.T
    np.testing.assert_array_equal(assignment[:, :2], constrained_assignment(embeddings[:, :2], centroids))
    assert (assignment[:, 2] != assignment[:, 1]).all()  # never the other local speaker's
    # the later part takes its most similar centroid of those left to its group
    for window, row in enumerate(assignment):
        allowed = [k for k in range(3) if k != row[1]]
        assert row[2] == allowed[int(np.argmax(similarity[window, 2, allowed]))]
    assert (assignment[:, 2] == assignment[:, 0]).mean() > 0.5  # near the same centroid: mostly shared
    # one group per local speaker (the default): the plain constrained assignment
    np.testing.assert_array_equal(constrained_assignment(embeddings, centroids, np.broadcast_to([0, 1, 2], (100, 3))),
                                  constrained_assignment(embeddings, centroids))
