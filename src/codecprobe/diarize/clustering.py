"""Speaker embeddings to global speakers, with an estimate of how many there are.

Methods are registered by name (:func:`register_method`) and chosen by
:class:`~codecprobe.diarize.config.ClusteringConfig`'s ``method``; two ship:

- ``ahc``: pyannote.audio's ``AgglomerativeClustering`` (pipelines/clustering.py):
  centroid linkage on L2-normalised embeddings cut at a distance threshold;
  clusters smaller than ``min_cluster_size`` (at most 10 % of the embeddings) join the
  nearest large one. A requested count (or one outside ``[min, max]``) is met by cutting
  the dendrogram elsewhere, trying cuts in order of their distance to the threshold; when
  no cut has that many large clusters, by cutting to that many clusters of any size.
- ``spectral``: Google's ``spectralcluster`` with its eigengap count estimate and
  auto-tuned row-wise thresholding (the "Turn-to-diarize" configuration of its README,
  without the refinements that assume time order, which pre-clustering breaks). Its
  eigengap cannot say "one speaker" (on one speaker it finds several), so whether there
  is one is decided by its fallback option: average-linkage AHC at
  ``single_speaker_threshold`` finding a single cluster.

Cost. scipy's linkage holds all n(n-1)/2 distances: 0.5 GB at 11 k embeddings (1 h with
a 1 s step), 7.5 GB at 43 k (pyannote on 4 h). Here at most ``max_points`` vectors reach
that step (``spectral_max_points`` for spectral clustering, whose auto-tuning runs a dense
eigendecomposition, cubic in the points, for each of about a dozen thresholds). Beyond
that the embeddings, in time order, are first reduced chunk by chunk (``chunk_size``
consecutive embeddings -> ``chunk_clusters`` means by weighted k-means, repeated until few
enough remain), the reduction of NeMo's long-form clustering. The cost is then linear in
the number of embeddings: O(n * chunk_clusters) time, O(chunk_size * chunk_clusters +
max_points^2) memory. spectralcluster's own ``max_spectral_size`` does not bound memory
(it runs scikit-learn's complete-linkage AHC over all n embeddings first), hence the
reduction here. A pre-cluster is the mean of its embeddings and carries their number as a
weight, and the linkage of the means is weighted (:func:`weighted_centroid_linkage`; scipy's
has no weights), so a cut of the reduced tree sees the same centroid distances as a cut of
the full one would: the threshold means the same at any length.

Adding a method is one class and one registration: subclass :class:`ClusteringMethod`
(how many points it takes, and weighted points to labels), decorate it with
``@register_method("name")``, and ``--set classic.clustering.method=name`` uses it; the
reduction, the speaker count and the relabelling around it are shared.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from codecprobe.diarize.config import BUILTIN_METHODS, ClusteringConfig


@dataclass(frozen=True)
class SpeakerCount:
    """What is known of the number of speakers: exactly ``num``, or within ``[minimum, maximum]``."""

    num: int | None = None
    minimum: int = 1
    maximum: int | None = None


@dataclass
class Clusters:
    labels: np.ndarray  # [n] global speaker per embedding, numbered in order of first appearance
    centroids: np.ndarray  # [k, D] mean of each speaker's L2-normalised embeddings
    estimated: bool  # True when the count was estimated, False when it was given
    n_clustered: int  # vectors that reached the quadratic step (after pre-clustering)

    @property
    def n_speakers(self) -> int:
        return len(self.centroids)


def cluster_embeddings(embeddings: np.ndarray, config: ClusteringConfig,
                       count: SpeakerCount = SpeakerCount()) -> Clusters:
    """Cluster ``[n, D]`` embeddings (time order) into speakers.

    >>> rng = np.random.default_rng(0)
    >>> speakers = rng.standard_normal((3, 16))
    >>> embeddings = np.repeat(speakers, 20, axis=0) + 0.1 * rng.standard_normal((60, 16))
    >>> clusters = cluster_embeddings(embeddings, ClusteringConfig())
    >>> clusters.n_speakers, np.bincount(clusters.labels).tolist()
    (3, [20, 20, 20])
    """
    vectors = _unit(np.asarray(embeddings, dtype=np.float64))
    n = len(vectors)
    if n == 0:
        return Clusters(np.zeros(0, np.int64), np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 0)), True, 0)
    method = METHODS[config.method]
    with threadpool_limits(1):  # many small k-means and eigenproblems: threads only add contention
        points, weights, members = _reduce(vectors, config, method.max_points(config))
    point_labels = np.zeros(1, np.int64) if len(points) == 1 else method.cluster(points, weights, config, count)
    labels = _first_appearance_order(point_labels[members])
    centroids = _unit(np.stack([vectors[labels == k].mean(axis=0) for k in range(labels.max() + 1)]))
    return Clusters(labels, centroids, estimated=count.num is None, n_clustered=len(points))


class ClusteringMethod(abc.ABC):
    """One clustering method: weighted points to speaker labels."""

    @abc.abstractmethod
    def max_points(self, config: ClusteringConfig) -> int:
        """How many points may reach :meth:`cluster`; more embeddings are reduced first (module docstring)."""

    @abc.abstractmethod
    def cluster(self, points: np.ndarray, weights: np.ndarray, config: ClusteringConfig,
                count: SpeakerCount) -> np.ndarray:
        """0-based labels of ``[m, D]`` points (m >= 2), each the mean of ``weights[i]`` unit embeddings."""


METHODS: dict[str, ClusteringMethod] = {}


def register_method(name: str):
    """Class decorator: ``ClusteringConfig(method=name)`` clusters with an instance of the class."""
    def decorator(cls: type[ClusteringMethod]) -> type[ClusteringMethod]:
        if name in METHODS:
            raise ValueError(f"clustering method {name!r} registered twice")
        METHODS[name] = cls()
        return cls

    return decorator


@register_method("ahc")
class Agglomerative(ClusteringMethod):
    """pyannote.audio's AgglomerativeClustering, with weighted points (module docstring)."""

    def max_points(self, config: ClusteringConfig) -> int:
        return config.max_points

    def cluster(self, points, weights, config, count):
        return _ahc(points, weights, config, count)


@register_method("spectral")
class Spectral(ClusteringMethod):
    """spectralcluster's Turn-to-diarize configuration; AHC below ``spectral_min_embeddings`` points."""

    def max_points(self, config: ClusteringConfig) -> int:
        return config.spectral_max_points

    def cluster(self, points, weights, config, count):
        if len(points) < config.spectral_min_embeddings:
            return _ahc(points, weights, config, count)
        with threadpool_limits(1):
            return _spectral(_unit(points), config, count)


if not set(BUILTIN_METHODS) <= set(METHODS):
    raise RuntimeError("diarize.config.BUILTIN_METHODS names a method this module does not register")


def _reduce(vectors: np.ndarray, config: ClusteringConfig, max_points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At most ``max_points`` weighted points standing for ``vectors``: ``(points, weights, members)``.

    ``members[i]`` is the point that stands for ``vectors[i]``; a point is the mean of the
    vectors it stands for (not renormalised) and its weight counts them, so the weighted
    centroid linkage of the points gives exactly the centroid distances the linkage of the
    vectors themselves would, for every cluster made of whole points.
    """
    points, weights, members = vectors, np.ones(len(vectors)), np.arange(len(vectors))
    while len(points) > max_points:
        new_points, new_weights, mapping = [], [], np.empty(len(points), np.int64)
        for first in range(0, len(points), config.chunk_size):
            chunk = slice(first, first + config.chunk_size)
            labels = _pre_cluster(points[chunk], weights[chunk], config.chunk_clusters)
            for k in range(labels.max() + 1):
                inside = labels == k
                weight = weights[chunk][inside]
                mapping[np.flatnonzero(inside) + first] = len(new_points)
                new_points.append((points[chunk][inside] * weight[:, None]).sum(axis=0) / weight.sum())
                new_weights.append(weight.sum())
        points, weights, members = np.stack(new_points), np.asarray(new_weights), mapping[members]
    return points, weights, members


def weighted_centroid_linkage(points: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Centroid-linkage AHC of points that stand for ``weights`` observations each, as a scipy linkage matrix.

    Two clusters are as far apart as the Euclidean distance between their weighted means;
    merging updates distances by the Lance-Williams formula with the clusters' weights.
    With unit weights this is scipy's ``linkage(points, "centroid")``, which has no weights
    (a pre-clustered point would count as one observation and pull merged centroids
    towards itself). Column 3 counts points, as scipy's does. Each cluster's nearest
    neighbour is kept and only re-searched when it merged (the generic algorithm of
    Müllner 2011, as in scipy): O(n^2) memory, about O(n^2) time, for the at most
    ``max_points`` points that reach it.

    >>> points = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0]])
    >>> weighted_centroid_linkage(points, np.array([3.0, 1.0, 1.0])).round(3).tolist()
    [[0.0, 1.0, 1.0, 2.0], [2.0, 3.0, 9.75, 3.0]]
    """
    if np.all(weights == 1):  # the same tree, from scipy's compiled code
        return linkage(points, method="centroid", metric="euclidean")
    n = len(points)
    norms = np.square(points).sum(axis=1)
    squared = np.maximum(norms[:, None] + norms[None, :] - 2 * points @ points.T, 0.0)
    np.fill_diagonal(squared, np.inf)
    size, count, ids = weights.astype(np.float64).copy(), np.ones(n), np.arange(n)
    nearest = squared.argmin(axis=1)  # each cluster's nearest neighbour, kept up to date
    nearest_squared = squared[np.arange(n), nearest]
    dendrogram = np.empty((max(n - 1, 0), 4))
    for step in range(n - 1):
        i = int(np.argmin(nearest_squared))
        j = int(nearest[i])
        i, j = min(i, j), max(i, j)
        height = squared[i, j]
        merged = (size[i] * squared[i] + size[j] * squared[j]) / (size[i] + size[j]) \
            - size[i] * size[j] * height / (size[i] + size[j]) ** 2
        dendrogram[step] = [min(ids[i], ids[j]), max(ids[i], ids[j]), np.sqrt(max(height, 0.0)), count[i] + count[j]]
        squared[i, :] = squared[:, i] = np.maximum(merged, 0.0)
        squared[j, :] = squared[:, j] = np.inf
        squared[i, i] = np.inf
        size[i], count[i], ids[i] = size[i] + size[j], count[i] + count[j], n + step
        nearest_squared[j] = np.inf
        # clusters whose nearest neighbour was i or j, and i itself, look again; others only compare with i
        stale = np.flatnonzero((nearest == i) | (nearest == j))
        stale = np.union1d(stale[np.isfinite(nearest_squared[stale])], [i])
        nearest[stale] = squared[stale].argmin(axis=1)
        nearest_squared[stale] = squared[stale, nearest[stale]]
        closer = squared[:, i] < nearest_squared
        nearest[closer], nearest_squared[closer] = i, squared[closer, i]
    return dendrogram


def _cut(points: np.ndarray, weights: np.ndarray, n_clusters: int) -> np.ndarray:
    """Weighted centroid-linkage AHC cut to at most ``n_clusters`` clusters (0-based labels)."""
    if len(points) <= n_clusters:
        return np.arange(len(points))
    return fcluster(_by_merge_order(weighted_centroid_linkage(points, weights)), n_clusters, criterion="maxclust") - 1


def _pre_cluster(points: np.ndarray, weights: np.ndarray, n_clusters: int) -> np.ndarray:
    """Weighted k-means of one chunk into at most ``n_clusters`` groups (0-based labels, seeded).

    k-means, not a cut of the AHC tree: a tree cut to a fixed count spends the count on
    isolated outliers (windows across a change of speaker) and merges everything else.
    """
    if len(points) <= n_clusters:
        return np.arange(len(points))
    return KMeans(n_clusters, n_init=1, random_state=0).fit(points, sample_weight=weights).labels_


def _ahc(points: np.ndarray, weights: np.ndarray, config: ClusteringConfig, count: SpeakerCount) -> np.ndarray:
    """pyannote.audio's AgglomerativeClustering.cluster, with weighted cluster sizes."""
    dendrogram = weighted_centroid_linkage(points, weights)
    labels = fcluster(dendrogram, config.threshold, criterion="distance") - 1
    min_size = min(config.min_cluster_size, max(1, round(0.1 * weights.sum())))
    n_large = _n_large(labels, weights, min_size)
    target = count.num
    if target is None and n_large < count.minimum:
        target = count.minimum
    elif target is None and count.maximum is not None and n_large > count.maximum:
        target = count.maximum
    if target is not None and n_large != target:
        labels = _cut_to_count(dendrogram, config.threshold, weights, min_size, target)
        if labels is None:  # no cut has that many large clusters: cut to that many clusters of any size
            return _cut(points, weights, target)
    return _merge_small(points, weights, labels, min_size)


def _cut_to_count(dendrogram: np.ndarray, threshold: float, weights: np.ndarray, min_size: float,
                  target: int) -> np.ndarray | None:
    """Of the cuts with ``target`` large clusters, the one nearest to the threshold (None if none has)."""
    by_order = _by_merge_order(dendrogram)
    for merge in np.argsort(np.abs(dendrogram[:, 2] - threshold), kind="stable"):
        labels = fcluster(by_order, merge, criterion="distance") - 1  # merges 0 .. merge done
        if _n_large(labels, weights, min_size) == target:
            return labels
    return None


def _by_merge_order(dendrogram: np.ndarray) -> np.ndarray:
    """The same tree with merge heights replaced by merge indices (monotonic, unlike centroid heights)."""
    ordered = dendrogram.copy()
    ordered[:, 2] = np.arange(len(dendrogram))
    return ordered


def _n_large(labels: np.ndarray, weights: np.ndarray, min_size: float) -> int:
    return int((np.bincount(labels, weights=weights) >= min_size).sum())


def _merge_small(points: np.ndarray, weights: np.ndarray, labels: np.ndarray, min_size: float) -> np.ndarray:
    """Each cluster lighter than ``min_size`` joins the large cluster with the nearest centroid
    (cosine); with no large cluster everything is one speaker."""
    sizes = np.bincount(labels, weights=weights)
    large = np.flatnonzero(sizes >= min_size)
    small = np.flatnonzero((sizes > 0) & (sizes < min_size))
    if len(large) == 0:
        return np.zeros(len(labels), np.int64)
    if len(small):
        centroid = {k: (points[labels == k] * weights[labels == k, None]).sum(axis=0) for k in (*large, *small)}
        nearest = cdist(np.stack([centroid[k] for k in small]), np.stack([centroid[k] for k in large]),
                        metric="cosine").argmin(axis=1)
        labels = labels.copy()
        for k, target in zip(small, large[nearest]):
            labels[labels == k] = target
    return labels


def _spectral(points: np.ndarray, config: ClusteringConfig, count: SpeakerCount) -> np.ndarray:
    from spectralcluster import (AutoTune, FallbackOptions, LaplacianType, RefinementName, RefinementOptions,
                                 SpectralClusterer, SymmetrizeType, ThresholdType)
    from spectralcluster.fallback_clusterer import FallbackClustererType, SingleClusterCondition

    low = count.num or count.minimum
    high = count.num or count.maximum
    clusterer = SpectralClusterer(
        min_clusters=low,
        max_clusters=min(high, len(points) - 1) if high else None,
        refinement_options=RefinementOptions(
            thresholding_soft_multiplier=0.01, thresholding_type=ThresholdType.Percentile,
            thresholding_with_binarization=True, thresholding_preserve_diagonal=True,
            symmetrize_type=SymmetrizeType.Average,
            refinement_sequence=[RefinementName.RowWiseThreshold, RefinementName.Symmetrize]),
        autotune=AutoTune(p_percentile_min=0.40, p_percentile_max=0.95, init_search_step=0.05, search_level=1),
        laplacian_type=LaplacianType.GraphCut, row_wise_renorm=True, custom_dist="cosine",
        fallback_options=FallbackOptions(
            single_cluster_condition=SingleClusterCondition.FallbackClusterer,
            fallback_clusterer_type=FallbackClustererType.Agglomerative,
            agglomerative_threshold=config.single_speaker_threshold),
    )
    return np.asarray(clusterer.predict(points), dtype=np.int64)


def _first_appearance_order(labels: np.ndarray) -> np.ndarray:
    """Relabel 0, 1, 2, ... in order of first appearance (labels may have gaps)."""
    _, first = np.unique(labels, return_index=True)
    order = labels[np.sort(first)]
    mapping = np.empty(labels.max() + 1, np.int64)
    mapping[order] = np.arange(len(order))
    return mapping[labels]


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
