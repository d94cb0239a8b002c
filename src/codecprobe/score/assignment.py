"""The optimal one-to-one speaker mapping: the linear sum assignment problem.

This is scipy's solver (``scipy.optimize.linear_sum_assignment``, scipy 1.17: the
shortest augmenting path algorithm of Crouse 2016, without initialisation) ported step
for step, with the same order of floating-point operations and the same tie-breaking,
so it returns scipy's assignment for every matrix (``tests/score/test_assignment.py``
compares them on random and heavily tied matrices).

Why not call scipy: importing ``scipy.optimize`` takes 0.3-0.4 s, twice the whole run of
spy-der's command line on one file, and ``codecprobe score`` needs nothing else from it.
Speaker matrices are small (tens of rows), so the numpy inner loop costs milliseconds.
"""
from __future__ import annotations

import numpy as np


def linear_sum_assignment(cost, maximize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of a minimum- (or maximum-) cost complete matching, rows ascending.

    >>> linear_sum_assignment(np.array([[4, 1, 3], [2, 0, 5], [3, 2, 2]]))[1].tolist()
    [1, 0, 2]
    """
    cost = np.asarray(cost, dtype=np.float64)
    if cost.ndim != 2:
        raise ValueError(f"expected a matrix (2-D array), got a {cost.ndim}-D array")
    if cost.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    transpose = cost.shape[1] < cost.shape[0]  # the solver wants at least as many columns as rows
    if transpose:
        cost = cost.T
    if maximize:
        cost = -cost
    if np.isnan(cost).any() or (cost == -np.inf).any():
        raise ValueError("matrix contains invalid numeric entries")
    col4row = _solve(np.ascontiguousarray(cost))
    if transpose:
        order = np.argsort(col4row)
        return col4row[order], order.astype(np.int64)
    return np.arange(len(col4row), dtype=np.int64), col4row


def _solve(cost: np.ndarray) -> np.ndarray:
    n_rows, n_cols = cost.shape
    u, v = np.zeros(n_rows), np.zeros(n_cols)
    path = np.full(n_cols, -1, dtype=np.int64)
    col4row = np.full(n_rows, -1, dtype=np.int64)
    row4col = np.full(n_cols, -1, dtype=np.int64)
    for current in range(n_rows):
        sink, min_val, shortest, rows_seen, cols_seen = _augmenting_path(cost, u, v, path, row4col, current)
        u[current] += min_val  # update the dual variables
        others = rows_seen.copy()
        others[current] = False
        u[others] += min_val - shortest[col4row[others]]
        v[cols_seen] -= min_val - shortest[cols_seen]
        j = sink  # augment the previous solution along the path
        while True:
            i = path[j]
            row4col[j] = i
            col4row[i], j = j, col4row[i]
            if i == current:
                break
    return col4row


def _augmenting_path(cost, u, v, path, row4col, i):
    n_rows, n_cols = cost.shape
    remaining = list(range(n_cols - 1, -1, -1))  # reversed: a constant matrix gives the identity
    shortest = np.full(n_cols, np.inf)
    rows_seen = np.zeros(n_rows, dtype=bool)
    cols_seen = np.zeros(n_cols, dtype=bool)
    min_val = 0.0
    while True:
        rows_seen[i] = True
        columns = np.array(remaining)
        reduced = min_val + cost[i, columns] - u[i] - v[columns]
        better = reduced < shortest[columns]
        path[columns[better]] = i
        shortest[columns[better]] = reduced[better]
        values = shortest[columns]
        lowest = values.min()
        if lowest == np.inf:
            raise ValueError("cost matrix is infeasible")
        # among the columns at the lowest cost, scipy's scan ends on the last free one if any, else the first
        ties = np.flatnonzero(values == lowest)
        free = ties[row4col[columns[ties]] == -1]
        index = int(free[-1]) if len(free) else int(ties[0])
        min_val = lowest
        j = remaining[index]
        cols_seen[j] = True
        remaining[index] = remaining[-1]
        remaining.pop()
        if row4col[j] == -1:
            return j, min_val, shortest, rows_seen, cols_seen
        i = row4col[j]
