"""What is fitted on the training speakers: moments, k-means, PCA bins, random keys."""
import numpy as np
import pytest

from codecprobe.errors import InputError
from codecprobe.structure.conditioning import (FitSample, KMeans, Normaliser, RandomKeys, RunningMoments, Scheme)
from codecprobe.structure.config import KMeansConfig, SchemeConfig
from codecprobe.structure.frames import Windows


def test_running_moments_match_numpy_over_uneven_chunks():
    rng = np.random.default_rng(0)
    rows = 1e4 + rng.standard_normal((1000, 3)) * [1, 1e-3, 5]  # a large offset: naive sums of squares lose it
    moments = RunningMoments(3)
    for chunk in np.split(rows, [1, 10, 400, 401]):
        moments.add(chunk)
    np.testing.assert_allclose(moments.mean, rows.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(moments.std, rows.std(axis=0), rtol=1e-9)
    constant = RunningMoments(1)
    constant.add(np.full((5, 1), 3.0))
    assert constant.std.tolist() == [1.0]  # a constant dimension is left unscaled


def test_dynamics_of_normalised_frames_normalise_like_raw_dynamics():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((40, 4)) * [1, 2, 3, 4] + [5, 6, 7, 8]
    normaliser = Normaliser(z.mean(0), z.std(0), {2: np.array([0.1, 0.2, 0.3, 0.4])}, {2: np.array([1, 2, 3, 4.0])})
    raw = Windows(z, 3, 2).dynamics(2, "displacement").astype(np.float32)
    from_normalised = Windows(normaliser.frames(z), 3, 2).dynamics(2, "displacement")
    normaliser.normalise_raw_dynamics(2, raw)
    np.testing.assert_allclose(normaliser.dynamics(2, from_normalised), raw, atol=1e-5)
    np.testing.assert_allclose(raw, (Windows(z, 3, 2).dynamics(2, "displacement") - [0.1, 0.2, 0.3, 0.4]) / [1, 2, 3, 4],
                               atol=1e-5)


@pytest.mark.parametrize("backend", ["faiss", "sklearn"])
def test_kmeans_recovers_separated_blobs(backend):
    rng = np.random.default_rng(2)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], float)
    truth = rng.integers(0, 4, 2000)
    x = centres[truth] + 0.3 * rng.standard_normal((2000, 2))
    kmeans = KMeans(4, KMeansConfig(backend=backend, iterations=30, restarts=3), seed=0).fit(x, "blobs")
    keys = kmeans.predict(x)
    # the same partition up to the cluster numbering
    assert len(set(zip(truth.tolist(), keys.tolist()))) == 4
    np.testing.assert_allclose(np.sort(kmeans.centroids[:, 0] * 100 + kmeans.centroids[:, 1]),
                               np.sort(centres[:, 0] * 100 + centres[:, 1]), atol=5)


def test_kmeans_is_reproducible_and_refuses_too_few_points():
    x = np.random.default_rng(3).standard_normal((500, 3))
    first = KMeans(8, KMeansConfig(), seed=5).fit(x, "x").centroids
    np.testing.assert_array_equal(first, KMeans(8, KMeansConfig(), seed=5).fit(x, "x").centroids)
    with pytest.raises(InputError, match="cannot make 8 clusters"):
        KMeans(8, KMeansConfig(), seed=0).fit(x[:5], "tiny")


def test_pca_bins_are_quartiles_of_each_component_as_mixed_radix_keys():
    rng = np.random.default_rng(4)
    flat = rng.standard_normal((4000, 6)) * [5, 2, 0.1, 0.1, 0.1, 0.1]
    sample = FitSample(flat.astype(np.float32), {1: np.zeros((4000, 3), np.float32)}, window=2)
    scheme = Scheme(SchemeConfig("q", "pca_bins", pca_dims=2, bins=4), sample, {}, KMeansConfig(), seed=0)
    projected = scheme.pca.sample(sample)
    digits = [np.digitize(projected[:, j], np.quantile(projected[:, j], [0.25, 0.5, 0.75])) for j in range(2)]
    np.testing.assert_array_equal(scheme.sample_keys, digits[0] + 4 * digits[1])
    assert np.bincount(scheme.sample_keys % 4).tolist() == [1000] * 4  # equal-count bins per component
    assert scheme.n_keys == 16


def test_random_keys_keep_the_key_frequencies_and_are_seeded_per_utterance():
    class Fitted:
        name = "s"
        sample_keys = np.array([3] * 700 + [7] * 300)

    random = RandomKeys(Fitted(), seed=0, index=0)
    keys = random.keys("utt1", 20000)
    assert set(np.unique(keys).tolist()) == {3, 7}
    assert np.mean(keys == 3) == pytest.approx(0.7, abs=0.02)
    np.testing.assert_array_equal(keys, random.keys("utt1", 20000))  # any pass, any order: same keys
    assert not np.array_equal(keys[:50], random.keys("utt2", 50))
