"""Score calibration: an affine map from a back-end's scores to log-likelihood ratios.

BOSARIS's linear calibration (Brümmer & de Villiers 2011, ``train_linear_calibration``):
``llr = slope * score + offset``, fitted by logistic regression on a calibration set of trials
with targets and non-targets weighted to the training ``prior`` (default 0.5, the prior that
Cllr weights), so that the fitted log posterior odds minus ``logit(prior)`` is an LLR that does
not depend on how many trials of each kind the calibration set has. The calibration trials
must not be the evaluation trials: the study draws them among the training speakers
(:func:`calibration_pairs`).
"""
from __future__ import annotations

import numpy as np
from scipy.special import logit
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted


class LinearCalibration(BaseEstimator):
    """``fit(scores, labels)`` on calibration trials, then ``transform(scores)`` gives LLRs (natural log).

    Scores are 1-D (one per trial), so scikit-learn's ``check_estimator`` (2-D inputs of any
    width) does not apply.
    """

    def __init__(self, prior: float = 0.5, C: float = 1.0):
        self.prior = prior
        self.C = C

    def fit(self, scores, labels):
        from sklearn.linear_model import LogisticRegression

        if not 0.0 < self.prior < 1.0:
            raise ValueError(f"prior must be in (0, 1), got {self.prior}")
        scores = np.asarray(scores, dtype=np.float64).reshape(-1, 1)
        labels = np.asarray(labels).ravel().astype(bool)
        if labels.all() or not labels.any():
            raise ValueError("calibration needs both target and non-target trials")
        weights = np.where(labels, self.prior / labels.sum(), (1.0 - self.prior) / (~labels).sum())
        model = LogisticRegression(C=self.C, tol=1e-10, max_iter=1000)
        model.fit(scores, labels, sample_weight=weights * len(labels))
        self.slope_ = float(model.coef_[0, 0])
        self.offset_ = float(model.intercept_[0] - logit(self.prior))
        self.n_trials_ = int(len(labels))
        return self

    def transform(self, scores) -> np.ndarray:
        check_is_fitted(self, "slope_")
        return self.slope_ * np.asarray(scores, dtype=np.float64) + self.offset_


def calibration_pairs(speakers, max_per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded trials among segments of ``speakers`` (one label per segment): ``(first, second, same)``.

    At most ``max_per_class`` same-speaker and as many different-speaker pairs of distinct
    segments, drawn without listing every pair (a 150k-segment training set has 10^10); a set
    with few pairs gives all of them, like :func:`codecprobe.verify.trials.generate_trials`.
    """
    _, speaker = np.unique(np.asarray(speakers), return_inverse=True)
    n = len(speaker)
    rng = np.random.default_rng(seed)
    if n * (n - 1) // 2 <= 4 * max_per_class:
        first, second = np.triu_indices(n, k=1)
        same = speaker[first] == speaker[second]
        keep = np.sort(np.concatenate([rng.permutation(np.flatnonzero(same == cls))[:max_per_class]
                                       for cls in (True, False)]))
        return first[keep], second[keep], same[keep]
    order = np.argsort(speaker, kind="stable")  # segments grouped by speaker
    counts = np.bincount(speaker)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts[speaker[order]]  # each segment's place among its speaker's
    # same speaker: a segment of a speaker with >= 2, then another of that speaker
    eligible = np.flatnonzero(counts[speaker] >= 2)
    a = rng.choice(eligible, size=max_per_class if len(eligible) else 0)
    own = speaker[a]
    b = order[starts[own] + (rank[a] + rng.integers(1, counts[own])) % counts[own]]
    # different speakers: uniform pairs (twice as many drawn), those of two speakers kept
    c, d = rng.integers(0, n, size=(2, 2 * max_per_class))
    differ = speaker[c] != speaker[d]
    first, second = np.r_[a, c[differ][:max_per_class]], np.r_[b, d[differ][:max_per_class]]
    return first, second, speaker[first] == speaker[second]
