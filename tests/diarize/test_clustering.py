"""Clustering of speaker embeddings: known speakers recovered and counted, requested counts met, bounded cost."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import adjusted_rand_score

from codecprobe.diarize.clustering import SpeakerCount, cluster_embeddings, weighted_centroid_linkage
from codecprobe.diarize.config import ClusteringConfig


def separable(n_speakers: int, per_speaker: int = 30, dim: int = 32, noise: float = 0.35, seed: int = 0):
    """Embeddings of ``n_speakers`` random directions plus noise, speakers interleaved in turns of 5."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_speakers, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    turns = np.repeat(rng.permutation(np.tile(np.arange(n_speakers), per_speaker // 5)), 5)
    vectors = centres[turns] + noise / np.sqrt(dim) * rng.standard_normal((len(turns), dim))
    return vectors, turns


@pytest.mark.parametrize("method", ["ahc", "spectral"])
@pytest.mark.parametrize("n_speakers", [1, 2, 3, 5, 8])
def test_recovers_known_speakers_and_their_number(method, n_speakers):
    vectors, truth = separable(n_speakers, seed=n_speakers)
    clusters = cluster_embeddings(vectors, ClusteringConfig(method=method))
    assert clusters.n_speakers == n_speakers and clusters.estimated
    assert adjusted_rand_score(truth, clusters.labels) == 1.0 or n_speakers == 1
    assert (clusters.labels == 0).all() or n_speakers > 1
    # labels in order of first appearance, centroids unit length
    assert clusters.labels[0] == 0 and np.all(np.diff(np.maximum.accumulate(clusters.labels)) <= 1)
    np.testing.assert_allclose(np.linalg.norm(clusters.centroids, axis=1), 1.0)


@pytest.mark.parametrize("method", ["ahc", "spectral"])
def test_requested_and_bounded_counts_are_met(method):
    vectors, _ = separable(5, seed=11)
    config = ClusteringConfig(method=method)
    assert cluster_embeddings(vectors, config, SpeakerCount(num=3)).n_speakers == 3
    assert cluster_embeddings(vectors, config, SpeakerCount(num=7)).n_speakers == 7
    assert not cluster_embeddings(vectors, config, SpeakerCount(num=3)).estimated
    assert cluster_embeddings(vectors, config, SpeakerCount(minimum=6)).n_speakers >= 6
    assert cluster_embeddings(vectors, config, SpeakerCount(maximum=4)).n_speakers <= 4
    one, _ = separable(1, seed=2)
    assert cluster_embeddings(one, config, SpeakerCount(minimum=2)).n_speakers == 2


def test_small_clusters_join_the_nearest_large_one():
    vectors, truth = separable(2, per_speaker=40, seed=4)
    outlier = -vectors[:1]  # one embedding far from both speakers: a cluster of its own at any threshold
    clusters = cluster_embeddings(np.concatenate([vectors, outlier]), ClusteringConfig(min_cluster_size=5))
    assert clusters.n_speakers == 2
    assert adjusted_rand_score(truth, clusters.labels[:-1]) == 1.0


@pytest.mark.parametrize("method", ["ahc", "spectral"])
def test_many_embeddings_are_reduced_first_with_the_same_answer(method):
    vectors, truth = separable(4, per_speaker=600, seed=5)  # 2400 embeddings
    config = ClusteringConfig(method=method, max_points=300, spectral_max_points=300, chunk_size=200, chunk_clusters=20)
    clusters = cluster_embeddings(vectors, config)
    assert clusters.n_clustered <= 300 < len(vectors)
    assert clusters.n_speakers == 4 and adjusted_rand_score(truth, clusters.labels) == 1.0


def test_degenerate_inputs():
    config = ClusteringConfig()
    empty = cluster_embeddings(np.zeros((0, 8)), config)
    assert empty.n_speakers == 0 and len(empty.labels) == 0
    single = cluster_embeddings(np.ones((1, 8)), config)
    assert single.n_speakers == 1 and single.labels.tolist() == [0]


def test_weighted_linkage_equals_scipy_on_the_points_repeated_by_their_weights():
    rng = np.random.default_rng(1)
    points = rng.standard_normal((40, 8))
    weights = rng.integers(1, 5, 40)
    ours = weighted_centroid_linkage(points, weights.astype(float))
    repeated = linkage(np.repeat(points, weights, axis=0), method="centroid")
    owner = np.repeat(np.arange(40), weights)
    for threshold in (1.0, 2.0, 3.0, 4.0):
        theirs = fcluster(repeated, threshold, criterion="distance")
        assert all(len(set(theirs[owner == k])) == 1 for k in range(40))  # copies of a point merge at 0
        assert adjusted_rand_score(fcluster(ours, threshold, criterion="distance"),
                                   [theirs[owner == k][0] for k in range(40)]) == 1.0
    unit = weighted_centroid_linkage(points, np.ones(40))
    np.testing.assert_allclose(unit, linkage(points, method="centroid"))


def test_a_registered_method_is_one_class_and_is_chosen_by_name(monkeypatch):
    from codecprobe.diarize import clustering

    monkeypatch.setattr(clustering, "METHODS", dict(clustering.METHODS))  # the registration ends with the test

    @clustering.register_method("halves")
    class Halves(clustering.ClusteringMethod):
        """First half of the points one speaker, second half another."""

        def max_points(self, config):
            return config.max_points

        def cluster(self, points, weights, config, count):
            return (np.arange(len(points)) >= len(points) // 2).astype(np.int64)

    vectors, _ = separable(3, seed=3)
    clusters = cluster_embeddings(vectors, ClusteringConfig(method="halves"))
    assert clusters.labels.tolist() == [0] * 45 + [1] * 45
    with pytest.raises(ValueError, match="registered twice"):
        clustering.register_method("halves")(Halves)


def test_an_unknown_method_is_refused_when_the_config_is_built():
    from codecprobe.config import load_config
    from codecprobe.diarize.config import DiarizeConfig
    from codecprobe.errors import InputError

    with pytest.raises(InputError, match="clustering method 'kmeans' is not one of ahc, spectral"):
        load_config(DiarizeConfig, None, ["classic.clustering.method=kmeans"])


def test_both_pipelines_use_the_configs_default_threshold():
    from codecprobe.diarize.config import DiarizeConfig

    config = DiarizeConfig()
    assert config.classic.clustering.threshold == config.adapter.clustering.threshold == ClusteringConfig().threshold
