"""Confidence intervals by bootstrap over speakers.

Segments of one speaker are not independent draws: a study with 3 speakers has 3
independent units, however many segments each has. So a replicate draws the evaluation
speakers with replacement, and a speaker drawn k times counts k times. Every statistic
here (EER over trials, the diagnostics' cosine means, separability) is built from pairs,
so a replicate reweights the pairs: a pair within one speaker by k, a pair of two
different speakers by k_a k_b. Pairs between two copies of one speaker are not counted:
they would pair segments with themselves or turn same-speaker pairs into "different" ones.
The interval is the percentile interval of the replicates. Below 3 speakers there is none:
of the draws of 2 speakers only the one that draws both once has pairs of both kinds, so
every replicate would repeat the estimate and the interval would claim a certainty it lacks.
"""
from __future__ import annotations

import numpy as np


MIN_SPEAKERS = 3  # fewer: no interval


def speaker_multiplicities(n_speakers: int, replicates: int, seed: int) -> np.ndarray:
    """``[replicates, n_speakers]`` counts: how often each speaker was drawn (each row sums to n_speakers).

    >>> speaker_multiplicities(3, 2, seed=0).sum(axis=1).tolist()
    [3, 3]
    """
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_speakers, np.full(n_speakers, 1 / n_speakers), size=replicates)


def pair_weights(multiplicity: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Weight of each pair of segments of speakers ``first[i]`` and ``second[i]`` in one replicate.

    >>> pair_weights(np.array([2, 0, 1]), np.array([0, 0, 0, 1]), np.array([0, 2, 1, 2])).tolist()
    [2, 2, 0, 0]
    """
    same = first == second
    return np.where(same, multiplicity[first], multiplicity[first] * multiplicity[second])


def percentile_interval(values, confidence: float) -> list[float] | None:
    """The central ``confidence`` interval of the replicates' values (None without any finite value).

    >>> percentile_interval(np.arange(101.0), 0.9)
    [5.0, 95.0]
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    tail = round(50 * (1 - confidence), 9)  # 1 - 0.9 is 0.0999...98 in binary
    low, high = np.percentile(values, [tail, 100 - tail])
    return [float(low), float(high)]
