import numpy as np
import pytest
from sklearn.decomposition import PCA

from codecprobe.verify.diagnostics import Diagnostics, diagnose

# unit vectors: a1 . a2 = b1 . b2 = 0.8 (same speaker, other text); a1 . b1 = a2 . b2 = 0.6 (same text)
X = np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8], [0.0, 1.0]])
SPEAKERS = ["a", "a", "b", "b"]
TEXTS = ["one", "two", "one", "two"]


def test_hand_computed_diagnostics():
    d = diagnose(X, SPEAKERS, TEXTS)
    assert d.intra_voice == pytest.approx(0.8)
    assert d.inter_voice == pytest.approx(0.6)
    assert d.acoustics_score == pytest.approx(0.2)
    assert d.consistency == pytest.approx(0.8)
    # centroids (.9, .3) and (.3, .9): sqrt(.72) apart; every point sqrt(.1) from its own
    assert d.separability == pytest.approx(np.sqrt(7.2))
    # per channel: speaker means' variance .09 over mean within-speaker variance (.01 + .09) / 2
    np.testing.assert_allclose(d.fisher, [1.8, 1.8])
    assert (d.n_segments, d.n_speakers) == (4, 2)


def test_without_text_or_same_text_pairs_there_is_no_acoustics_score():
    assert diagnose(X, SPEAKERS).acoustics_score is None
    assert diagnose(X, SPEAKERS, ["w", "x", "y", "z"]).acoustics_score is None


def test_explained_variance_matches_sklearn_pca():
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(40, 6)) * [5, 3, 2, 1, 0.5, 0.1]
    d = diagnose(Y, np.repeat(["p", "q", "r", "s"], 10))
    np.testing.assert_allclose(d.explained_variance_ratio, PCA().fit(Y).explained_variance_ratio_, atol=1e-12)


def test_effective_dimensions_and_participation_ratio():
    d = Diagnostics(None, None, None, 1.0, 1.0, np.ones(4), np.array([0.5, 0.3, 0.15, 0.05]), 4, 2)
    assert (d.effective_dims(0.90), d.effective_dims(0.95), d.effective_dims(0.99)) == (3, 3, 4)
    assert d.participation_ratio == pytest.approx(1 / 0.365)


def test_needs_two_speakers_and_a_same_speaker_pair():
    with pytest.raises(ValueError, match="two speakers"):
        diagnose(X, ["a"] * 4)
    with pytest.raises(ValueError, match="two segments"):
        diagnose(X, ["a", "b", "c", "d"])
