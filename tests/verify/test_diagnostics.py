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
    d = Diagnostics(None, None, None, 1.0, 1.0, 0.0, np.ones(4), np.array([0.5, 0.3, 0.15, 0.05]), 4, 2)
    assert (d.effective_dims(0.90), d.effective_dims(0.95), d.effective_dims(0.99)) == (3, 3, 4)
    assert d.participation_ratio == pytest.approx(1 / 0.365)


def test_needs_two_speakers_and_a_same_speaker_pair():
    with pytest.raises(ValueError, match="two speakers"):
        diagnose(X, ["a"] * 4)
    with pytest.raises(ValueError, match="two segments"):
        diagnose(X, ["a", "b", "c", "d"])


def pairwise_diagnostics(X, speakers, texts, weights=None):
    """The definitions, pair by pair (the old implementation's n^2 memory), with speaker multiplicities."""
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    speakers, texts = np.asarray(speakers), np.asarray(texts)
    names = sorted(set(speakers))
    m = dict(zip(names, np.ones(len(names)) if weights is None else weights))
    sums = {"same": [0.0, 0.0], "diff": [0.0, 0.0], "intra": [0.0, 0.0], "inter": [0.0, 0.0]}
    for i in range(len(X)):
        for j in range(i + 1, len(X)):
            same = speakers[i] == speakers[j]
            w = m[speakers[i]] if same else m[speakers[i]] * m[speakers[j]]
            cos = unit[i] @ unit[j]
            keys = ["same" if same else "diff"]
            if same and texts[i] != texts[j]:
                keys.append("intra")
            if not same and texts[i] == texts[j]:
                keys.append("inter")
            for key in keys:
                sums[key][0] += w * cos
                sums[key][1] += w
    means = {key: total / count for key, (total, count) in sums.items()}
    centroid = {s: X[speakers == s].mean(axis=0) for s in names}
    between = sum(m[a] * m[b] * np.linalg.norm(centroid[a] - centroid[b]) for a in names for b in names if a < b) / \
        sum(m[a] * m[b] for a in names for b in names if a < b)
    within = sum(m[s] * np.linalg.norm(x - centroid[s]) for x, s in zip(X, speakers)) / sum(m[s] for s in speakers)
    return means, between / within


@pytest.mark.parametrize("weights", [None, [2.0, 0.0, 1.0, 1.0], [1.0, 3.0, 0.0, 0.0]])
def test_group_sums_equal_the_pairwise_definitions(weights):
    """Item 13: no pair is ever materialised, yet every figure is the pairwise one (bootstrap weights too)."""
    from codecprobe.verify.diagnostics import _PairSums

    rng = np.random.default_rng(1)
    speakers = np.repeat(["p", "q", "r", "s"], [5, 3, 4, 6])
    texts = rng.choice(["one", "two", "three"], size=len(speakers))
    X = rng.normal(size=(len(speakers), 7)) + np.repeat(rng.normal(size=(4, 7)), [5, 3, 4, 6], axis=0)
    means, separability = pairwise_diagnostics(X, speakers, texts, weights)
    speaker_index = np.unique(speakers, return_inverse=True)[1]
    text_index = np.unique(texts, return_inverse=True)[1]
    got = _PairSums(X, speaker_index, text_index).statistics(np.ones(4) if weights is None else np.array(weights))
    assert got["consistency"] == pytest.approx(means["same"])
    assert got["different_speakers"] == pytest.approx(means["diff"])
    assert got["intra_voice"] == pytest.approx(means["intra"])
    assert got["inter_voice"] == pytest.approx(means["inter"])
    assert got["separability"] == pytest.approx(separability)


def test_bootstrap_intervals_bracket_the_estimate_and_narrow_with_more_speakers():
    """Item 3: intervals by bootstrap over speakers, wider for few speakers than for many."""
    rng = np.random.default_rng(2)

    def interval_width(n_speakers):
        centres = rng.normal(size=(n_speakers, 8))
        speakers = np.repeat(np.arange(n_speakers), 6)
        X = centres[speakers] + 0.7 * rng.normal(size=(len(speakers), 8))
        d = diagnose(X, speakers, replicates=200, seed=0)
        low, high = d.intervals["consistency"]
        assert low <= d.consistency <= high and set(d.intervals) == {"separability", "consistency"}
        return high - low

    assert interval_width(40) < interval_width(4)
