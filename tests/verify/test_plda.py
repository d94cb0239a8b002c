import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.utils.estimator_checks import parametrize_with_checks

from codecprobe.verify.metrics import eer
from codecprobe.verify.plda import TwoCovariancePLDA


@parametrize_with_checks([TwoCovariancePLDA(n_components=3, n_iter=2)])
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


def random_spd(rng, dim, scale):
    A = rng.normal(size=(dim, dim))
    return scale * (A @ A.T / dim + 0.2 * np.eye(dim))


def two_covariance_sample(rng, mu, between, within, n_speakers, per_speaker):
    y = np.repeat(np.arange(n_speakers), per_speaker)
    speakers = rng.multivariate_normal(np.zeros(len(mu)), between, size=n_speakers)
    noise = rng.multivariate_normal(np.zeros(len(mu)), within, size=len(y))
    return mu + speakers[y] + noise, y


def test_em_recovers_the_generating_covariances():
    rng = np.random.default_rng(0)
    dim = 4
    mu, between, within = rng.normal(size=dim), random_spd(rng, dim, 2.0), random_spd(rng, dim, 0.5)
    X, y = two_covariance_sample(rng, mu, between, within, n_speakers=2000, per_speaker=5)
    plda = TwoCovariancePLDA(reduction="none", length_norm=False, n_iter=20).fit(X, y)
    # 2,000 speakers: B's sampling error ~ sqrt(2/2000) relative, W's ~ sqrt(2/8000)
    np.testing.assert_allclose(plda.between_covariance_, between, atol=0.1 * np.abs(between).max())
    np.testing.assert_allclose(plda.within_covariance_, within, atol=0.05 * np.abs(within).max())
    np.testing.assert_allclose(plda.mean_, mu, atol=0.1 * np.sqrt(np.diag(between)).max())


def test_llr_equals_the_direct_gaussian_computation():
    rng = np.random.default_rng(1)
    dim = 3
    X, y = two_covariance_sample(rng, rng.normal(size=dim), random_spd(rng, dim, 1.0), random_spd(rng, dim, 0.3),
                                 n_speakers=12, per_speaker=4)
    plda = TwoCovariancePLDA(reduction="none", length_norm=False, n_iter=3).fit(X, y)
    mu, B, W = plda.mean_, plda.between_covariance_, plda.within_covariance_
    same = multivariate_normal(np.r_[mu, mu], np.block([[B + W, B], [B, B + W]]))
    single = multivariate_normal(mu, B + W)
    pairs = rng.normal(size=(6, 2, dim)) + mu
    expected = [same.logpdf(np.r_[a, b]) - single.logpdf(a) - single.logpdf(b) for a, b in pairs]
    flat = pairs.reshape(-1, dim)
    got = plda.score_trials(flat, np.arange(0, 12, 2), np.arange(1, 12, 2))
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())


def test_llr_is_symmetric_and_separates_speakers_after_preprocessing():
    rng = np.random.default_rng(2)
    dim = 10
    X, y = two_covariance_sample(rng, 20 * np.eye(dim)[0], random_spd(rng, dim, 1.0), random_spd(rng, dim, 0.2),
                                 n_speakers=30, per_speaker=6)
    train, evaluated = y < 20, y >= 20
    plda = TwoCovariancePLDA(n_components=8).fit(X[train], y[train])
    Z, z = X[evaluated], y[evaluated]
    first, second = np.triu_indices(len(z), k=1)
    forward = plda.score_trials(Z, first, second)
    np.testing.assert_allclose(forward, plda.score_trials(Z, second, first), rtol=1e-9, atol=1e-9)
    assert plda.transform(Z).shape == (len(z), 8)
    assert eer(forward, z[first] == z[second]) < 0.1


def test_one_speaker_is_refused():
    with pytest.raises(ValueError, match="at least 2 training speakers"):
        TwoCovariancePLDA().fit(np.random.default_rng(0).normal(size=(5, 3)), [0] * 5)


@pytest.mark.parametrize("reduction, dims", [("lda", 4), ("pca", 45)])
def test_reduction_stays_within_what_the_training_speakers_support(reduction, dims):
    """50 segments of 5 speakers in 256 dims (GE2E on a 5-speaker half of LibriSpeech): LDA keeps speakers - 1
    dims; PCA whitening at most the within-speaker rank, segments minus speakers."""
    rng = np.random.default_rng(3)
    y = np.repeat(np.arange(5), 10)
    X = rng.normal(size=(5, 256))[y] + 0.5 * rng.normal(size=(50, 256))
    plda = TwoCovariancePLDA(n_components=64, reduction=reduction).fit(X, y)
    assert plda.transform(X).shape == (50, dims)
    assert np.all(np.isfinite(plda.score_trials(X, [0, 1], [2, 30])))


def test_pca_reduction_needs_more_segments_than_speakers_and_unknown_reductions_are_refused():
    X, y = np.random.default_rng(0).normal(size=(5, 8)), np.arange(5)
    with pytest.raises(ValueError, match="more training segments than speakers"):
        TwoCovariancePLDA(reduction="pca").fit(X, y)
    with pytest.raises(ValueError, match="reduction must be 'lda', 'pca' or 'none'"):
        TwoCovariancePLDA(reduction="ica").fit(X, y)


def test_two_training_speakers_give_one_dim_without_length_normalisation():
    """LDA on 2 speakers keeps 1 dim; length-normalising it would leave only the sign (every score alike)."""
    rng = np.random.default_rng(4)
    y = np.repeat([0, 1], 10)
    X = rng.normal(size=(2, 6))[y] + 0.3 * rng.normal(size=(20, 6))
    plda = TwoCovariancePLDA().fit(X, y)
    U = plda.transform(X)
    assert U.shape == (20, 1) and len(np.unique(np.round(np.abs(U), 9))) > 2
