"""The ported assignment solver returns scipy's assignment, ties included (item 12: no scipy import to score)."""
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment as scipy_lsa

from codecprobe.score.assignment import linear_sum_assignment


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (4, 7), (7, 4), (12, 12), (25, 18)])
@pytest.mark.parametrize("kind", ["real", "small integers", "constant", "sparse overlaps"])
@pytest.mark.parametrize("maximize", [False, True])
def test_same_assignment_as_scipy(shape, kind, maximize):
    rng = np.random.default_rng(sum(shape) + len(kind) + maximize)
    for _ in range(20):
        if kind == "real":
            cost = rng.normal(size=shape)
        elif kind == "small integers":  # many ties: the tie-breaking must be scipy's
            cost = rng.integers(0, 3, size=shape).astype(float)
        elif kind == "constant":
            cost = np.ones(shape)
        else:  # like speaker overlap matrices: mostly zeros, some seconds
            cost = np.where(rng.random(shape) < 0.2, np.round(rng.gamma(2, 5, shape), 2), 0.0)
        ours, theirs = linear_sum_assignment(cost, maximize), scipy_lsa(cost, maximize)
        np.testing.assert_array_equal(ours[0], theirs[0])
        np.testing.assert_array_equal(ours[1], theirs[1])


def test_empty_and_invalid_matrices():
    rows, cols = linear_sum_assignment(np.zeros((0, 3)))
    assert rows.size == cols.size == 0
    with pytest.raises(ValueError, match="invalid numeric entries"):
        linear_sum_assignment(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="infeasible"):
        linear_sum_assignment(np.full((2, 2), np.inf))
