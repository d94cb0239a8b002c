import numpy as np
import pytest
from scipy.optimize import minimize

from codecprobe.verify.calibration import LinearCalibration, calibration_pairs
from codecprobe.verify.metrics import act_dcf, cllr, min_cllr, min_dcf


def gaussian_llrs(rng, n, mu=2.0):
    """Targets N(mu, 2 mu), non-targets N(-mu, 2 mu): each score is exactly its own LLR."""
    labels = np.arange(n) < n // 2
    return np.where(labels, mu, -mu) + np.sqrt(2 * mu) * rng.normal(size=n), labels


def test_hand_computed_cllr():
    labels = np.array([1, 1, 0, 0])
    assert cllr(np.zeros(4), labels) == pytest.approx(1.0, abs=1e-12)  # always abstaining
    # LLR +-log 3 on the right side: each trial costs log2(1 + 1/3)
    assert cllr(np.log(3) * np.array([1, 1, -1, -1]), labels) == pytest.approx(np.log2(4 / 3), abs=1e-12)
    # wrong side: log2(1 + 3) = 2 bits each
    assert cllr(np.log(3) * np.array([-1, -1, 1, 1]), labels) == pytest.approx(2.0, abs=1e-12)
    assert cllr(np.array([np.inf, np.inf, -np.inf, -np.inf]), labels) == 0.0


def test_min_cllr_hand_cases_and_bound():
    labels = np.array([1, 1, 0, 0])
    assert min_cllr(np.array([4.0, 3.0, 2.0, 1.0]), labels) == 0.0  # separable: PAV gives +-inf
    assert min_cllr(np.full(4, 0.7), labels) == pytest.approx(1.0, abs=1e-12)  # useless: one pooled bin
    # scores 1 (target), 2 (non), 3 (target), 4 (target) -> PAV bins {1}: 1, {2, 3}: 1/2, {4}: 1; prior 3/4
    # LLRs: +inf, logit(1/2) - logit(3/4) = -log 3 for both in the pooled bin, +inf
    expected = (np.log2(1 + 3) / 3 + np.log2(1 + 1 / 3)) / 2
    assert min_cllr(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 0, 1, 1])) == pytest.approx(expected, abs=1e-12)
    rng = np.random.default_rng(0)
    scores, labels = gaussian_llrs(rng, 2000)
    for transformed in (scores, 3 * scores - 5, np.exp(scores / 4)):
        assert min_cllr(transformed, labels) <= cllr(scores, labels) + 1e-12
    assert min_cllr(np.exp(scores / 4), labels) == pytest.approx(min_cllr(scores, labels), abs=1e-12)


def test_act_dcf_is_at_least_min_dcf():
    rng = np.random.default_rng(1)
    for _ in range(20):
        scores = rng.normal(size=300) + rng.uniform(-3, 3)
        labels = rng.random(300) < 0.3
        scores = scores + 2 * labels
        for p_target in (0.01, 0.05, 0.5):
            for c_miss, c_fa in ((1, 1), (10, 1)):
                assert act_dcf(scores, labels, p_target, c_miss, c_fa) >= min_dcf(
                    scores, labels, p_target, c_miss, c_fa) - 1e-12


def test_act_dcf_equals_min_dcf_for_calibrated_llrs():
    scores, labels = gaussian_llrs(np.random.default_rng(2), 400_000)
    for p_target in (0.01, 0.05, 0.5):
        assert act_dcf(scores, labels, p_target) == pytest.approx(min_dcf(scores, labels, p_target), abs=0.01)
        # a shifted (miscalibrated) copy decides badly at the same cost
        assert act_dcf(scores + 3, labels, p_target) > min_dcf(scores, labels, p_target) + 0.05
    assert cllr(scores, labels) == pytest.approx(min_cllr(scores, labels), abs=0.01)


def test_linear_calibration_recovers_the_true_llr_map():
    rng = np.random.default_rng(3)
    llrs, labels = gaussian_llrs(rng, 40_000)
    raw = (llrs - 7.0) / 5.0  # an affine distortion: the true map back is 5 s + 7
    calibration = LinearCalibration(C=np.inf).fit(raw, labels)
    assert calibration.slope_ == pytest.approx(5.0, rel=0.03)
    assert calibration.offset_ == pytest.approx(7.0, rel=0.03)
    np.testing.assert_allclose(calibration.transform(raw[:5]), 5.0 * raw[:5] + 7.0, rtol=0.05)


def test_linear_calibration_minimises_the_prior_weighted_cross_entropy():
    """BOSARIS's objective, minimised directly; the class ratio of the calibration set must not matter."""
    rng = np.random.default_rng(4)
    scores = np.r_[rng.normal(1.0, 1.0, 300), rng.normal(-1.0, 1.5, 3000)]
    labels = np.arange(len(scores)) < 300
    prior = 0.2
    plo = np.log(prior / (1 - prior))

    def objective(params, C):  # BOSARIS's plus scikit-learn's penalty on the slope, both divided by C n
        llr = params[0] * scores + params[1]
        cross_entropy = (prior * np.logaddexp(0, -(llr[labels] + plo)).mean()
                         + (1 - prior) * np.logaddexp(0, llr[~labels] + plo).mean())
        return cross_entropy + 0.5 * params[0] ** 2 / (C * len(scores))

    for C in (np.inf, 0.001):
        best = minimize(objective, [1.0, 0.0], args=(C,), method="Nelder-Mead",
                        options={"xatol": 1e-10, "fatol": 1e-14}).x
        calibration = LinearCalibration(prior=prior, C=C).fit(scores, labels)
        np.testing.assert_allclose([calibration.slope_, calibration.offset_], best, rtol=1e-4, atol=1e-5)


def test_separable_calibration_trials_give_a_finite_slope():
    scores = np.r_[np.linspace(1, 2, 50), np.linspace(-2, -1, 200)]
    labels = np.arange(250) < 50
    calibration = LinearCalibration().fit(scores, labels)
    assert 0 < calibration.slope_ < 50 and np.isfinite(calibration.offset_)


@pytest.mark.parametrize("n_per_speaker", [3, 400])
def test_calibration_pairs_are_labelled_right_and_distinct(n_per_speaker):
    speakers = np.repeat(["a", "b", "c", "d"], n_per_speaker)
    first, second, same = calibration_pairs(speakers, max_per_class=500, seed=0)
    assert np.all(first != second)
    np.testing.assert_array_equal(same, speakers[first] == speakers[second])
    assert 0 < same.sum() <= 500 and 0 < (~same).sum() <= 500
    if n_per_speaker == 400:  # sampled, not enumerated: both classes filled
        assert same.sum() == 500 and (~same).sum() == 500
    again = calibration_pairs(speakers, max_per_class=500, seed=0)
    np.testing.assert_array_equal(first, again[0])
