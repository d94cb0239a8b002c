import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from codecprobe.verify.backends import (
    AdaptiveSNorm, CenterLengthNorm, LDAProjection, LinearProbe, PCAWhitening, RawCosine, build_backend, cosine_pairs,
)


@parametrize_with_checks([RawCosine(), CenterLengthNorm(), PCAWhitening(n_components=2), LDAProjection(),
                          LinearProbe(max_epochs=3), AdaptiveSNorm(top_k=5)])
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


def speakers_with_shared_offset(n_speakers=6, per_speaker=20, dim=16, seed=0):
    """Speaker means of size 1 around a shared offset of size 50: like pooled codec latents."""
    rng = np.random.default_rng(seed)
    offset = 50 * np.eye(dim)[0]
    means = rng.normal(size=(n_speakers, dim))
    y = np.repeat(np.arange(n_speakers), per_speaker)
    X = offset + means[y] + 0.3 * rng.normal(size=(len(y), dim))
    return X, y


def all_pairs(y):
    first, second = np.triu_indices(len(y), k=1)
    return first, second, y[first] == y[second]


def test_centering_removes_the_shared_direction_that_flattens_raw_cosine():
    X, y = speakers_with_shared_offset()
    X_train, X_test, y_test = X[y < 3], X[y >= 3], y[y >= 3]
    first, second, same = all_pairs(y_test)
    raw = RawCosine().fit(X_train).score_trials(X_test, first, second)
    centered = CenterLengthNorm().fit(X_train).score_trials(X_test, first, second)
    assert raw.min() > 0.98  # every pair looks alike
    assert raw[same].mean() - raw[~same].mean() < 0.02
    assert centered[same].mean() - centered[~same].mean() > 0.5


def test_pca_whitening_gives_identity_covariance_on_training_data_and_clips_k():
    X, y = speakers_with_shared_offset(dim=8)
    backend = PCAWhitening(n_components=500).fit(X)
    assert backend.n_components_ == 8
    Z = backend.transform(X)
    np.testing.assert_allclose(np.cov(Z, rowvar=False), np.eye(8), atol=1e-8)


def test_lda_has_at_most_n_speakers_minus_one_dims():
    X, y = speakers_with_shared_offset(n_speakers=4)
    assert LDAProjection().fit(X, y).transform(X).shape == (len(y), 3)


def test_linear_probe_loss_falls_and_it_learns_separable_speakers():
    X, y = speakers_with_shared_offset()
    probe = LinearProbe(max_epochs=60, batch_size=32).fit(X, y)
    assert probe.loss_curve_[-1] < 0.5 * probe.loss_curve_[0]
    assert probe.training_accuracy_ == 1.0
    assert probe.transform(X).shape == (len(y), 6)
    np.testing.assert_allclose(probe.transform(X[:3]), ((X[:3] - probe.mean_) / probe.scale_) @ probe.coef_.T)


def test_linear_probe_is_reproducible_with_its_seed():
    X, y = speakers_with_shared_offset()
    a = LinearProbe(max_epochs=5, seed=1).fit(X, y).coef_
    b = LinearProbe(max_epochs=5, seed=1).fit(X, y).coef_
    c = LinearProbe(max_epochs=5, seed=2).fit(X, y).coef_
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_asnorm_hand_computed():
    # cohort = the two unit axes; enroll [1,0] and test [0,1] both score {1, 0} against it:
    # mean .5, sd .5, raw cosine 0 -> ((0-.5)/.5 + (0-.5)/.5) / 2 = -1; [1,0] vs [2,0]: raw 1 -> +1
    backend = AdaptiveSNorm(backend=RawCosine(), top_k=2).fit(np.array([[1.0, 0.0], [0.0, 1.0]]), ["a", "b"])
    X = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]])
    np.testing.assert_allclose(backend.score_trials(X, [0, 0], [1, 2]), [-1.0, 1.0])


def test_build_backend_names():
    assert isinstance(build_backend("pca", n_components=3), PCAWhitening)
    with pytest.raises(ValueError, match="unknown back-end"):
        build_backend("gplda")


def test_cosine_pairs_gram_and_gather_paths_agree():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 8)) + 3.0
    enroll, test = rng.integers(0, 30, 5000), rng.integers(0, 30, 5000)  # 900 <= 32 * 5000: Gram path
    expected = np.array([X[a] @ X[b] / np.linalg.norm(X[a]) / np.linalg.norm(X[b]) for a, b in zip(enroll, test)])
    np.testing.assert_allclose(cosine_pairs(X, enroll, test), expected, atol=1e-6)
    np.testing.assert_allclose(cosine_pairs(X, enroll[:20], test[:20]), expected[:20], atol=1e-12)  # gather path
