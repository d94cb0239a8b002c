"""Everything fitted on the training speakers: normalisation, the conditioning schemes
(context -> discrete key), the random-assignment baseline and the dynamics codebook.

k-means is faiss's (``faiss.Kmeans``): Lloyd iterations whose assignment step is one BLAS
product over the whole sample on every core, and whose nearest-centroid search assigns tens
of millions of frames at the same speed. scikit-learn's ``KMeans`` (``kmeans.backend:
sklearn``) computes the same thing; it is the reference the tests and ``bench/structure.py``
compare with, and it is several times slower on the fit. Both fit a bounded seeded sample of
training anchors (``fit_frames``); assignment streams every frame.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from codecprobe.errors import InputError
from codecprobe.structure.config import KMeansConfig, SchemeConfig
from codecprobe.structure.frames import Windows


# -- normalisation ------------------------------------------------------------------------
class RunningMoments:
    """Per-dimension mean and variance of streamed rows (Chan et al.'s pairwise merge, float64)."""

    def __init__(self, dim: int):
        self.n = 0
        self.mean = np.zeros(dim)
        self.m2 = np.zeros(dim)

    def add(self, rows: np.ndarray) -> None:
        if len(rows) == 0:
            return
        rows = np.asarray(rows, dtype=np.float64)
        n, mean = len(rows), rows.mean(axis=0)
        m2 = ((rows - mean) ** 2).sum(axis=0)
        total = self.n + n
        delta = mean - self.mean
        self.m2 += m2 + delta ** 2 * self.n * n / total
        self.mean += delta * n / total
        self.n = total

    @property
    def std(self) -> np.ndarray:
        """Population standard deviation; dimensions that never vary get 1 (they stay constant)."""
        std = np.sqrt(self.m2 / max(self.n, 1))
        return np.where(std > 1e-8 * max(float(std.max(initial=0.0)), 1e-30), std, 1.0)


@dataclass
class Normaliser:
    """z-scores fitted on training speakers: of the frames, and of each lag's dynamics (float32 work)."""

    frame_mean: np.ndarray
    frame_std: np.ndarray
    dynamics_mean: dict[int, np.ndarray]  # of the raw dynamics, per lag
    dynamics_std: dict[int, np.ndarray]

    def __post_init__(self) -> None:
        self._mean, self._std = self.frame_mean.astype(np.float32), self.frame_std.astype(np.float32)
        # dynamics of normalised frames are those of raw frames divided by the frame scale
        self._dynamics = {lag: ((self.dynamics_mean[lag] / self.frame_std).astype(np.float32),
                                (self.dynamics_std[lag] / self.frame_std).astype(np.float32))
                          for lag in self.dynamics_mean}

    def frames(self, z: np.ndarray) -> np.ndarray:
        return (np.asarray(z, np.float32) - self._mean) / self._std

    def normalise_contexts(self, flat: np.ndarray) -> None:
        """Flattened windows of raw frames -> of normalised frames, in place (float32)."""
        window = flat.shape[1] // len(self._mean)
        flat -= np.tile(self._mean, window)
        flat /= np.tile(self._std, window)

    def normalise_raw_dynamics(self, lag: int, dynamics: np.ndarray) -> None:
        """Dynamics of raw frames -> z-scored, in place (float32)."""
        dynamics -= self.dynamics_mean[lag].astype(np.float32)
        dynamics /= self.dynamics_std[lag].astype(np.float32)

    def dynamics(self, lag: int, dynamics: np.ndarray) -> np.ndarray:
        """z-scored dynamics from dynamics of *normalised* frames."""
        mean, std = self._dynamics[lag]
        return (dynamics - mean) / std


# -- k-means ------------------------------------------------------------------------------
class KMeans:
    """k-means on a sample, nearest-centroid keys for any number of rows."""

    def __init__(self, n_clusters: int, config: KMeansConfig, seed: int):
        self.n_clusters, self.config, self.seed = n_clusters, config, seed

    def fit(self, x: np.ndarray, what: str) -> "KMeans":
        x = np.ascontiguousarray(x, dtype=np.float32)
        if len(x) < self.n_clusters:
            raise InputError(f"{what}: {len(x)} training anchors cannot make {self.n_clusters} clusters; "
                             "use more data, a larger fit_frames or fewer clusters")
        if self.config.backend == "faiss":
            import faiss

            kmeans = faiss.Kmeans(x.shape[1], self.n_clusters, niter=self.config.iterations,
                                  nredo=self.config.restarts, seed=self.seed, verbose=False,
                                  max_points_per_centroid=len(x))  # fit the whole (already bounded) sample
            kmeans.train(x)
            self.centroids = kmeans.centroids
            self._index = kmeans.index
        else:
            from sklearn.cluster import KMeans as SkKMeans

            kmeans = SkKMeans(self.n_clusters, init="k-means++", n_init=self.config.restarts,
                              max_iter=self.config.iterations, random_state=self.seed).fit(x)
            self.centroids = kmeans.cluster_centers_.astype(np.float32)
            self._sklearn = kmeans
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if len(x) == 0:
            return np.zeros(0, dtype=np.int64)
        if self.config.backend == "faiss":
            return self._index.search(x, 1)[1][:, 0].astype(np.int64)
        return self._sklearn.predict(x).astype(np.int64)


# -- the fit sample -----------------------------------------------------------------------
@dataclass
class FitSample:
    """Normalised contexts and dynamics of the sampled training anchors, in a fixed order."""

    flat: np.ndarray  # [n, window * D] float32
    dynamics: dict[int, np.ndarray]  # lag -> [n, D]
    window: int

    @property
    def mean_context(self) -> np.ndarray:
        n = len(self.flat)
        return self.flat.reshape(n, self.window, -1).mean(axis=1, dtype=np.float32)


class ContextPca:
    """PCA of flattened context windows (scikit-learn, randomized SVD on the fit sample)."""

    def __init__(self, dims: int, sample: FitSample, seed: int):
        from sklearn.decomposition import PCA

        if dims > min(sample.flat.shape):
            raise InputError(f"PCA to {dims} dims needs at least {dims} sampled anchors and context values; "
                             f"the sample is {sample.flat.shape[0]} x {sample.flat.shape[1]}")
        pca = PCA(dims, svd_solver="randomized", random_state=seed).fit(sample.flat)
        self.dims = dims
        self.mean = pca.mean_
        self.components = pca.components_
        self.explained_variance_ratio = pca.explained_variance_ratio_

    def sample(self, sample: FitSample) -> np.ndarray:
        components = self.components.astype(np.float32)
        return sample.flat @ components.T - (self.mean @ self.components.T).astype(np.float32)  # no centred copy

    def windows(self, windows: Windows) -> np.ndarray:
        return windows.projected_context(self.mean, self.components)


# -- conditioning schemes -----------------------------------------------------------------
class Scheme:
    """A fitted context -> key map; keys are int64 (k-means index, or the bins' mixed-radix code)."""

    def __init__(self, config: SchemeConfig, sample: FitSample, pcas: dict[int, ContextPca],
                 kmeans: KMeansConfig, seed: int):
        self.config = config
        self.name = config.name
        if config.kind == "mean_vq":
            self.n_keys = config.clusters
            self.kmeans = KMeans(config.clusters, kmeans, seed).fit(sample.mean_context, config.name)
        else:
            if config.pca_dims not in pcas:  # schemes with the same PCA size share one fit
                pcas[config.pca_dims] = ContextPca(config.pca_dims, sample, seed)
            self.pca = pcas[config.pca_dims]
            projected = self.pca.sample(sample)
            if config.kind == "pca_vq":
                self.n_keys = config.clusters
                self.kmeans = KMeans(config.clusters, kmeans, seed).fit(projected, config.name)
            else:
                self.n_keys = config.bins ** config.pca_dims
                quantiles = np.arange(1, config.bins) / config.bins
                self.edges = np.quantile(projected, quantiles, axis=0).T  # [pca_dims, bins - 1]
        self.sample_keys = self._keys_of_sample(sample)

    def keys(self, windows: Windows, projections: dict[int, np.ndarray]) -> np.ndarray:
        """Keys of every anchor; ``projections`` caches PCA projections per utterance across schemes."""
        if self.config.kind == "mean_vq":
            return self.kmeans.predict(windows.mean_context())
        dims = self.config.pca_dims
        if dims not in projections:
            projections[dims] = self.pca.windows(windows)
        return self._from_projection(projections[dims])

    def _keys_of_sample(self, sample: FitSample) -> np.ndarray:
        if self.config.kind == "mean_vq":
            return self.kmeans.predict(sample.mean_context)
        return self._from_projection(self.pca.sample(sample))

    def _from_projection(self, projected: np.ndarray) -> np.ndarray:
        if self.config.kind == "pca_vq":
            return self.kmeans.predict(projected)
        digits = np.stack([np.searchsorted(self.edges[j], projected[:, j], side="right")
                           for j in range(self.config.pca_dims)], axis=1).astype(np.int64)
        return digits @ (self.config.bins ** np.arange(self.config.pca_dims, dtype=np.int64))


class RandomKeys:
    """The random-assignment baseline: keys drawn independently for every anchor with a scheme's key
    frequencies on the fit sample, so cluster sizes match while the context is ignored.

    Draws are seeded by (seed, utterance id, scheme), so every pass sees the same keys whatever
    order the store returns utterances in (a global permutation would need every key in memory).
    """

    def __init__(self, scheme: Scheme, seed: int, index: int):
        self.name = f"random:{scheme.name}"
        self.values, counts = np.unique(scheme.sample_keys, return_counts=True)
        self.probabilities = counts / counts.sum()
        self.seed, self.index = seed, index

    def keys(self, utterance_id: str, n: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, zlib.crc32(utterance_id.encode()), self.index])
        return self.values[rng.choice(len(self.values), size=n, p=self.probabilities)]


@dataclass
class Conditioning:
    """Everything fitted on the training speakers, applied unchanged to every speaker."""

    normaliser: Normaliser
    schemes: list[Scheme]
    randoms: list[RandomKeys]
    codebooks: dict[int, KMeans]  # lag -> k-means of the normalised dynamics (entropy reduction)
    pca_explained: dict[int, float]  # PCA dims -> share of the context variance they keep

    @property
    def labelings(self) -> list[str]:
        """Names of the key sets analysed: each scheme, then each scheme's random baseline."""
        return [s.name for s in self.schemes] + [r.name for r in self.randoms]

    def keys(self, utterance_id: str, windows: Windows) -> list[np.ndarray]:
        projections: dict[int, np.ndarray] = {}
        real = [scheme.keys(windows, projections) for scheme in self.schemes]
        n = len(windows.anchors)
        return real + [random.keys(utterance_id, n) for random in self.randoms]


def fit_conditioning(normaliser: Normaliser, sample: FitSample, schemes: list[SchemeConfig], kmeans: KMeansConfig,
                     codebook_size: int, seed: int) -> Conditioning:
    pcas: dict[int, ContextPca] = {}
    fitted = [Scheme(config, sample, pcas, kmeans, seed) for config in schemes]
    randoms = [RandomKeys(scheme, seed, i) for i, scheme in enumerate(fitted)]
    codebooks = {lag: KMeans(codebook_size, kmeans, seed).fit(d, f"dynamics codebook (lag {lag})")
                 for lag, d in sample.dynamics.items()}
    explained = {dims: float(p.explained_variance_ratio.sum()) for dims, p in pcas.items()}
    return Conditioning(normaliser, fitted, randoms, codebooks, explained)
