"""dscore's clustering metrics: B-cubed precision/recall/F1, mutual information, NMI.

Every kept 10 ms frame gets one reference label and one system label: the *set* of
active speakers (silence and each overlap combination are classes of their own).
The contingency table counts frames per (reference label, system label). The overall
table is the block diagonal of the per-file tables, so labels of different files
never match (silence included), as dscore does for DIHARD comparability.
MI is in bits; NMI is normalised by sqrt(H(ref) H(sys)).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codecprobe.score.frames import FrameCounts


@dataclass
class Contingency:
    """A sparse contingency table: the nonzero cells ``count`` at (``row``, ``col``)."""

    row: np.ndarray
    col: np.ndarray
    count: np.ndarray
    shape: tuple[int, int]

    @staticmethod
    def block_diagonal(tables: list["Contingency"]) -> "Contingency":
        rows, cols = np.cumsum([0] + [t.shape[0] for t in tables]), np.cumsum([0] + [t.shape[1] for t in tables])
        return Contingency(np.concatenate([t.row + r for t, r in zip(tables, rows)] or [np.zeros(0, int)]),
                           np.concatenate([t.col + c for t, c in zip(tables, cols)] or [np.zeros(0, int)]),
                           np.concatenate([t.count for t in tables] or [np.zeros(0)]),
                           (int(rows[-1]), int(cols[-1])))


def _set_labels(active: np.ndarray) -> np.ndarray:
    """One integer per distinct set of active speakers: exact bit masks up to 64 speakers, random keys beyond."""
    n = active.shape[1]
    if n <= 64:
        keys = np.left_shift(np.uint64(1), np.arange(n, dtype=np.uint64))
    else:
        keys = np.random.default_rng(0).integers(1, 2**63, size=n, dtype=np.uint64)
    return (active.astype(np.uint64) * keys).sum(axis=1, dtype=np.uint64)


def contingency(counts: FrameCounts) -> Contingency:
    keep = counts.frames > 0
    _, row = np.unique(_set_labels(counts.ref[keep]), return_inverse=True)
    _, col = np.unique(_set_labels(counts.sys[keep]), return_inverse=True)
    row, col = row.reshape(-1), col.reshape(-1)
    n_cols = int(col.max()) + 1 if len(col) else 0
    cells, cell_counts = np.unique(row * n_cols + col, return_inverse=True)
    count = np.bincount(cell_counts.reshape(-1), weights=counts.frames[keep])
    n_rows = int(row.max()) + 1 if len(row) else 0
    return Contingency(cells // max(n_cols, 1), cells % max(n_cols, 1), count, (n_rows, n_cols))


@dataclass
class ClusteringScores:
    b3_precision: float
    b3_recall: float
    b3_f1: float
    mi: float
    nmi: float


def clustering_scores(table: Contingency) -> ClusteringScores:
    n = table.count.sum()
    row_sums = np.bincount(table.row, table.count, minlength=table.shape[0])
    col_sums = np.bincount(table.col, table.count, minlength=table.shape[1])
    share = table.count / n
    precision = float(np.sum(share * table.count / col_sums[table.col]))
    recall = float(np.sum(share * table.count / row_sums[table.row]))
    f1 = 2 * precision * recall / (precision + recall)
    mi, nmi = _mutual_information(table, n, row_sums, col_sums)
    return ClusteringScores(precision, recall, f1, mi, nmi)


def _mutual_information(table: Contingency, n, row_sums, col_sums) -> tuple[float, float]:
    single_ref, single_sys = table.shape[0] == 1, table.shape[1] == 1
    if single_ref and single_sys:
        return 0.0, 1.0   # neither labelling splits the data: each predicts the other perfectly
    if single_ref or single_sys:
        return 0.0, 0.0
    outer = row_sums[table.row] * col_sums[table.col]
    mi = max(float(np.sum(table.count / n * (np.log2(table.count) - np.log2(outer) + np.log2(n)))), 0.0)

    def entropy(sums):
        p = sums[sums > 0] / n
        return max(float(-np.sum(p * np.log2(p))), 0.0)

    nmi = mi / np.sqrt(entropy(row_sums) * entropy(col_sums))
    return mi, float(np.clip(nmi, 0.0, 1.0))
