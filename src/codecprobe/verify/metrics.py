"""Verification metrics from trial scores: EER, minDCF, the DET curve and score statistics.

Everything starts from one sorted sweep over the scores (:func:`operating_points`):
for every distinct threshold, the miss rate (targets scored below it) and the
false-alarm rate (non-targets scored at or above it). Ties are collapsed, so
the points are exactly those of scikit-learn's ``roc_curve`` (with
``drop_intermediate=False``), computed in one ``argsort`` plus two ``cumsum``.

* EER is where the piecewise-linear ROC curve crosses ``miss = false alarm``:
  linear interpolation between the two operating points on either side, the
  same number as the ``brentq(lambda x: 1 - x - interp1d(fpr, tpr)(x), 0, 1)``
  idiom of the VoxCeleb/pyannote tool chains.
* minDCF is NIST's normalised detection cost minimised over thresholds, as in
  Kaldi's ``compute_min_dcf.py``, SpeechBrain and WeSpeaker:
  ``(c_miss p_miss p_t + c_fa p_fa (1 - p_t)) / min(c_miss p_t, c_fa (1 - p_t))``.

Scores that claim to be log-likelihood ratios (natural log; after calibration, see
:mod:`.calibration`) are also judged as such, as BOSARIS and NIST SRE do:

* actDCF is the same normalised cost at the Bayes decision threshold
  ``log(c_fa (1 - p_t) / (c_miss p_t))`` (``-logit(p_t)`` for unit costs): a trial is accepted
  when its LLR reaches it. actDCF >= minDCF always; the gap is the cost of miscalibration.
* Cllr (Brümmer & du Preez 2006) is the cross-entropy of the LLRs in bits at prior 0.5:
  ``(mean_tar log2(1 + e^-llr) + mean_non log2(1 + e^llr)) / 2``; 1 for LLRs that are all 0
  (a system that always abstains), 0 for perfect ones.
* min Cllr is the Cllr of the best monotone recalibration of the scores: pool-adjacent-violators
  (scikit-learn's isotonic regression, ties pooled) gives posteriors at the empirical prior,
  turned into LLRs by subtracting its log odds, as BOSARIS's ``min_cllr`` does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codecprobe.verify.bootstrap import MIN_SPEAKERS, pair_weights, percentile_interval, speaker_multiplicities


@dataclass(frozen=True)
class OperatingPoints:
    """Error rates at every distinct threshold, from "reject all" to "accept all".

    ``thresholds[i]`` accepts trials scoring ``>= thresholds[i]``; the first point
    (threshold ``+inf``) rejects everything: miss 1, false alarm 0.
    """

    thresholds: np.ndarray
    p_miss: np.ndarray
    p_fa: np.ndarray


def operating_points(scores: np.ndarray, labels: np.ndarray) -> OperatingPoints:
    return _SortedTrials(scores, labels).points()


class _SortedTrials:
    """Trials sorted by falling score once; operating points for any weighting of the trials."""

    def __init__(self, scores: np.ndarray, labels: np.ndarray):
        scores, labels = _check(scores, labels)
        self.order = np.argsort(-scores)  # tie order does not matter: ties are collapsed below
        sorted_scores = scores[self.order]
        self.labels = labels[self.order]
        # the last index of each run of equal scores closes one operating point
        self.ends = np.r_[np.flatnonzero(np.diff(sorted_scores)), sorted_scores.size - 1]
        self.thresholds = np.r_[np.inf, sorted_scores[self.ends]]

    def points(self, weights: np.ndarray | None = None) -> OperatingPoints:
        """``weights`` (in sorted order) count each trial that many times; None counts each once."""
        if weights is None:
            true_accepts = np.cumsum(self.labels, dtype=np.int64)[self.ends]
            false_accepts = (self.ends + 1) - true_accepts
        else:
            true_accepts = np.cumsum(np.where(self.labels, weights, 0))[self.ends]
            false_accepts = np.cumsum(np.where(self.labels, 0, weights))[self.ends]
        return OperatingPoints(
            thresholds=self.thresholds,
            p_miss=np.r_[1.0, 1.0 - true_accepts / true_accepts[-1]],
            p_fa=np.r_[0.0, false_accepts / false_accepts[-1]],
        )


def eer_interval(scores: np.ndarray, labels: np.ndarray, speakers: tuple[np.ndarray, np.ndarray], replicates: int,
                 confidence: float = 0.95, seed: int = 0) -> list[float] | None:
    """Bootstrap-over-speakers interval of the EER (as a fraction) of trials between segments of
    speakers ``speakers[0][i]`` and ``speakers[1][i]`` (indices 0..n-1); see :mod:`.bootstrap`.

    Replicates that draw no target or no non-target trial are left out; None below 3 speakers.
    """
    trials = _SortedTrials(scores, labels)
    first, second = (np.asarray(s)[trials.order] for s in speakers)
    n_speakers = int(max(first.max(), second.max()) + 1)
    if n_speakers < MIN_SPEAKERS:
        return None
    values = []
    for multiplicity in speaker_multiplicities(n_speakers, replicates, seed):
        weights = pair_weights(multiplicity, first, second).astype(np.float64)
        if weights[trials.labels].sum() > 0 and weights[~trials.labels].sum() > 0:
            values.append(eer_from_points(trials.points(weights)))
    return percentile_interval(values, confidence)


@dataclass(frozen=True)
class EERDifference:
    """Paired bootstrap comparison of two systems' EERs on the same trials (fractions, ``b - a``)."""

    difference: float  # eer(b) - eer(a): negative when b is better
    interval: list[float] | None  # percentile interval of the replicates' differences
    p_value: float | None  # two-sided, against "no difference"
    replicates: int  # replicates with trials of both kinds
    unit: str  # what was resampled: "speaker" or "trial"


def eer_difference(scores_a: np.ndarray, scores_b: np.ndarray, labels: np.ndarray,
                   speakers: tuple[np.ndarray, np.ndarray] | None = None, replicates: int = 1000,
                   confidence: float = 0.95, seed: int = 0) -> EERDifference:
    """Paired bootstrap test of ``eer(b) - eer(a)``: each replicate reweights the trials once, for both systems.

    With ``speakers`` (the speaker indices of each trial's two segments) a replicate draws speakers
    as :func:`eer_interval` does; without, it draws trials with replacement. The p-value is that of
    the percentile bootstrap, ``2 min(P(d* <= 0), P(d* >= 0))`` with the replicates' differences
    ``d*`` (each count plus one, so it is never 0 from finitely many replicates), capped at 1.
    Identical systems give difference 0 and p = 1. Interval and p-value are None below
    3 speakers or without replicates.
    """
    a, b = _SortedTrials(scores_a, labels), _SortedTrials(scores_b, labels)
    labels = np.asarray(labels).ravel().astype(bool)
    difference = eer_from_points(b.points()) - eer_from_points(a.points())
    rng = np.random.default_rng(seed)
    if speakers is not None:
        first, second = (np.asarray(s) for s in speakers)
        n_speakers = int(max(first.max(), second.max()) + 1)
        draws = (pair_weights(m, first, second).astype(np.float64)
                 for m in (speaker_multiplicities(n_speakers, replicates, seed) if n_speakers >= MIN_SPEAKERS else []))
    else:
        draws = (np.bincount(rng.integers(0, len(labels), len(labels)), minlength=len(labels)).astype(np.float64)
                 for _ in range(replicates))
    values = [eer_from_points(b.points(w[b.order])) - eer_from_points(a.points(w[a.order]))
              for w in draws if w[labels].sum() > 0 and w[~labels].sum() > 0]
    unit = "trial" if speakers is None else "speaker"
    if not values:
        return EERDifference(float(difference), None, None, 0, unit)
    values = np.asarray(values)
    tail = min(np.sum(values <= 0) + 1, np.sum(values >= 0) + 1) / (len(values) + 1)
    return EERDifference(float(difference), percentile_interval(values, confidence), float(min(1.0, 2 * tail)),
                         len(values), unit)


def eer(scores: np.ndarray, labels: np.ndarray) -> float:
    """Equal error rate as a fraction (0.35 = 35 %), at the ROC's crossing of miss = false alarm.

    >>> eer(np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, 0, 1, 0]))
    0.5
    """
    return eer_from_points(operating_points(scores, labels))


def eer_from_points(points: OperatingPoints) -> float:
    gap = points.p_miss - points.p_fa  # falls from +1 (reject all) to -1 (accept all)
    i = int(np.argmax(gap <= 0))  # first point at or past the crossing; i >= 1
    if gap[i] == 0:
        return float(points.p_fa[i])
    t = gap[i - 1] / (gap[i - 1] - gap[i])
    return float(points.p_fa[i - 1] + t * (points.p_fa[i] - points.p_fa[i - 1]))


def min_dcf(scores: np.ndarray, labels: np.ndarray, p_target: float, c_miss: float = 1.0, c_fa: float = 1.0) -> float:
    """Minimum normalised detection cost over all thresholds.

    >>> round(min_dcf(np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, 0, 1, 0]), p_target=0.5), 6)
    0.5
    """
    return min_dcf_from_points(operating_points(scores, labels), p_target, c_miss, c_fa)


def min_dcf_from_points(points: OperatingPoints, p_target: float, c_miss: float = 1.0, c_fa: float = 1.0) -> float:
    if not 0.0 < p_target < 1.0:
        raise ValueError(f"p_target must be in (0, 1), got {p_target}")
    cost = c_miss * points.p_miss * p_target + c_fa * points.p_fa * (1.0 - p_target)
    return float(cost.min() / min(c_miss * p_target, c_fa * (1.0 - p_target)))


def act_dcf(llrs: np.ndarray, labels: np.ndarray, p_target: float, c_miss: float = 1.0, c_fa: float = 1.0) -> float:
    """Normalised detection cost of Bayes decisions on LLRs (accept where ``llr >= log(c_fa (1-p) / (c_miss p))``).

    >>> act_dcf(np.array([2.0, -1.0, -3.0]), np.array([1, 1, 0]), p_target=0.5)  # one of two targets missed
    0.5
    """
    if not 0.0 < p_target < 1.0:
        raise ValueError(f"p_target must be in (0, 1), got {p_target}")
    llrs, labels = _check(llrs, labels)
    accept = llrs >= np.log(c_fa * (1.0 - p_target) / (c_miss * p_target))
    cost = c_miss * p_target * np.mean(~accept[labels]) + c_fa * (1.0 - p_target) * np.mean(accept[~labels])
    return float(cost / min(c_miss * p_target, c_fa * (1.0 - p_target)))


def cllr(llrs: np.ndarray, labels: np.ndarray) -> float:
    """Cllr in bits; LLRs of +-inf on the right side cost 0.

    >>> round(cllr(np.array([np.log(3), -np.log(3)]), np.array([1, 0])), 6)  # log2(4/3)
    0.415037
    """
    llrs, labels = _check(llrs, labels, finite=False)
    miss = np.logaddexp(0.0, -llrs[labels]).mean()
    false_alarm = np.logaddexp(0.0, llrs[~labels]).mean()
    return float((miss + false_alarm) / (2.0 * np.log(2.0)))


def min_cllr(scores: np.ndarray, labels: np.ndarray) -> float:
    """Cllr after the optimal monotone (PAV) recalibration of the scores; between 0 and 1."""
    from sklearn.isotonic import IsotonicRegression

    scores, labels = _check(scores, labels)
    posterior = IsotonicRegression(y_min=0.0, y_max=1.0).fit_transform(scores, labels.astype(np.float64))
    prior = labels.mean()
    with np.errstate(divide="ignore"):
        llrs = np.log(posterior) - np.log1p(-posterior) - np.log(prior / (1.0 - prior))
    return cllr(llrs, labels)


@dataclass(frozen=True)
class ScoreSummary:
    """Every number the seeds print about a set of trial scores."""

    n_trials: int
    n_target: int
    score_min: float
    score_max: float
    mean_pos: float
    mean_neg: float

    @property
    def gap(self) -> float:
        return self.mean_pos - self.mean_neg


def score_summary(scores: np.ndarray, labels: np.ndarray) -> ScoreSummary:
    scores, labels = _check(scores, labels)
    return ScoreSummary(
        n_trials=int(scores.size),
        n_target=int(labels.sum()),
        score_min=float(scores.min()),
        score_max=float(scores.max()),
        mean_pos=float(scores[labels].mean()),
        mean_neg=float(scores[~labels].mean()),
    )


def _check(scores: np.ndarray, labels: np.ndarray, finite: bool = True) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel().astype(bool)
    if scores.shape != labels.shape:
        raise ValueError(f"{scores.size} scores but {labels.size} labels")
    if np.isnan(scores).any() or (finite and not np.all(np.isfinite(scores))):
        raise ValueError("scores contain NaN or infinity")
    if labels.all() or not labels.any():
        raise ValueError("need both target and non-target trials")
    return scores, labels
