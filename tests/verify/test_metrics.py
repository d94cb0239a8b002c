import numpy as np
import pytest
from scipy.interpolate import interp1d
from scipy.optimize import brentq
from sklearn.metrics import roc_curve

from codecprobe.verify.metrics import eer, min_dcf, operating_points, score_summary


def reference_eer(scores, labels):
    """The VoxCeleb/pyannote idiom: root of 1 - x - tpr(x) on the linearly interpolated ROC."""
    fpr, tpr, _ = roc_curve(labels, scores)
    return brentq(lambda x: 1.0 - x - interp1d(fpr, tpr)(x), 0.0, 1.0, xtol=1e-12)


def reference_min_dcf(scores, labels, p_target, c_miss, c_fa):
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    cost = c_miss * (1 - tpr) * p_target + c_fa * fpr * (1 - p_target)
    return cost.min() / min(c_miss * p_target, c_fa * (1 - p_target))


# targets 0.9, 0.6; non-targets 0.7, 0.2, 0.1: (miss, fa) points (1,0) (.5,0) (.5,1/3) (0,1/3) (0,2/3) (0,1)
HAND_SCORES = np.array([0.9, 0.7, 0.6, 0.2, 0.1])
HAND_LABELS = np.array([1, 0, 1, 0, 0])


def test_hand_computed_eer_on_a_vertical_roc_segment():
    assert eer(HAND_SCORES, HAND_LABELS) == pytest.approx(1 / 3, abs=1e-12)


def test_tied_target_and_nontarget_scores_form_a_diagonal_segment():
    # (miss, fa) goes from (.5, 0) straight to (0, .5) at the tied 0.5: they cross at .25
    assert eer(np.array([0.9, 0.5, 0.5, 0.1]), np.array([1, 1, 0, 0])) == pytest.approx(0.25, abs=1e-12)


@pytest.mark.parametrize(
    "p_target, c_miss, c_fa, expected",
    [(0.5, 1, 1, 1 / 3),  # (0, 1/3): 0.5 * 1/3 / 0.5
     (0.01, 1, 1, 0.5),  # (.5, 0): 0.01 * .5 / 0.01
     (0.5, 1, 10, 0.5)],  # (.5, 0): 0.5 * .5 / 0.5
)
def test_hand_computed_min_dcf(p_target, c_miss, c_fa, expected):
    assert min_dcf(HAND_SCORES, HAND_LABELS, p_target, c_miss, c_fa) == pytest.approx(expected, abs=1e-12)


def test_operating_points_are_sklearns_roc_points():
    rng = np.random.default_rng(1)
    scores = np.round(rng.normal(size=500), 1)  # many ties
    labels = rng.random(500) < 0.3
    points = operating_points(scores, labels)
    fpr, tpr, thresholds = roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_array_equal(points.p_fa, fpr)
    np.testing.assert_allclose(points.p_miss, 1 - tpr, atol=1e-15)
    np.testing.assert_array_equal(points.thresholds, thresholds)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("decimals", [None, 2])
def test_eer_and_min_dcf_match_the_sklearn_reference(seed, decimals):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(50, 5000))
    labels = rng.random(n) < rng.uniform(0.05, 0.6)
    scores = rng.normal(size=n) + labels * rng.uniform(0, 3)
    if decimals is not None:
        scores = np.round(scores, decimals)
    assert eer(scores, labels) == pytest.approx(reference_eer(scores, labels), abs=1e-6)
    for p_target in (0.01, 0.05):
        for c_miss, c_fa in ((1, 1), (10, 1)):
            expected = reference_min_dcf(scores, labels, p_target, c_miss, c_fa)
            assert min_dcf(scores, labels, p_target, c_miss, c_fa) == pytest.approx(expected, abs=1e-6)


def test_eer_extremes_and_invariance_to_monotone_rescoring():
    labels = np.array([1, 1, 0, 0, 0])
    scores = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    assert eer(scores, labels) == 0.0
    assert eer(-scores, labels) == 1.0
    rng = np.random.default_rng(0)
    noisy = rng.normal(size=300)
    noisy_labels = rng.random(300) < 0.5
    assert eer(np.exp(noisy), noisy_labels) == eer(noisy, noisy_labels)
    assert eer(np.full(10, 0.3), np.arange(10) < 4) == 0.5  # all tied: the chance diagonal


def test_min_dcf_of_perfect_scores_is_zero_and_of_useless_scores_is_one():
    labels = np.array([1, 0, 0, 0])
    assert min_dcf(np.array([1.0, 0.0, 0.0, 0.0]), labels, 0.01) == 0.0
    assert min_dcf(np.zeros(4), labels, 0.01) == 1.0


def test_score_summary_fields():
    summary = score_summary(HAND_SCORES, HAND_LABELS)
    assert (summary.n_trials, summary.n_target) == (5, 2)
    assert (summary.score_min, summary.score_max) == (0.1, 0.9)
    assert summary.mean_pos == pytest.approx(0.75)
    assert summary.mean_neg == pytest.approx(1 / 3)
    assert summary.gap == pytest.approx(0.75 - 1 / 3)


@pytest.mark.parametrize("labels", [np.ones(3), np.zeros(3)])
def test_one_class_is_refused(labels):
    with pytest.raises(ValueError, match="both target and non-target"):
        eer(np.array([0.1, 0.2, 0.3]), labels)
